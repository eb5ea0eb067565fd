// The outbound decider's ScheduleAttempt, added for the dispatcher (domain/outbound/decide.ts).
import { describe, it } from 'vitest';
import type { ScheduleAttempt } from '../domain/outbound/decide';
import { outboundDecider } from '../domain/outbound/decide';
import type { OutboundEvent } from '../domain/outbound/outbound';
import { deciderSpec } from '../domain/testing/deciderSpec';

const NOW = '2026-01-01T00:00:00.000Z';
const ref = { outboundId: 'out_1', messageId: 'msg_1', endpointId: 'ep_1', applicationId: 'app_1' };
const spec = deciderSpec(outboundDecider);
const schedule = (attemptNumber: number, dueAt = '2026-01-01T00:00:30.000Z'): ScheduleAttempt => ({
  type: 'ScheduleAttempt',
  data: { ...ref, attemptNumber, dueAt },
  metadata: { now: NOW },
});
const attempt = { ...ref, attemptId: 'att_1', attemptNumber: 1, responseStatus: 500, responseBody: '', latencyMs: 5, attemptedAt: NOW };
const failed: OutboundEvent = { type: 'AttemptFailed', data: { ...attempt, error: 'HTTP 500' } };
const succeeded: OutboundEvent = { type: 'AttemptSucceeded', data: { ...attempt, responseStatus: 200 } };

describe('ScheduleAttempt', () => {
  it('hands the next attempt to the due-queue without recording one', () => {
    spec.given([]).when(schedule(1)).then([{ type: 'RetryScheduled', data: { ...ref, attemptNumber: 1, dueAt: '2026-01-01T00:00:30.000Z', scheduledAt: NOW } }]);
    spec.given([failed]).when(schedule(2)).then([{ type: 'RetryScheduled', data: { ...ref, attemptNumber: 2, dueAt: '2026-01-01T00:00:30.000Z', scheduledAt: NOW } }]);
  });

  it('refuses an attempt that is already recorded, and a delivered message', () => {
    spec.given([failed]).when(schedule(1)).thenThrows({ kind: 'conflict', code: 'attempt_already_recorded' });
    spec.given([succeeded]).when(schedule(2)).thenThrows({ kind: 'conflict', code: 'already_delivered' });
  });
});
