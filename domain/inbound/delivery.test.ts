import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../testing/deciderSpec';
import type { InboundAttemptFailed, InboundDeliveryCreated, InboundDeliveryExhausted, InboundDeliveryFailedOver, InboundRetryScheduled } from './delivery';
import type { InboundAttemptOutcome, RecordInboundAttempt } from './deliveryDecide';
import { inboundDeliveryDecider } from './deliveryDecide';

const NOW = '2026-01-01T00:00:00.000Z';
const EARLIER = '2025-12-31T23:00:00.000Z';
const meta = { now: NOW };
const spec = deciderSpec(inboundDeliveryDecider);
const ref = { deliveryId: 'ibd_1', inboundEventId: 'ibe_1', routeId: 'rte_1', sourceId: 'src_1' };

const createdWith = (destinationIds: string[], failoverAfterAttempts: number | null, maxAttemptsPerDestination = 3): InboundDeliveryCreated => ({
  type: 'InboundDeliveryCreated',
  data: { ...ref, destinationIds, failoverAfterAttempts, maxAttemptsPerDestination, body: { kind: 'plain', encoding: 'utf8', data: '{"paid":true}' }, contentType: 'application/json', createdAt: EARLIER },
});
const created = createdWith(['dst_1'], null);
const ok: InboundAttemptOutcome = { kind: 'succeeded', responseStatus: 200, responseBody: 'ok', latencyMs: 9 };
const down: InboundAttemptOutcome = { kind: 'failed', responseStatus: 503, responseBody: 'down', latencyMs: 20, error: 'HTTP 503', final: false };
const gone: InboundAttemptOutcome = { kind: 'failed', responseStatus: 410, responseBody: '', latencyMs: 5, error: 'HTTP 410: the receiver is gone', final: true };

const attempt = (n: number, outcome: InboundAttemptOutcome, retryDelayMs: number | null = 1000): RecordInboundAttempt => ({
  type: 'RecordInboundAttempt',
  data: { deliveryId: 'ibd_1', attemptId: `att_${n}`, attemptNumber: n, outcome, retryDelayMs },
  metadata: meta,
});
const record = (n: number, destinationId: string, status: number, body: string, latencyMs: number, attemptedAt = NOW) => ({
  ...ref,
  destinationId,
  attemptId: `att_${n}`,
  attemptNumber: n,
  responseStatus: status,
  responseBody: body,
  latencyMs,
  attemptedAt,
});
const failed = (n: number, destinationId = 'dst_1'): InboundAttemptFailed => ({ type: 'InboundAttemptFailed', data: { ...record(n, destinationId, 503, 'down', 20, EARLIER), error: 'HTTP 503' } });
const scheduled = (n: number, destinationId = 'dst_1'): InboundRetryScheduled => ({ type: 'InboundRetryScheduled', data: { ...ref, destinationId, attemptNumber: n, dueAt: EARLIER, scheduledAt: EARLIER } });
const failedOver = (from: string, to: string, after: number): InboundDeliveryFailedOver => ({
  type: 'InboundDeliveryFailedOver',
  data: { ...ref, fromDestinationId: from, toDestinationId: to, afterAttempts: after, failedOverAt: EARLIER },
});
const exhausted: InboundDeliveryExhausted = { type: 'InboundDeliveryExhausted', data: { ...ref, destinationId: 'dst_1', attempts: 3, reason: 'No attempt left after 3 of 3 at dst_1.', exhaustedAt: EARLIER } };

