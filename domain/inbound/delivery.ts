import type { Event } from '../decider';
import type { StoredBody } from './inboundEvent';

/** Who a delivery belongs to; repeated on every event so read models need no lookups. */
export type InboundDeliveryRef = { deliveryId: string; inboundEventId: string; routeId: string; sourceId: string };

type Attempt = InboundDeliveryRef & {
  destinationId: string;
  attemptId: string;
  attemptNumber: number;
  responseStatus: number | null;
  /** First 4 KiB of the response body. */
  responseBody: string;
  latencyMs: number;
  attemptedAt: string;
};

/**
 * Written when the event is routed: the body as the route's transform made it (sealed for a transient source), the
 * destinations in failover order, and the attempt budget per destination (its retryCount + 1 at routing time).
 */
export type InboundDeliveryCreated = Event<
  'InboundDeliveryCreated',
  InboundDeliveryRef & {
    destinationIds: string[];
    failoverAfterAttempts: number | null;
    maxAttemptsPerDestination: number;
    body: StoredBody;
    contentType: string;
    createdAt: string;
    /** A replay with edits (the MCP server's replay_with_edit): headers sent over the destination's, and what was edited. */
    headersOverride?: Record<string, string>;
    replayOf?: { deliveryId: string; edits: string[] };
  }
>;
export type InboundAttemptSucceeded = Event<'InboundAttemptSucceeded', Attempt>;
export type InboundAttemptFailed = Event<'InboundAttemptFailed', Attempt & { error: string }>;
export type InboundRetryScheduled = Event<'InboundRetryScheduled', InboundDeliveryRef & { destinationId: string; attemptNumber: number; dueAt: string; scheduledAt: string }>;
export type InboundDeliveryFailedOver = Event<
  'InboundDeliveryFailedOver',
  InboundDeliveryRef & { fromDestinationId: string; toDestinationId: string; afterAttempts: number; failedOverAt: string }
>;
/** No attempt left on the last destination: the delivery is in the dead-letter queue. */
export type InboundDeliveryExhausted = Event<'InboundDeliveryExhausted', InboundDeliveryRef & { destinationId: string; attempts: number; reason: string; exhaustedAt: string }>;
/** A retry from the DLQ or a replay of the delivery: a fresh budget on the current destination. */
export type InboundRetryRequested = Event<'InboundRetryRequested', InboundDeliveryRef & { destinationId: string; attemptNumber: number; requestedAt: string }>;
/** Deleted from the DLQ: kept in the log, gone from the queue. */
export type InboundDeliveryDiscarded = Event<'InboundDeliveryDiscarded', InboundDeliveryRef & { discardedAt: string }>;

export type InboundDeliveryEvent =
  | InboundDeliveryCreated
  | InboundAttemptSucceeded
  | InboundAttemptFailed
  | InboundRetryScheduled
  | InboundDeliveryFailedOver
  | InboundDeliveryExhausted
  | InboundRetryRequested
  | InboundDeliveryDiscarded;

export type InboundDeliveryStatus = 'pending' | 'success' | 'failed' | 'exhausted' | 'discarded';

export type InboundDelivery = Readonly<{
  ref: InboundDeliveryRef;
  status: InboundDeliveryStatus;
  destinationIds: readonly string[];
  /** Which of `destinationIds` attempts go to now. */
  destinationIndex: number;
  failoverAfterAttempts: number | null;
  maxAttemptsPerDestination: number;
  attempts: number;
  attemptsOnDestination: number;
  nextAttemptAt: string | null;
}>;

export type InboundDeliveryState = Readonly<{ status: 'empty' }> | Readonly<{ status: 'created'; delivery: InboundDelivery }>;

export const initialInboundDeliveryState = (): InboundDeliveryState => ({ status: 'empty' });

const change = (state: InboundDeliveryState, patch: Partial<InboundDelivery>): InboundDeliveryState =>
  state.status === 'created' ? { status: 'created', delivery: { ...state.delivery, ...patch } } : state;

export const evolveInboundDelivery = (state: InboundDeliveryState, event: InboundDeliveryEvent): InboundDeliveryState => {
  switch (event.type) {
    case 'InboundDeliveryCreated': {
      const { deliveryId, inboundEventId, routeId, sourceId, destinationIds, failoverAfterAttempts, maxAttemptsPerDestination, createdAt } = event.data;
      return {
        status: 'created',
        delivery: {
          ref: { deliveryId, inboundEventId, routeId, sourceId },
          status: 'pending',
          destinationIds,
          destinationIndex: 0,
          failoverAfterAttempts,
          maxAttemptsPerDestination,
          attempts: 0,
          attemptsOnDestination: 0,
          nextAttemptAt: createdAt,
        },
      };
    }
    case 'InboundAttemptSucceeded':
      return change(state, { status: 'success', attempts: event.data.attemptNumber, nextAttemptAt: null });
    case 'InboundAttemptFailed':
      if (state.status !== 'created') return state;
      return change(state, { status: 'failed', attempts: event.data.attemptNumber, attemptsOnDestination: state.delivery.attemptsOnDestination + 1, nextAttemptAt: null });
    case 'InboundRetryScheduled':
      return change(state, { nextAttemptAt: event.data.dueAt });
    case 'InboundDeliveryFailedOver':
      if (state.status !== 'created') return state;
      return change(state, { destinationIndex: state.delivery.destinationIndex + 1, attemptsOnDestination: 0 });
    case 'InboundDeliveryExhausted':
      return change(state, { status: 'exhausted', nextAttemptAt: null });
    case 'InboundRetryRequested':
      return change(state, { status: 'pending', attemptsOnDestination: 0, nextAttemptAt: event.data.requestedAt });
    case 'InboundDeliveryDiscarded':
      return change(state, { status: 'discarded', nextAttemptAt: null });
    default: {
      const never: never = event;
      return never;
    }
  }
};
