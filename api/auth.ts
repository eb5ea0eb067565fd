import { hash } from 'node:crypto';
import type { ApiKeyDoc, PortalTokenDoc } from '../projections/readModels';
import { collections } from '../projections/readModels';
import type { ReadStore } from '../store/readStore';
import { HttpError } from './errors';

export type Principal =
  | Readonly<{ kind: 'admin'; keyId: string }>
  | Readonly<{ kind: 'portal'; tokenId: string; applicationId: string; scopes: readonly ('read' | 'write')[] }>
  | Readonly<{ kind: 'anonymous' }>;

/** API keys and portal tokens are looked up by hash; the clear text is never stored or logged. */
export const hashCredential = (secret: string): string => hash('sha256', secret, 'hex');

export const bearerToken = (authorization: string): string | null => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m ? (m[1] ?? null) : null;
};

const unauthorized = (message: string, code = 'unauthorized'): HttpError => new HttpError(401, code, message, [], { 'WWW-Authenticate': 'Bearer' });

/**
 * Valid API keys seen in the last second, by hash: a busy client's every request would otherwise look its key up
 * in the read model again. A revocation takes effect within that second.
 */
export class ApiKeyCache {
  private readonly valid = new Map<string, { keyId: string; until: number }>();

  constructor(private readonly ttlMs = 1_000) {}

  get(keyHash: string, now: number): string | null {
    const hit = this.valid.get(keyHash);
    if (!hit) return null;
    if (hit.until > now) return hit.keyId;
    this.valid.delete(keyHash);
    return null;
  }

  set(keyHash: string, keyId: string, now: number): void {
    if (this.valid.size > 10_000) this.valid.clear();
    this.valid.set(keyHash, { keyId, until: now + this.ttlMs });
  }
}

/** Admin access: `Authorization: Bearer <api key>`. */
export const authenticateApiKey = async (reads: ReadStore, authorization: string, cache?: ApiKeyCache): Promise<Principal> => {
  const token = bearerToken(authorization);
  if (!token) throw unauthorized('Send your API key as "Authorization: Bearer <api key>".');
  const now = Date.now();
  const keyHash = hashCredential(token);
  const cached = cache?.get(keyHash, now);
  if (cached) return { kind: 'admin', keyId: cached };
  const page = await reads.collection<ApiKeyDoc>(collections.apiKeys).find({ where: { keyHash }, limit: 1 });
  const key = page.items[0];
  if (!key || key.revoked) throw unauthorized('The API key is not valid.');
  cache?.set(keyHash, key.id, now);
  return { kind: 'admin', keyId: key.id };
};

/** Portal access: `Authorization: Bearer <portal token>`, scoped to one application until it expires. */
export const authenticatePortalToken = async (reads: ReadStore, authorization: string, now: Date): Promise<Principal> => {
  const token = bearerToken(authorization);
  if (!token) throw unauthorized('Send the portal token as "Authorization: Bearer <portal token>".');
  const page = await reads.collection<PortalTokenDoc>(collections.portalTokens).find({ where: { tokenHash: hashCredential(token) }, limit: 1 });
  const doc = page.items[0];
  if (!doc) throw unauthorized('The portal token is not valid.');
  // Distinct codes, so that a portal can say "this link was revoked" or "this link has expired" rather than fail.
  if (doc.revoked) throw unauthorized('The portal token has been revoked; ask for a new link.', 'token_revoked');
  if (doc.expiresAt <= now.toISOString()) throw unauthorized('The portal token has expired; ask for a new link.', 'token_expired');
  return { kind: 'portal', tokenId: doc.id, applicationId: doc.applicationId, scopes: doc.scopes ?? ['read', 'write'] };
};
