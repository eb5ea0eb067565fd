import type { Command, Decider } from '../decider';
import { assertNever, conflict } from '../errors';
import type { DeliveryRef, OutboundEvent, OutboundState, SentRequest } from './outbound';
import { evolveOutbound, initialOutboundState } from './outbound';

/** What a receipt proves of an attempt that sent a request (absent when nothing was sent). */
type Evidence = { request?: SentRequest; responseBodySha256?: string | null };

export type AttemptOutcome =
  | Readonly<{ kind: 'succeeded'; responseStatus: number; responseBody: string; latencyMs: number } & Evidence>
  | Readonly<
      {
        kind: 'failed';
        responseStatus: number | null;
        responseBody: string;
        latencyMs: number;
        error: string;
        /** The receiver answered `webhook-delivery: abort-message`, or the failure is final (410, endpoint gone). */
        final: boolean;
      } & Evidence
    >;

export type RecordAttempt = Command<
  'RecordAttempt',
  DeliveryRef & {
    attemptId: string;
    attemptNumber: number;
    maxAttempts: number;
    outcome: AttemptOutcome;
    /** From the retry schedule (with jitter), decided by the dispatcher; null when no retry is left. */
    retryDelayMs: number | null;
  }
>;
export type RequestRetry = Command<'RequestRetry', DeliveryRef>;
/**
 * The dispatcher hands an attempt to the due-queue without running it (its endpoint's circuit is open, or its
 * queue is full): the delivery stays durable and no attempt is burned.
 */
export type ScheduleAttempt = Command<'ScheduleAttempt', DeliveryRef & { attemptNumber: number; dueAt: string }>;

export type OutboundCommand = RecordAttempt | RequestRetry | ScheduleAttempt;

const addMs = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

/**
 * Event data is written out property by property, never as `{ ...ref, more }`: on Node 20's V8 an object spread
 * followed by further properties costs about a microsecond per property, and this runs for every attempt.
 */
export const decideOutbound = (command: OutboundCommand, state: OutboundState): OutboundEvent[] => {
  const now = command.metadata.now;
  switch (command.type) {
    case 'RecordAttempt': {
      const { attemptNumber, maxAttempts, outcome, retryDelayMs, attemptId, outboundId, messageId, endpointId, applicationId } = command.data;
      // An attempt is recorded once: a redelivered subscription event finds it already there.
      if (attemptNumber !== state.attempts + 1) {
        throw conflict('attempt_already_recorded', `Attempt ${attemptNumber} of ${outboundId} is already recorded (${state.attempts} so far).`);
      }
      // A delivered message takes a further attempt only when one was asked for (API.md: a retry runs "whatever its status").
      if (state.status === 'success' && state.nextAttemptAt === null) throw conflict('already_delivered', `${outboundId} was already delivered.`);
      const { responseStatus, responseBody, latencyMs, request, responseBodySha256 } = outcome;
      if (outcome.kind === 'succeeded') {
        const data =
          request === undefined
            ? { outboundId, messageId, endpointId, applicationId, attemptId, attemptNumber, responseStatus: outcome.responseStatus, responseBody, latencyMs, attemptedAt: now }
            : { outboundId, messageId, endpointId, applicationId, attemptId, attemptNumber, responseStatus: outcome.responseStatus, responseBody, latencyMs, attemptedAt: now, request, responseBodySha256: responseBodySha256 ?? null };
        return [{ type: 'AttemptSucceeded', data }];
      }
      // The receipt's evidence only when a request went out: an attempt that sent nothing has nothing to prove.
      const failed: OutboundEvent = {
        type: 'AttemptFailed',
        data:
          request === undefined
            ? { outboundId, messageId, endpointId, applicationId, attemptId, attemptNumber, responseStatus, responseBody, latencyMs, attemptedAt: now, error: outcome.error }
            : { outboundId, messageId, endpointId, applicationId, attemptId, attemptNumber, responseStatus, responseBody, latencyMs, attemptedAt: now, error: outcome.error, request, responseBodySha256: responseBodySha256 ?? null },
      };
      if (!outcome.final && retryDelayMs !== null && attemptNumber < maxAttempts) {
        const dueAt = addMs(now, retryDelayMs);
        return [failed, { type: 'RetryScheduled', data: { outboundId, messageId, endpointId, applicationId, attemptNumber: attemptNumber + 1, dueAt, scheduledAt: now } }];
      }
      const reason = outcome.final ? outcome.error : `No attempt left after ${attemptNumber} of ${maxAttempts}.`;
      return [failed, { type: 'DeliveryExhausted', data: { outboundId, messageId, endpointId, applicationId, attempts: attemptNumber, reason, exhaustedAt: now } }];
    }
    case 'RequestRetry': {
      const { outboundId, messageId, endpointId, applicationId } = command.data;
      return [{ type: 'RetryRequested', data: { outboundId, messageId, endpointId, applicationId, attemptNumber: state.attempts + 1, requestedAt: now } }];
    }
    case 'ScheduleAttempt': {
      const { attemptNumber, dueAt, outboundId, messageId, endpointId, applicationId } = command.data;
      if (attemptNumber !== state.attempts + 1) {
        throw conflict('attempt_already_recorded', `Attempt ${attemptNumber} of ${outboundId} is already recorded (${state.attempts} so far).`);
      }
      if (state.status === 'success' && state.nextAttemptAt === null) throw conflict('already_delivered', `${outboundId} was already delivered.`);
      return [{ type: 'RetryScheduled', data: { outboundId, messageId, endpointId, applicationId, attemptNumber, dueAt, scheduledAt: now } }];
    }
    default:
      return assertNever(command);
  }
};

export const outboundDecider: Decider<OutboundState, OutboundCommand, OutboundEvent> = {
  decide: decideOutbound,
  evolve: evolveOutbound,
  initialState: initialOutboundState,
};
