import { useId, useState } from 'react';
import { useEventTypes } from '../hooks/useEventTypes';
import { useTestEndpoint } from '../hooks/useTestEndpoint';
import { formatLatency } from './format';

/** Sends one signed test event and shows what the receiver answered. */
export const EndpointTest = ({ endpointId }: { endpointId: string }) => {
  const id = useId();
  const { eventTypes } = useEventTypes();
  const { test, result, isTesting, error } = useTestEndpoint(endpointId);
  const [eventType, setEventType] = useState('');
  return (
    <section className="hbp-card" aria-label="Send a test event">
      <div className="hbp-card-title">Send a test event</div>
      <div className="hbp-row">
        <label className="hbp-label" htmlFor={`${id}-type`}>
          Event type
        </label>
        <select id={`${id}-type`} className="hbp-select" value={eventType} onChange={(e) => setEventType(e.target.value)}>
          <option value="">Default test event</option>
          {eventTypes.map((et) => (
            <option key={et.id} value={et.name}>
              {et.name}
            </option>
          ))}
        </select>
        <button type="button" className="hbp-button" disabled={isTesting} onClick={() => void test(eventType || undefined)}>
          {isTesting ? 'Sending…' : 'Send test'}
        </button>
      </div>
      {error ? (
        <p className="hbp-field-error" role="alert">
          {error}
        </p>
      ) : null}
      {result ? (
        <div role="status" style={{ marginTop: 8 }}>
          <span className={`hbp-badge ${result.success ? 'hbp-badge-success' : 'hbp-badge-danger'}`}>{result.success ? 'Received' : 'Failed'}</span>{' '}
          {result.delivery.responseStatus !== null ? `HTTP ${result.delivery.responseStatus}` : (result.delivery.errorMessage ?? 'No response')} ·{' '}
          {formatLatency(result.delivery.responseTimeMs)}
          {result.delivery.responseBody ? <pre className="hbp-response">{result.delivery.responseBody}</pre> : null}
        </div>
      ) : null}
    </section>
  );
};