describe('inbound delivery decider', () => {
  it('fails twice then succeeds: every attempt recorded, retries scheduled by the given delay', () => {
    spec
      .given([created])
      .when(attempt(1, down))
      .then([
        { type: 'InboundAttemptFailed', data: { ...record(1, 'dst_1', 503, 'down', 20), error: 'HTTP 503' } },
        { type: 'InboundRetryScheduled', data: { ...ref, destinationId: 'dst_1', attemptNumber: 2, dueAt: '2026-01-01T00:00:01.000Z', scheduledAt: NOW } },
      ]);
    const state = spec.given([created, failed(1), scheduled(2), failed(2), scheduled(3)]).when(attempt(3, ok)).then([{ type: 'InboundAttemptSucceeded', data: record(3, 'dst_1', 200, 'ok', 9) }]);
    expect(state).toMatchObject({ status: 'created', delivery: { status: 'success', attempts: 3 } });
  });

  it('lands in the DLQ when the last destination has no attempt left', () => {
    spec
      .given([created, failed(1), scheduled(2), failed(2), scheduled(3)])
      .when(attempt(3, down))
      .then([
        { type: 'InboundAttemptFailed', data: { ...record(3, 'dst_1', 503, 'down', 20), error: 'HTTP 503' } },
        { ...exhausted, data: { ...exhausted.data, exhaustedAt: NOW } },
      ]);
  });

  it('fails over after N failed attempts, then gives the failover its own budget', () => {
    const withFailover = createdWith(['dst_1', 'dst_2'], 2);
    spec
      .given([withFailover, failed(1), scheduled(2)])
      .when(attempt(2, down))
      .then([
        { type: 'InboundAttemptFailed', data: { ...record(2, 'dst_1', 503, 'down', 20), error: 'HTTP 503' } },
        { type: 'InboundDeliveryFailedOver', data: { ...ref, fromDestinationId: 'dst_1', toDestinationId: 'dst_2', afterAttempts: 2, failedOverAt: NOW } },
        { type: 'InboundRetryScheduled', data: { ...ref, destinationId: 'dst_2', attemptNumber: 3, dueAt: NOW, scheduledAt: NOW } },
      ]);
    const state = spec
      .given([withFailover, failed(1), scheduled(2), failed(2), failedOver('dst_1', 'dst_2', 2), scheduled(3, 'dst_2')])
      .when(attempt(3, ok))
      .then([{ type: 'InboundAttemptSucceeded', data: record(3, 'dst_2', 200, 'ok', 9) }]);
    expect(state).toMatchObject({ delivery: { destinationIndex: 1, status: 'success' } });
  });

  it('a final refusal fails over at once when there is a next destination, else exhausts', () => {
    const withFailover = createdWith(['dst_1', 'dst_2'], 3);
    const events = spec.given([withFailover]).when(attempt(1, gone)).then([
      { type: 'InboundAttemptFailed', data: { ...record(1, 'dst_1', 410, '', 5), error: 'HTTP 410: the receiver is gone' } },
      { type: 'InboundDeliveryFailedOver', data: { ...ref, fromDestinationId: 'dst_1', toDestinationId: 'dst_2', afterAttempts: 1, failedOverAt: NOW } },
      { type: 'InboundRetryScheduled', data: { ...ref, destinationId: 'dst_2', attemptNumber: 2, dueAt: NOW, scheduledAt: NOW } },
    ]);
    expect(events).toMatchObject({ delivery: { destinationIndex: 1 } });
    spec.given([created]).when(attempt(1, gone)).then([
      { type: 'InboundAttemptFailed', data: { ...record(1, 'dst_1', 410, '', 5), error: 'HTTP 410: the receiver is gone' } },
      { type: 'InboundDeliveryExhausted', data: { ...ref, destinationId: 'dst_1', attempts: 1, reason: 'HTTP 410: the receiver is gone', exhaustedAt: NOW } },
    ]);
  });

  it('records each attempt once (a redelivered subscription event finds it there)', () => {
    spec.given([created, failed(1), scheduled(2)]).when(attempt(1, down)).thenThrows({ kind: 'conflict', code: 'attempt_already_recorded' });
  });

  it('a DLQ retry gives a fresh budget and delivers; a DLQ delete discards; a discarded delivery takes nothing more', () => {
    const dlq = [created, failed(1), scheduled(2), failed(2), scheduled(3), { ...failed(3) }, exhausted];
    const state = spec.given(dlq).when({ type: 'RequestInboundRetry', data: { deliveryId: 'ibd_1' }, metadata: meta }).then([
      { type: 'InboundRetryRequested', data: { ...ref, destinationId: 'dst_1', attemptNumber: 4, requestedAt: NOW } },
    ]);
    expect(state).toMatchObject({ delivery: { status: 'pending', attemptsOnDestination: 0, nextAttemptAt: NOW } });
    const retried = { type: 'InboundRetryRequested', data: { ...ref, destinationId: 'dst_1', attemptNumber: 4, requestedAt: EARLIER } } as const;
    spec.given([...dlq, retried]).when(attempt(4, ok)).then([{ type: 'InboundAttemptSucceeded', data: record(4, 'dst_1', 200, 'ok', 9) }]);
    const discarded = { type: 'InboundDeliveryDiscarded', data: { ...ref, discardedAt: EARLIER } } as const;
    spec.given(dlq).when({ type: 'DiscardInboundDelivery', data: { deliveryId: 'ibd_1' }, metadata: meta }).then([{ ...discarded, data: { ...discarded.data, discardedAt: NOW } }]);
    spec.given([...dlq, discarded]).when({ type: 'RequestInboundRetry', data: { deliveryId: 'ibd_1' }, metadata: meta }).thenThrows({ kind: 'conflict', code: 'delivery_ended' });
    spec.given([created]).when({ type: 'DiscardInboundDelivery', data: { deliveryId: 'ibd_1' }, metadata: meta }).thenThrows({ kind: 'conflict', code: 'not_in_dlq' });
  });

  it('a delivery needs a destination and a budget', () => {
    const { createdAt: _at, ...data } = createdWith([], null).data;
    spec.given([]).when({ type: 'CreateInboundDelivery', data, metadata: meta }).thenThrows({ kind: 'validation', code: 'validation_failed', field: 'destinationIds', rule: 'required' });
  });
});
