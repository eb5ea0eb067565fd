import { useState } from 'react';
import { useEndpoint } from '../hooks/useEndpoint';
import { EndpointForm } from './EndpointForm';
import { EndpointHealth } from './EndpointHealth';
import { EndpointSecretRotation } from './EndpointSecretRotation';
import { EndpointStateBadge } from './EndpointStateBadge';
import { EndpointTest } from './EndpointTest';
import { LoadingState } from './LoadingState';
import { MessageLog } from './MessageLog';
import { SubscriptionManager } from './SubscriptionManager';

/** Everything about one endpoint: settings, subscriptions, health, secret, test, its deliveries. */
export const EndpointDetail = ({ endpointId, onBack }: { endpointId: string; onBack: () => void }) => {
  const { endpoint, update } = useEndpoint(endpointId);
  const [editing, setEditing] = useState(false);
  if (!endpoint) return <LoadingState label="Loading endpoint…" />;
  return (
    <div>
      <button type="button" className="hbp-button-link" onClick={onBack} style={{ marginBottom: 12 }}>
        ← All endpoints
      </button>
      <section className="hbp-card" aria-label="Endpoint">
        <div className="hbp-spread">
          <h2 className="hbp-endpoint-url" style={{ margin: 0 }}>
            {endpoint.url}
          </h2>
          <EndpointStateBadge endpoint={endpoint} />
        </div>
        {endpoint.description ? <p className="hbp-muted">{endpoint.description}</p> : null}
        <div className="hbp-row" style={{ marginTop: 8 }}>
          <button type="button" className="hbp-button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            {editing ? 'Close editor' : 'Edit'}
          </button>
          <button type="button" className="hbp-button" onClick={() => void update({ isDisabled: !endpoint.isDisabled }).catch(() => undefined)}>
            {endpoint.isDisabled ? 'Enable endpoint' : 'Disable endpoint'}
          </button>
        </div>
      </section>
      {editing ? <EndpointForm endpoint={endpoint} onSuccess={() => setEditing(false)} onCancel={() => setEditing(false)} /> : null}
      <div className="hbp-columns">
        <div>
          <SubscriptionManager endpointId={endpointId} />
          <EndpointSecretRotation endpointId={endpointId} />
          <EndpointTest endpointId={endpointId} />
        </div>
        <div>
          <EndpointHealth endpointId={endpointId} />
          <h3>Deliveries</h3>
          <MessageLog endpointId={endpointId} limit={10} refreshInterval={5000} />
        </div>
      </div>
    </div>
  );
};
