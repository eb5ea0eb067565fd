import type { Transport } from '../http.js';
import type { PortalToken, PortalTokenIn } from '../types.js';

export class PortalTokens {
  constructor(private readonly http: Transport) {}

  /** A token for the portal API and a magic link (`url`) to the hosted portal, scoped to one application. */
  create(appId: string, body: PortalTokenIn = {}): Promise<PortalToken> {
    return this.http.request('v1.portalToken.create', { path: { appId }, body });
  }

  revoke(tokenId: string): Promise<void> {
    return this.http.request('v1.portalToken.revoke', { path: { tokenId } });
  }
}
