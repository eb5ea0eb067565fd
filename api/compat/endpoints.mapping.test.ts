import { describe, expect, it } from 'vitest';
import type { EndpointDoc } from '../../projections/readModels';
import { endpointCreateIn, endpointOut, endpointPatchIn, headersIn, headersOut, secretPrefixOf } from './endpoints.mapping';
import type { CompatEndpointBody } from './endpoints.mapping';

const sealed = { alg: 'A256GCM' as const, iv: '', tag: '', data: '' };
const doc: EndpointDoc = {
  id: 'ep_1', applicationId: 'app_1', url: 'https://example.com/h', description: 'main', eventTypes: ['a'], headers: { 'X-A': '1' },
  rateLimitPerSecond: null, timeoutSeconds: 15, retryDelays: [5, 60], disabled: true, disabledReason: 'paused', circuit: 'open', metadata: {},
  secret: sealed, previousSecrets: [{ secret: sealed, expiresAt: '2026-02-01T00:00:00.000Z' }], createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-05T00:00:00.000Z',
};
const totals = { totalMessages: 4, totalSuccesses: 3, totalFailures: 1, avgResponseTimeMs: 12, lastSuccessAt: '2026-01-04T00:00:00.000Z', lastFailureAt: '2026-01-03T00:00:00.000Z', lastResponseStatus: 200 };

describe('endpoints mapping', () => {
  it.each<[string, CompatEndpointBody['headers'], unknown]>([
    ['absent', undefined, undefined],
    ['null clears', null, {}],
    ['a list', [{ name: 'X-A', value: '1' }, { name: 'X-B', value: '2' }], { 'X-A': '1', 'X-B': '2' }],
    ['a record', { 'X-A': '1' }, { 'X-A': '1' }],
    ['an empty list', [], {}],
  ])('headersIn: %s', (_n, raw, expected) => expect(headersIn(raw)).toEqual(expected));

  it('headersIn names the bad entry of a list', () => expect(() => headersIn([{ name: 'ok', value: 'v' }, { name: 'x' } as never])).toThrow(/headers\[1\]/));

  it('headersOut: a list of {name, value}', () => expect(headersOut({ a: '1', b: '2' })).toEqual([{ name: 'a', value: '1' }, { name: 'b', value: '2' }]));

  it.each<[string, CompatEndpointBody, unknown]>([
    ['minimal', { applicationId: 'app_1', url: 'https://x.test' }, { applicationId: 'app_1', input: { url: 'https://x.test' } }],
    [
      'settings, unmodelled keys dropped',
      { applicationId: 'a', url: 'https://x.test', description: null, headers: [{ name: 'H', value: 'v' }], timeoutSeconds: 5, retryDelays: [1], successStatusCodes: [200], backoffType: 'linear', isDisabled: true },
      { applicationId: 'a', input: { url: 'https://x.test', description: '', headers: { H: 'v' }, timeoutSeconds: 5, retryDelays: [1], disabled: true } },
    ],
  ])('create in: %s', (_n, body, expected) => expect(endpointCreateIn(body)).toEqual(expected));

  it.each<[string, CompatEndpointBody, string]>([
    ['no applicationId', { url: 'https://x.test' }, 'applicationId'],
    ['no url', { applicationId: 'a' }, 'url'],
  ])('create in refuses %s', (_n, body, field) => expect(() => endpointCreateIn(body)).toThrow(new RegExp(field)));

  it.each<[string, CompatEndpointBody, unknown]>([
    ['disable with a reason', { isDisabled: true, disabledReason: 'x' }, { patch: {}, disable: { disabled: true, reason: 'x' } }],
    ['enable', { isDisabled: false }, { patch: {}, disable: { disabled: false, reason: null } }],
    ['settings only', { url: 'https://y.test', rateLimitPerSecond: 3 }, { patch: { url: 'https://y.test', rateLimitPerSecond: 3 }, disable: null }],
  ])('patch in: %s', (_n, body, expected) => expect(endpointPatchIn(body)).toEqual(expected));

  it('secretPrefixOf: whsec_ and four characters, then an ellipsis', () => expect(secretPrefixOf('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe('whsec_MfKQ…'));

  it('out: documented names, derived verification, defaults for what is not modelled', () => {
    expect(endpointOut(doc, { secretPrefix: 'whsec_abcd…', totals, subscriptionCount: 1 })).toEqual({
      id: 'ep_1', applicationId: 'app_1', url: 'https://example.com/h', description: 'main', secretPrefix: 'whsec_abcd…', hasSecret: true, secretVersion: 2,
      headers: [{ name: 'X-A', value: '1' }], timeoutSeconds: 15, isDisabled: true, disabledAt: '2026-01-05T00:00:00.000Z', disabledReason: 'paused',
      rateLimitPerSecond: null, retryDelays: [5, 60], successStatusCodes: null, backoffType: 'exponential', circuitState: 'open', circuitOpenedAt: null,
      circuitFailureCount: 0, circuitFailureThreshold: 5, circuitSuccessThreshold: 1, circuitCooldownSeconds: 30, totalMessages: 4, totalSuccesses: 3,
      totalFailures: 1, avgResponseTimeMs: 12, lastSuccessAt: '2026-01-04T00:00:00.000Z', lastFailureAt: '2026-01-03T00:00:00.000Z', lastResponseStatus: 200,
      isVerified: true, verifiedAt: '2026-01-04T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-05T00:00:00.000Z', subscriptionCount: 1,
    });
    const fresh = endpointOut({ ...doc, disabled: false, previousSecrets: [] }, { secretPrefix: 'p', totals: { ...totals, lastSuccessAt: null } });
    expect(fresh).toMatchObject({ isDisabled: false, disabledAt: null, secretVersion: 1, isVerified: false, verifiedAt: null });
    expect(fresh).not.toHaveProperty('subscriptionCount');
  });
});
