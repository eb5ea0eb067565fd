import { describe, expect, it } from 'vitest';
import type { AttemptDoc, OutboundDoc } from '../../projections/readModels';
import { attemptOut, outboundOut, replayOut, sendEventIn, sendEventOut, statusIn, toCsv } from './messages.mapping';
import type { CompatStatus, SendEventBody } from './messages.mapping';

const out: OutboundDoc = {
  id: 'out_1', applicationId: 'app_1', messageId: 'msg_1', endpointId: 'ep_1', endpointUrl: 'https://x.test/h', eventType: 'a.b', status: 'failed',
  attempts: 2, maxAttempts: 8, lastAttemptAt: '2026-01-02T00:00:00.000Z', nextAttemptAt: '2026-01-03T00:00:00.000Z', lastResponseStatus: 500,
  lastError: 'HTTP 500', deliveredAt: null, createdAt: '2026-01-01T00:00:00.000Z',
};

describe('messages mapping', () => {
  it.each<[string, SendEventBody, unknown]>([
    ['minimal', { applicationId: 'app_1', eventType: 'a.b', payload: { x: 1 } }, { application: 'app_1', input: { eventType: 'a.b', payload: { x: 1 }, eventId: null } }],
    ['eventId wins over idempotencyKey', { applicationId: 'u', eventType: 'a', payload: 1, eventId: 'e', idempotencyKey: 'k' }, { application: 'u', input: { eventType: 'a', payload: 1, eventId: 'e' } }],
    ['idempotencyKey as eventId', { applicationId: 'u', eventType: 'a', payload: null, idempotencyKey: 'k' }, { application: 'u', input: { eventType: 'a', payload: null, eventId: 'k' } }],
    ['endpointIds kept, metadata dropped', { applicationId: 'u', eventType: 'a', payload: {}, endpointIds: ['ep_1'], metadata: { m: 1 } }, { application: 'u', input: { eventType: 'a', payload: {}, eventId: null, endpointIds: ['ep_1'] } }],
      ['endpointId: only that endpoint; labels kept for the filters', { applicationId: 'u', eventType: 'a', payload: {}, endpointId: 'ep_2', labels: { env: 'prod' } }, { application: 'u', input: { eventType: 'a', payload: {}, eventId: null, endpointIds: ['ep_2'], labels: { env: 'prod' } } }],
  ])('send in: %s', (_n, body, expected) => expect(sendEventIn(body, null)).toEqual(expected));

  it('send in: without applicationId, the application of the endpointId', () => {
    expect(sendEventIn({ eventType: 'a', payload: {}, endpointId: 'ep_1' }, 'app_9').application).toBe('app_9');
  });

  it.each<[string, SendEventBody, string]>([
    ['no applicationId (every application)', { eventType: 'a', payload: {} }, 'applicationId'],
    ['empty applicationId', { applicationId: '', eventType: 'a', payload: {} }, 'applicationId'],
    ['no eventType', { applicationId: 'a', payload: {} }, 'eventType'],
    ['no payload', { applicationId: 'a', eventType: 'a' }, 'payload'],
  ])('send in refuses %s', (_n, body, field) => expect(() => sendEventIn(body, null)).toThrow(new RegExp(field)));

  it('send out: our message id as eventId, one entry per delivery', () => {
    expect(sendEventOut('msg_1', [{ id: 'ep_1', url: 'u1' }, { id: 'ep_2', url: 'u2' }])).toEqual({ eventId: 'msg_1', messagesQueued: 2, endpoints: [{ id: 'ep_1', url: 'u1' }, { id: 'ep_2', url: 'u2' }] });
  });

  it.each<[CompatStatus | undefined, string | null | undefined]>([
    [undefined, undefined], ['pending', 'pending'], ['success', 'success'], ['failed', 'failed'], ['exhausted', 'exhausted'], ['dlq', 'exhausted'], ['processing', null],
  ])('statusIn(%s) = %s', (status, expected) => expect(statusIn(status)).toBe(expected));

  it('outbound out and attempt out', () => {
    expect(outboundOut(out, { eventId: 'evt-1', lastResponseBody: 'boom', applicationName: 'Acme' })).toEqual({
      id: 'out_1', messageId: 'msg_1', eventId: 'evt-1', applicationId: 'app_1', endpointId: 'ep_1', endpointUrl: 'https://x.test/h', eventType: 'a.b',
      status: 'failed', attempts: 2, maxAttempts: 8, lastAttemptAt: '2026-01-02T00:00:00.000Z', nextAttemptAt: '2026-01-03T00:00:00.000Z',
      lastResponseStatus: 500, lastResponseBody: 'boom', lastError: 'HTTP 500', deliveredAt: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z',
      applicationName: 'Acme', lastErrorMessage: 'HTTP 500', completedAt: null,
    });
    expect(outboundOut({ ...out, lastAttemptAt: null }, { eventId: null, lastResponseBody: null, applicationName: null }).updatedAt).toBe(out.createdAt);
    expect(outboundOut({ ...out, status: 'exhausted' }, { eventId: null, lastResponseBody: null, applicationName: null }).completedAt).toBe(out.lastAttemptAt);
    const a: AttemptDoc = { id: 'att_1', outboundMessageId: 'out_1', applicationId: 'app_1', endpointId: 'ep_1', attemptNumber: 1, responseStatus: null, responseBody: '', error: 'timeout', latencyMs: 15000, attemptedAt: '2026-01-02T00:00:00.000Z' };
    expect(attemptOut(a)).toEqual({ id: 'att_1', outboundMessageId: 'out_1', attemptNumber: 1, responseStatus: null, responseBody: '', responseHeaders: null, error: 'timeout', latencyMs: 15000, attemptedAt: '2026-01-02T00:00:00.000Z',
      status: 'failed', responseTimeMs: 15000, errorMessage: 'timeout', createdAt: '2026-01-02T00:00:00.000Z',
    });
    expect(replayOut('out_1')).toEqual({ originalMessageId: 'out_1', newMessageId: 'out_1', status: 'pending' });
  });

  it('toCsv: a header line, CRLF, quotes where a cell needs them, empty for null', () => {
    const csv = toCsv([{ id: 'out_1', lastError: 'said "no", twice', deliveredAt: null, attempts: 2 }]);
    const [header, row, end] = csv.split('\r\n');
    expect(header?.split(',')[0]).toBe('id');
    expect(row).toBe('out_1,,,,,,,,2,,,,,"said ""no"", twice",,');
    expect(end).toBe('');
  });
});
