import { describe, expect, it } from 'vitest';
import type { AttemptDoc, EndpointDoc, EventTypeDoc, OutboundDoc, SubscriptionDoc } from '../../../projections/readModels';
import { applicationOut } from './application';
import { endpointCreateIn, endpointOut, endpointPatchIn } from './endpoints';
import { eventTypeOut } from './eventTypes';
import { messageDetailOut, messageOut, statusIn, testResultOut } from './messages';
import { subscriptionCreateIn, subscriptionOut } from './subscriptions';

// The portal surface's mapping modules: pure functions, table-tested.

const T = '2026-01-01T00:00:00.000Z';
const secret = { alg: 'A256GCM', iv: 'a', tag: 'b', data: 'c' } as const;
const endpoint: EndpointDoc = {
  id: 'ep_1', applicationId: 'app_1', url: 'https://e.example/h', description: 'd', eventTypes: ['a'], subscriptionCount: 2, headers: {},
  rateLimitPerSecond: null, timeoutSeconds: 15, retryDelays: null, disabled: true, disabledReason: 'x', circuit: 'half_open', metadata: {},
  secret, previousSecrets: [], createdAt: T, updatedAt: T,
};
const outbound: OutboundDoc = {
  id: 'out_1', applicationId: 'app_1', messageId: 'msg_1', endpointId: 'ep_1', endpointUrl: 'https://e.example/h', eventType: 'a', status: 'failed',
  attempts: 1, maxAttempts: 3, lastAttemptAt: '2026-01-01T00:00:05.000Z', nextAttemptAt: '2026-01-01T00:01:00.000Z', lastResponseStatus: 500,
  lastError: 'HTTP 500', deliveredAt: null, createdAt: T,
};
const attempt: AttemptDoc = {
  id: 'att_1', outboundMessageId: 'out_1', applicationId: 'app_1', endpointId: 'ep_1', attemptNumber: 1, responseStatus: 500, responseBody: 'no',
  error: 'HTTP 500', latencyMs: 12.6, attemptedAt: '2026-01-01T00:00:05.000Z',
};

describe('endpoints', () => {
  it.each([
    [{ url: 'https://x' }, { url: 'https://x' }],
    [{ url: 'https://x', description: 'd', eventTypes: ['a'] }, { url: 'https://x', description: 'd', eventTypes: ['a'] }],
  ])('create %j → %j', (body, input) => expect(endpointCreateIn(body)).toEqual(input));

  it.each([
    [{}, {}],
    [{ isDisabled: true }, { disabled: true }],
    [{ url: 'https://y', description: '', isDisabled: false }, { url: 'https://y', description: '', disabled: false }],
  ])('patch %j → %j', (body, patch) => expect(endpointPatchIn(body)).toEqual(patch));

  it.each([
    [{ totalMessages: 0, totalSuccesses: 0, totalFailures: 0, lastSuccessAt: null }, false, null],
    [{ totalMessages: 3, totalSuccesses: 2, totalFailures: 1, lastSuccessAt: T }, true, T],
  ])('out with counts %j: isVerified %s', (counts, isVerified, verifiedAt) => {
    const { lastSuccessAt: _last, ...totals } = counts;
    expect(endpointOut(endpoint, counts)).toEqual({
      id: 'ep_1', url: 'https://e.example/h', description: 'd', isDisabled: true, circuitState: 'half_open', ...totals,
      isVerified, verifiedAt, createdAt: T, updatedAt: T,
    });
  });
});

describe('subscriptions', () => {
  it.each([
    [{ endpointId: 'ep_1', eventTypeId: 'a' }, 'a'],
    [{ endpointId: 'ep_1', eventType: 'b' }, 'b'],
    [{ endpointId: 'ep_1', eventTypeName: 'c' }, 'c'],
    [{ endpointId: 'ep_1', eventTypeId: 'a', eventType: 'b' }, 'a'],
    [{ endpointId: 'ep_1' }, undefined],
  ])('create %j names %s', (body, eventType) => expect(subscriptionCreateIn(body)).toEqual({ endpointId: 'ep_1', eventType }));

  it('out: the event type id is its name', () => {
    const s: SubscriptionDoc = { id: 'sub_1', endpointId: 'ep_1', applicationId: 'app_1', eventTypeName: 'a.b', isEnabled: false, createdAt: T, updatedAt: T };
    expect(subscriptionOut(s)).toEqual({ id: 'sub_1', endpointId: 'ep_1', eventTypeId: 'a.b', eventTypeName: 'a.b', isEnabled: false, createdAt: T, updatedAt: T });
  });
});

