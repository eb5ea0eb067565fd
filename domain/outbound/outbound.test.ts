import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../testing/deciderSpec';
import type { AttemptOutcome, RecordAttempt } from './decide';
import { outboundDecider } from './decide';
import type { AttemptFailed, AttemptSucceeded, DeliveryExhausted, RetryRequested, RetryScheduled } from './outbound';

const NOW = '2026-01-01T00:00:00.000Z';
const EARLIER = '2025-12-31T23:00:00.000Z';
const meta = { now: NOW };
const spec = deciderSpec(outboundDecider);

const ref = { outboundId: 'out_1', messageId: 'msg_1', endpointId: 'ep_1', applicationId: 'app_1' };

const ok: AttemptOutcome = { kind: 'succeeded', responseStatus: 200, responseBody: 'ok', latencyMs: 12 };
const serverError: AttemptOutcome = { kind: 'failed', responseStatus: 500, responseBody: 'oops', latencyMs: 30, error: 'HTTP 500', final: false };
const timeout: AttemptOutcome = { kind: 'failed', responseStatus: null, responseBody: '', latencyMs: 15_000, error: 'Timed out after 15 s', final: false };
const abort: AttemptOutcome = {
  kind: 'failed',
  responseStatus: 400,
  responseBody: 'no',
  latencyMs: 8,
  error: 'The receiver asked to stop (webhook-delivery: abort-message).',
  final: true,
};

const record = (attemptNumber: number, outcome: AttemptOutcome, retryDelayMs: number | null, maxAttempts = 3): RecordAttempt => ({
  type: 'RecordAttempt',
  data: { ...ref, attemptId: `att_${attemptNumber}`, attemptNumber, maxAttempts, outcome, retryDelayMs },
  metadata: meta,
});

const attempt = (attemptNumber: number, responseStatus: number | null, responseBody: string, latencyMs: number, attemptedAt = NOW) => ({
  ...ref,
  attemptId: `att_${attemptNumber}`,
  attemptNumber,
  responseStatus,
  responseBody,
  latencyMs,
  attemptedAt,
});

const failed = (n: number): AttemptFailed => ({ type: 'AttemptFailed', data: { ...attempt(n, 500, 'oops', 30, EARLIER), error: 'HTTP 500' } });
const scheduled = (n: number): RetryScheduled => ({ type: 'RetryScheduled', data: { ...ref, attemptNumber: n, dueAt: NOW, scheduledAt: EARLIER } });
const succeeded = (n: number): AttemptSucceeded => ({ type: 'AttemptSucceeded', data: attempt(n, 200, 'ok', 12, EARLIER) });
const exhausted = (n: number): DeliveryExhausted => ({
  type: 'DeliveryExhausted',
  data: { ...ref, attempts: n, reason: `No attempt left after ${n} of ${n}.`, exhaustedAt: EARLIER },
});
const requested = (n: number): RetryRequested => ({ type: 'RetryRequested', data: { ...ref, attemptNumber: n, requestedAt: EARLIER } });

