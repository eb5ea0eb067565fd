import type { ReactNode } from 'react';
import type { PortalEndpoint } from '../api/types';
import { useEndpoints } from '../hooks/useEndpoints';
import { usePortalStore } from '../context';
import { successRate } from '../store/selectors';
import { EmptyState } from './EmptyState';
import { EndpointStateBadge } from './EndpointStateBadge';
import { ErrorState } from './ErrorState';
import { LoadingState } from './LoadingState';

export interface EndpointListProps {
  onEndpointClick?: (endpoint: PortalEndpoint) => void;
  /** Enable/disable and delete buttons on each row (default true). */
  showActions?: boolean;
  emptyState?: ReactNode;
}

const rateText = (endpoint: PortalEndpoint): string => {
  const rate = successRate(endpoint.totalSuccesses, endpoint.totalFailures);
  return rate === null ? 'No deliveries yet' : `${Math.round(rate * 100)}% delivered of ${endpoint.totalSuccesses + endpoint.totalFailures}`;
};

export const EndpointList = ({ onEndpointClick, showActions = true, emptyState }: EndpointListProps) => {
  const { endpoints, isLoading, error, refresh } = useEndpoints();
  const update = usePortalStore((s) => s.updateEndpoint);
  const remove = usePortalStore((s) => s.deleteEndpoint);
  const select = usePortalStore((s) => s.selectEndpoint);

  if (isLoading && endpoints.length === 0) return <LoadingState label="Loading endpoints…" />;
  if (error && endpoints.length === 0) return <ErrorState title="Could not load endpoints" message={error} onRetry={() => void refresh()} />;
  if (endpoints.length === 0)
    return <>{emptyState ?? <EmptyState title="No endpoints yet">Add an endpoint URL to start receiving webhooks.</EmptyState>}</>;

  const open = (endpoint: PortalEndpoint) => {
    select(endpoint.id);
    onEndpointClick?.(endpoint);
  };
  return (
    <ul className="hbp-list" aria-label="Endpoints">
      {endpoints.map((endpoint) => (
        <li key={endpoint.id} className="hbp-list-item" data-endpoint-id={endpoint.id}>
          <div className="hbp-list-main">
            <button type="button" className="hbp-button-link hbp-endpoint-url" onClick={() => open(endpoint)} aria-label={`Open endpoint ${endpoint.url}`}>
              {endpoint.url}
            </button>
            {endpoint.description ? <div className="hbp-muted">{endpoint.description}</div> : null}
            <div className="hbp-row hbp-muted">
              <EndpointStateBadge endpoint={endpoint} />
              <span>{rateText(endpoint)}</span>
            </div>
          </div>
          {showActions ? (
            <div className="hbp-row">
              <button
                type="button"
                className="hbp-button"
                aria-label={`${endpoint.isDisabled ? 'Enable' : 'Disable'} ${endpoint.url}`}
                onClick={() => void update(endpoint.id, { isDisabled: !endpoint.isDisabled }).catch(() => undefined)}
              >
                {endpoint.isDisabled ? 'Enable' : 'Disable'}
              </button>
              <button
                type="button"
                className="hbp-button hbp-button-danger"
                aria-label={`Delete ${endpoint.url}`}
                onClick={() => {
                  if (window.confirm(`Delete the endpoint ${endpoint.url}? It stops receiving webhooks.`)) void remove(endpoint.id).catch(() => undefined);
                }}
              >
                Delete
              </button>
            </div>
          ) : null}
        </li>
      ))}
    </ul>
  );
};