describe('event types and the application', () => {
  it.each([
    [{ type: 'object' }, false, '{"type":"object"}', true],
    [null, true, null, false],
  ])('schema %j archived %s → schema %j, isEnabled %s', (schema, archived, text, isEnabled) => {
    const t: EventTypeDoc = { id: 'a', name: 'a', displayName: 'A', description: null, category: 'C', schema, archived, createdAt: T, updatedAt: T };
    expect(eventTypeOut(t, 4)).toEqual({
      id: 'a', name: 'a', displayName: 'A', description: null, category: 'C', schema: text, examplePayload: null, documentationUrl: null,
      isEnabled, isArchived: archived, isDeprecated: false, deprecatedAt: null, deprecatedMessage: null, schemaVersion: schema === null ? null : 1, subscriptionCount: 4, createdAt: T, updatedAt: T,
    });
  });

  it('application: id, name, organization', () => {
    expect(applicationOut({ id: 'app_1', name: 'N', uid: null, metadata: {}, createdAt: T, updatedAt: T })).toEqual({ id: 'app_1', name: 'N', organizationId: 'org_default' });
    expect(applicationOut({ id: 'app_1', name: 'N', uid: null, metadata: {}, createdAt: T, updatedAt: T }, 'org_x')).toMatchObject({ organizationId: 'org_x' });
  });
});

describe('messages', () => {
  it.each([
    ['pending', 'pending'],
    ['success', 'success'],
    ['failed', 'failed'],
    ['exhausted', 'exhausted'],
    ['dlq', 'exhausted'],
    ['processing', null],
  ] as const)('status filter %s → %s', (status, ours) => expect(statusIn(status)).toBe(ours));

  it('list item and detail', () => {
    expect(messageOut(outbound)).toEqual({
      id: 'out_1', eventType: 'a', endpointId: 'ep_1', endpointUrl: 'https://e.example/h', status: 'failed', attempts: 1,
      lastAttemptAt: '2026-01-01T00:00:05.000Z', nextAttemptAt: '2026-01-01T00:01:00.000Z', createdAt: T,
    });
    const detail = messageDetailOut(outbound, { id: 'msg_1', applicationId: 'app_1', eventType: 'a', payload: {}, eventId: 'evt_9', timestamp: T, outboundIds: ['out_1'] }, [attempt]);
    expect(detail).toMatchObject({ id: 'out_1', messageId: 'msg_1', eventId: 'evt_9', lastResponseBody: 'no', updatedAt: '2026-01-01T00:00:05.000Z', maxAttempts: 3 });
    expect(detail.deliveryAttempts).toEqual([
      { id: 'att_1', outboundMessageId: 'out_1', attemptNumber: 1, responseStatus: 500, responseBody: 'no', responseHeaders: null, error: 'HTTP 500', latencyMs: 12.6, attemptedAt: '2026-01-01T00:00:05.000Z',
        status: 'failed', responseTimeMs: 12.6, errorMessage: 'HTTP 500', createdAt: '2026-01-01T00:00:05.000Z' },
    ]);
    expect(messageDetailOut({ ...outbound, lastAttemptAt: null }, null, [])).toMatchObject({ eventId: null, lastResponseBody: null, updatedAt: T, deliveryAttempts: [] });
  });

  it.each([
    [attempt, false, 'failed', 'HTTP 500'],
    [{ ...attempt, responseStatus: 200, error: null }, true, 'success', null],
    [null, false, 'pending', expect.stringContaining('waiting')],
  ])('test result with attempt %#', (a, success, status, errorMessage) => {
    const message = { id: 'msg_1', applicationId: 'app_1', eventType: 'a', payload: {}, eventId: null, timestamp: T, outboundIds: ['out_1'] };
    const out = testResultOut({ message, outbound, attempt: a, signature: { value: 'v1,abc', timestamp: 5 } });
    expect(out).toEqual({
      success,
      testEvent: { id: 'msg_1', type: 'a', timestamp: T },
      delivery: { status, responseStatus: a?.responseStatus ?? null, responseTimeMs: a ? 13 : null, responseBody: a?.responseBody ?? null, errorMessage },
      signature: { header: 'webhook-signature', value: 'v1,abc', timestamp: 5 },
    });
  });
});
