import type { PortalApiError } from '../api/client';

/** What the portal shows once the token stops working (401), instead of a page of failing calls. */
export const AuthExpiredNotice = ({ error }: { error: PortalApiError }) => (
  <div className="hbp-state hbp-state-error" role="alert">
    <div className="hbp-state-title">{error.code === 'token_revoked' ? 'This link has been revoked' : 'This session has expired'}</div>
    <p>Reload the page to continue managing your webhooks.</p>
  </div>
);
