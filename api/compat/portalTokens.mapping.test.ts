import { describe, expect, it } from 'vitest';
import type { PortalTokenDoc } from '../../projections/readModels';
import { portalTokenIn, portalTokenOut } from './portalTokens.mapping';
import type { PortalTokenBody } from './portalTokens.mapping';

describe('portal tokens mapping', () => {
  it.each<[string, PortalTokenBody, unknown]>([
    ['defaults: both scopes, 30 days', {}, { name: null, scopes: ['read', 'write'], expiresInSeconds: 30 * 86_400 }],
    ['read only, 1 day, named', { name: 'Support', scopes: ['read'], expiresInDays: 1 }, { name: 'Support', scopes: ['read'], expiresInSeconds: 86_400 }],
    ['duplicate scopes folded; empty = both', { scopes: [] }, { name: null, scopes: ['read', 'write'], expiresInSeconds: 30 * 86_400 }],
    ['365 days, allowedIps ignored', { expiresInDays: 365, allowedIps: ['10.0.0.1'] }, { name: null, scopes: ['read', 'write'], expiresInSeconds: 365 * 86_400 }],
  ])('in: %s', (_n, body, expected) => expect(portalTokenIn(body)).toEqual(expected));

  it.each([0, 366, 1.5])('in refuses expiresInDays %s', (days) => expect(() => portalTokenIn({ expiresInDays: days })).toThrow(/expiresInDays/));

  it('out: expiry and revocation as booleans against the clock', () => {
    const doc: PortalTokenDoc = { id: 'ptk_1', applicationId: 'app_1', tokenHash: 'h', expiresAt: '2026-01-02T00:00:00.000Z', revoked: false, createdAt: '2026-01-01T00:00:00.000Z', name: 'n', scopes: ['read'], tokenPrefix: 'whpt_abcdefgh' };
    expect(portalTokenOut(doc, new Date('2026-01-01T12:00:00Z'))).toEqual({
      id: 'ptk_1', applicationId: 'app_1', tokenPrefix: 'whpt_abcdefgh', name: 'n', scopes: ['read'], expiresAt: '2026-01-02T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z', isExpired: false, isRevoked: false,
    });
    expect(portalTokenOut({ ...doc, revoked: true }, new Date('2026-01-03T00:00:00Z'))).toMatchObject({ isExpired: true, isRevoked: true });
    const old: PortalTokenDoc = { id: 'ptk_0', applicationId: 'app_1', tokenHash: 'h', expiresAt: '2026-01-02T00:00:00.000Z', revoked: false, createdAt: '2026-01-01T00:00:00.000Z' };
    expect(portalTokenOut(old, new Date('2026-01-01T12:00:00Z'))).toMatchObject({ tokenPrefix: null, name: null, scopes: ['read', 'write'] });
  });
});
