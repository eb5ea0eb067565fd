import { describe, expect, it } from 'vitest';
import { upcast } from '../events';
import { deciderSpec } from '../testing/deciderSpec';
import type { ApiKeyCreated, ApiKeyRevoked, PortalTokenCreated, PortalTokenRevoked } from './access';
import { apiKeyDecider, portalTokenDecider } from './access';

const NOW = '2026-01-01T00:00:00.000Z';
const EARLIER = '2025-12-31T00:00:00.000Z';
const meta = { now: NOW };

describe('API key decider', () => {
  const spec = deciderSpec(apiKeyDecider);
  const created: ApiKeyCreated = { type: 'ApiKeyCreated', data: { keyId: 'key_1', name: 'ci', keyHash: 'sha256:abc', createdAt: EARLIER } };
  const revoked: ApiKeyRevoked = { type: 'ApiKeyRevoked', data: { keyId: 'key_1', revokedAt: EARLIER } };

  it('creates a key from its hash', () => {
    const state = spec
      .given([])
      .when({ type: 'CreateApiKey', data: { keyId: 'key_1', name: 'ci', keyHash: 'sha256:abc' }, metadata: meta })
      .then([{ type: 'ApiKeyCreated', data: { keyId: 'key_1', name: 'ci', keyHash: 'sha256:abc', createdAt: NOW } }]);
    expect(state).toEqual({ status: 'active', ownerId: 'key_1' });
  });

  it('refuses to create the same key twice', () => {
    spec
      .given([created])
      .when({ type: 'CreateApiKey', data: { keyId: 'key_1', name: 'ci', keyHash: 'sha256:abc' }, metadata: meta })
      .thenThrows({ kind: 'conflict', code: 'api_key_exists' });
  });

  it('refuses to recreate a revoked key', () => {
    spec
      .given([created, revoked])
      .when({ type: 'CreateApiKey', data: { keyId: 'key_1', name: 'ci', keyHash: 'sha256:abc' }, metadata: meta })
      .thenThrows({ kind: 'conflict', code: 'api_key_exists' });
  });

  it('revokes an active key', () => {
    const state = spec
      .given([created])
      .when({ type: 'RevokeApiKey', data: { keyId: 'key_1' }, metadata: meta })
      .then([{ type: 'ApiKeyRevoked', data: { keyId: 'key_1', revokedAt: NOW } }]);
    expect(state).toEqual({ status: 'revoked', ownerId: 'key_1' });
  });

  it('revoking twice changes nothing', () => {
    spec.given([created, revoked]).when({ type: 'RevokeApiKey', data: { keyId: 'key_1' }, metadata: meta }).then([]);
  });

  it('revoke is not found on a missing key', () => {
    spec
      .given([])
      .when({ type: 'RevokeApiKey', data: { keyId: 'key_1' }, metadata: meta })
      .thenThrows({ kind: 'not_found', code: 'api_key_not_found' });
  });
});

describe('portal token decider', () => {
  const spec = deciderSpec(portalTokenDecider);
  const created: PortalTokenCreated = {
    type: 'PortalTokenCreated',
    data: {
      tokenId: 'ptk_1', applicationId: 'app_1', tokenHash: 'sha256:def', tokenPrefix: 'whpt_abc', name: null, scopes: ['read', 'write'],
      expiresAt: '2026-01-08T00:00:00.000Z', createdAt: EARLIER,
    },
  };
  const create = (extra: { name?: string | null; scopes?: string[] } = {}) =>
    ({
      type: 'CreatePortalToken',
      data: { tokenId: 'ptk_1', applicationId: 'app_1', tokenHash: 'sha256:def', tokenPrefix: 'whpt_abc', expiresAt: '2026-01-08T00:00:00.000Z', ...extra },
      metadata: meta,
    }) as const;
  const revoked: PortalTokenRevoked = { type: 'PortalTokenRevoked', data: { tokenId: 'ptk_1', applicationId: 'app_1', revokedAt: EARLIER } };

  it('creates a token for an application: unnamed, both scopes by default', () => {
    const state = spec
      .given([])
      .when(create())
      .then([{ ...created, data: { ...created.data, createdAt: NOW } }]);
    expect(state).toEqual({ status: 'active', ownerId: 'app_1' });
  });

  it('keeps a name and the scopes asked for, each once, in a fixed order', () => {
    spec
      .given([])
      .when(create({ name: ' Support desk ', scopes: ['write', 'read', 'write'] }))
      .then([{ ...created, data: { ...created.data, name: 'Support desk', scopes: ['read', 'write'], createdAt: NOW } }]);
    spec
      .given([])
      .when(create({ scopes: ['read'] }))
      .then([{ ...created, data: { ...created.data, scopes: ['read'], createdAt: NOW } }]);
  });

  it.each([
    [{ scopes: [] }, 'scopes', 'min_items'],
    [{ scopes: ['read', 'admin'] }, 'scopes[1]', 'enum'],
    [{ name: '   ' }, 'name', 'required'],
  ])('refuses %j', (extra, field, rule) => {
    spec.given([]).when(create(extra)).thenThrows({ kind: 'validation', code: 'validation_failed', field, rule });
  });

  it('reads a v1 token (no name, no scopes) as one with both scopes', () => {
    const v1 = { tokenId: 'ptk_1', applicationId: 'app_1', tokenHash: 'h', expiresAt: NOW, createdAt: EARLIER };
    expect(upcast('PortalTokenCreated', v1, { schemaVersion: 1 })).toEqual({
      type: 'PortalTokenCreated',
      data: { ...v1, tokenPrefix: null, name: null, scopes: ['read', 'write'] },
    });
  });

  it('refuses to create the same token twice', () => {
    spec.given([created]).when(create()).thenThrows({ kind: 'conflict', code: 'portal_token_exists' });
  });

  it('revokes a token, naming the application it belonged to', () => {
    const state = spec
      .given([created])
      .when({ type: 'RevokePortalToken', data: { tokenId: 'ptk_1' }, metadata: meta })
      .then([{ type: 'PortalTokenRevoked', data: { tokenId: 'ptk_1', applicationId: 'app_1', revokedAt: NOW } }]);
    expect(state).toEqual({ status: 'revoked', ownerId: 'app_1' });
  });

  it('revoking twice changes nothing', () => {
    spec.given([created, revoked]).when({ type: 'RevokePortalToken', data: { tokenId: 'ptk_1' }, metadata: meta }).then([]);
  });

  it('revoke is not found on a missing token', () => {
    spec
      .given([])
      .when({ type: 'RevokePortalToken', data: { tokenId: 'ptk_1' }, metadata: meta })
      .thenThrows({ kind: 'not_found', code: 'portal_token_not_found' });
  });
});