describe('outbound decider', () => {
  describe('RecordAttempt', () => {
    it('records a first attempt that succeeded', () => {
      const state = spec
        .given([])
        .when(record(1, ok, 5_000))
        .then([{ type: 'AttemptSucceeded', data: attempt(1, 200, 'ok', 12) }]);
      expect(state).toEqual({ status: 'success', attempts: 1, nextAttemptAt: null });
    });

    it('records a failure and schedules the next attempt at now + delay', () => {
      const state = spec
        .given([])
        .when(record(1, serverError, 5_000))
        .then([
          { type: 'AttemptFailed', data: { ...attempt(1, 500, 'oops', 30), error: 'HTTP 500' } },
          { type: 'RetryScheduled', data: { ...ref, attemptNumber: 2, dueAt: '2026-01-01T00:00:05.000Z', scheduledAt: NOW } },
        ]);
      expect(state).toEqual({ status: 'failed', attempts: 1, nextAttemptAt: '2026-01-01T00:00:05.000Z' });
    });

    it('records a failure without a response (timeout) and schedules a retry', () => {
      spec
        .given([failed(1), scheduled(2)])
        .when(record(2, timeout, 5 * 60_000))
        .then([
          { type: 'AttemptFailed', data: { ...attempt(2, null, '', 15_000), error: 'Timed out after 15 s' } },
          { type: 'RetryScheduled', data: { ...ref, attemptNumber: 3, dueAt: '2026-01-01T00:05:00.000Z', scheduledAt: NOW } },
        ]);
    });

    it('records a success after failures', () => {
      const state = spec
        .given([failed(1), scheduled(2)])
        .when(record(2, ok, null))
        .then([{ type: 'AttemptSucceeded', data: attempt(2, 200, 'ok', 12) }]);
      expect(state).toEqual({ status: 'success', attempts: 2, nextAttemptAt: null });
    });

    it('exhausts the delivery when the last attempt fails', () => {
      const state = spec
        .given([failed(1), scheduled(2), failed(2), scheduled(3)])
        .when(record(3, serverError, 60_000, 3))
        .then([
          { type: 'AttemptFailed', data: { ...attempt(3, 500, 'oops', 30), error: 'HTTP 500' } },
          { type: 'DeliveryExhausted', data: { ...ref, attempts: 3, reason: 'No attempt left after 3 of 3.', exhaustedAt: NOW } },
        ]);
      expect(state).toEqual({ status: 'exhausted', attempts: 3, nextAttemptAt: null });
    });

    it('exhausts the delivery when the schedule has no delay left', () => {
      spec
        .given([])
        .when(record(1, serverError, null, 5))
        .then([
          { type: 'AttemptFailed', data: { ...attempt(1, 500, 'oops', 30), error: 'HTTP 500' } },
          { type: 'DeliveryExhausted', data: { ...ref, attempts: 1, reason: 'No attempt left after 1 of 5.', exhaustedAt: NOW } },
        ]);
    });

    it('exhausts the delivery at once on a final failure (abort), with its error as the reason', () => {
      const state = spec
        .given([])
        .when(record(1, abort, 5_000, 8))
        .then([
          { type: 'AttemptFailed', data: { ...attempt(1, 400, 'no', 8), error: 'The receiver asked to stop (webhook-delivery: abort-message).' } },
          {
            type: 'DeliveryExhausted',
            data: { ...ref, attempts: 1, reason: 'The receiver asked to stop (webhook-delivery: abort-message).', exhaustedAt: NOW },
          },
        ]);
      expect(state).toEqual({ status: 'exhausted', attempts: 1, nextAttemptAt: null });
    });

    it('refuses an attempt number already recorded', () => {
      spec
        .given([failed(1), scheduled(2)])
        .when(record(1, serverError, 5_000))
        .thenThrows({ kind: 'conflict', code: 'attempt_already_recorded' });
    });

    it('refuses an attempt number that skips one', () => {
      spec.given([]).when(record(2, ok, null)).thenThrows({ kind: 'conflict', code: 'attempt_already_recorded' });
    });

    it('refuses to record the same successful attempt twice', () => {
      spec.given([succeeded(1)]).when(record(1, ok, null)).thenThrows({ kind: 'conflict', code: 'attempt_already_recorded' });
    });

    it('refuses a further attempt on a delivered message that nobody asked to retry', () => {
      spec.given([succeeded(1)]).when(record(2, ok, null)).thenThrows({ kind: 'conflict', code: 'already_delivered' });
    });
  });

  describe('RequestRetry', () => {
    it('asks for the next attempt now on an exhausted delivery', () => {
      const state = spec
        .given([failed(1), exhausted(1)])
        .when({ type: 'RequestRetry', data: ref, metadata: meta })
        .then([{ type: 'RetryRequested', data: { ...ref, attemptNumber: 2, requestedAt: NOW } }]);
      expect(state).toEqual({ status: 'exhausted', attempts: 1, nextAttemptAt: NOW });
    });

    it('asks for the first attempt on a delivery not yet attempted', () => {
      spec
        .given([])
        .when({ type: 'RequestRetry', data: ref, metadata: meta })
        .then([{ type: 'RetryRequested', data: { ...ref, attemptNumber: 1, requestedAt: NOW } }]);
    });

    it('an attempt after a manual retry of an exhausted delivery is recorded, and exhausts it again if it fails', () => {
      spec
        .given([failed(1), exhausted(1), requested(2)])
        .when(record(2, serverError, 5_000, 1))
        .then([
          { type: 'AttemptFailed', data: { ...attempt(2, 500, 'oops', 30), error: 'HTTP 500' } },
          { type: 'DeliveryExhausted', data: { ...ref, attempts: 2, reason: 'No attempt left after 2 of 1.', exhaustedAt: NOW } },
        ]);
    });

    it('an attempt after a manual retry of an exhausted delivery can succeed', () => {
      const state = spec
        .given([failed(1), exhausted(1), requested(2)])
        .when(record(2, ok, null, 1))
        .then([{ type: 'AttemptSucceeded', data: attempt(2, 200, 'ok', 12) }]);
      expect(state).toEqual({ status: 'success', attempts: 2, nextAttemptAt: null });
    });

    it('a delivered message can be retried, and the new attempt is recorded (API.md: "whatever its status")', () => {
      spec
        .given([succeeded(1)])
        .when({ type: 'RequestRetry', data: ref, metadata: meta })
        .then([{ type: 'RetryRequested', data: { ...ref, attemptNumber: 2, requestedAt: NOW } }]);
      spec
        .given([succeeded(1), requested(2)])
        .when(record(2, ok, null))
        .then([{ type: 'AttemptSucceeded', data: attempt(2, 200, 'ok', 12) }]);
    });
  });
});
