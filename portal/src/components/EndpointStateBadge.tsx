import type { PortalEndpoint } from '../api/types';

/** Disabled, circuit open (deliveries paused after failures), or active. */
export const EndpointStateBadge = ({ endpoint }: { endpoint: PortalEndpoint }) => {
  if (endpoint.isDisabled) return <span className="hbp-badge">Disabled</span>;
  if (endpoint.circuitState === 'open') return <span className="hbp-badge hbp-badge-danger">Paused (failing)</span>;
  if (endpoint.circuitState === 'half_open') return <span className="hbp-badge hbp-badge-warning">Recovering</span>;
  return <span className="hbp-badge hbp-badge-success">Active</span>;
};
