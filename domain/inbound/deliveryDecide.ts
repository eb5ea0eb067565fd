import type { Command, Decider } from '../decider';
import { assertNever, conflict, notFound, validationError } from '../errors';
import type { InboundDeliveryCreated, InboundDeliveryEvent, InboundDeliveryRef, InboundDeliveryState } from './delivery';
import { evolveInboundDelivery, initialInboundDeliveryState } from './delivery';

export type InboundAttemptOutcome =
  | Readonly<{ kind: 'succeeded'; responseStatus: number; responseBody: string; latencyMs: number }>
  | Readonly<{ kind: 'failed'; responseStatus: number | null; responseBody: string; latencyMs: number; error: string; final: boolean }>;

export type CreateInboundDelivery = Command<'CreateInboundDelivery', Omit<InboundDeliveryCreated['data'], 'createdAt'>>;
export type RecordInboundAttempt = Command<
  'RecordInboundAttempt',
  {
    deliveryId: string;
    attemptId: string;
    attemptNumber: number;
    outcome: InboundAttemptOutcome;
    /** From the destination's retry schedule, decided by the dispatcher; null when it has no retry left. */
    retryDelayMs: number | null;
  }
>;
export type RequestInboundRetry = Command<'RequestInboundRetry', { deliveryId: string }>;
export type DiscardInboundDelivery = Command<'DiscardInboundDelivery', { deliveryId: string }>;

export type InboundDeliveryCommand = CreateInboundDelivery | RecordInboundAttempt | RequestInboundRetry | DiscardInboundDelivery;

const addMs = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();

/**
 * Failover: after `failoverAfterAttempts` failed attempts on a destination (or a final refusal), the next one in
 * the route's list takes over at once; the last destination retries until its budget is spent, then the delivery is
 * exhausted (the DLQ). A retry from the DLQ gives the current destination a fresh budget.
 */
export const decideInboundDelivery = (command: InboundDeliveryCommand, state: InboundDeliveryState): InboundDeliveryEvent[] => {
  const now = command.metadata.now;
  const id = command.data.deliveryId;
  if (command.type === 'CreateInboundDelivery') {
    if (state.status !== 'empty') throw conflict('inbound_delivery_exists', `Inbound delivery ${id} already exists.`);
    const d = command.data;
    if (d.destinationIds.length === 0) throw validationError('destinationIds', 'required', 'A delivery needs a destination.');
    if (!Number.isInteger(d.maxAttemptsPerDestination) || d.maxAttemptsPerDestination < 1) {
      throw validationError('maxAttemptsPerDestination', 'range', 'maxAttemptsPerDestination must be a whole number of at least 1.');
    }
    return [{ type: 'InboundDeliveryCreated', data: { ...d, createdAt: now } }];
  }
  if (state.status !== 'created') throw notFound('inbound delivery', id);
  const delivery = state.delivery;
  const ref: InboundDeliveryRef = delivery.ref;
  const destinationId = delivery.destinationIds[delivery.destinationIndex]!;
  switch (command.type) {
    case 'RecordInboundAttempt': {
      const { attemptId, attemptNumber, outcome, retryDelayMs } = command.data;
      if (attemptNumber !== delivery.attempts + 1) {
        throw conflict('attempt_already_recorded', `Attempt ${attemptNumber} of ${id} is already recorded (${delivery.attempts} so far).`);
      }
      if (delivery.status === 'success' || delivery.status === 'discarded') throw conflict('delivery_ended', `${id} is ${delivery.status === 'success' ? 'delivered' : 'discarded'}.`);
      const attempt = { ...ref, destinationId, attemptId, attemptNumber, responseStatus: outcome.responseStatus, responseBody: outcome.responseBody, latencyMs: outcome.latencyMs, attemptedAt: now };
      if (outcome.kind === 'succeeded') return [{ type: 'InboundAttemptSucceeded', data: attempt }];
      const events: InboundDeliveryEvent[] = [{ type: 'InboundAttemptFailed', data: { ...attempt, error: outcome.error } }];
      const onDestination = delivery.attemptsOnDestination + 1;
      const next = delivery.destinationIds[delivery.destinationIndex + 1];
      const failoverDue = delivery.failoverAfterAttempts !== null && onDestination >= delivery.failoverAfterAttempts;
      if (next !== undefined && (failoverDue || outcome.final || onDestination >= delivery.maxAttemptsPerDestination)) {
        events.push(
          { type: 'InboundDeliveryFailedOver', data: { ...ref, fromDestinationId: destinationId, toDestinationId: next, afterAttempts: onDestination, failedOverAt: now } },
          { type: 'InboundRetryScheduled', data: { ...ref, destinationId: next, attemptNumber: attemptNumber + 1, dueAt: now, scheduledAt: now } },
        );
      } else if (!outcome.final && retryDelayMs !== null && onDestination < delivery.maxAttemptsPerDestination) {
        events.push({ type: 'InboundRetryScheduled', data: { ...ref, destinationId, attemptNumber: attemptNumber + 1, dueAt: addMs(now, retryDelayMs), scheduledAt: now } });
      } else {
        const reason = outcome.final ? outcome.error : `No attempt left after ${onDestination} of ${delivery.maxAttemptsPerDestination} at ${destinationId}.`;
        events.push({ type: 'InboundDeliveryExhausted', data: { ...ref, destinationId, attempts: attemptNumber, reason, exhaustedAt: now } });
      }
      return events;
    }
    case 'RequestInboundRetry':
      if (delivery.status === 'discarded') throw conflict('delivery_ended', `${id} was discarded from the dead-letter queue.`);
      return [{ type: 'InboundRetryRequested', data: { ...ref, destinationId, attemptNumber: delivery.attempts + 1, requestedAt: now } }];
    case 'DiscardInboundDelivery':
      if (delivery.status !== 'exhausted') throw conflict('not_in_dlq', `${id} is not in the dead-letter queue (it is ${delivery.status}).`);
      return [{ type: 'InboundDeliveryDiscarded', data: { ...ref, discardedAt: now } }];
    default:
      return assertNever(command);
  }
};

export const inboundDeliveryDecider: Decider<InboundDeliveryState, InboundDeliveryCommand, InboundDeliveryEvent> = {
  decide: decideInboundDelivery,
  evolve: evolveInboundDelivery,
  initialState: initialInboundDeliveryState,
};
