import type { Event } from '../decider';

/** Who an attempt belongs to; repeated on every attempt event so read models need no lookups. */
export type DeliveryRef = { outboundId: string; messageId: string; endpointId: string; applicationId: string };

type AttemptRecord = DeliveryRef & {
  attemptId: string;
  attemptNumber: number;
  responseStatus: number | null;
  /** First 4 KiB of the response body. */
  responseBody: string;
  latencyMs: number;
  attemptedAt: string;
};

export type AttemptSucceeded = Event<'AttemptSucceeded', AttemptRecord>;
export type AttemptFailed = Event<'AttemptFailed', AttemptRecord & { error: string }>;
export type RetryScheduled = Event<'RetryScheduled', DeliveryRef & { attemptNumber: number; dueAt: string; scheduledAt: string }>;
export type DeliveryExhausted = Event<'DeliveryExhausted', DeliveryRef & { attempts: number; reason: string; exhaustedAt: string }>;
export type RetryRequested = Event<'RetryRequested', DeliveryRef & { attemptNumber: number; requestedAt: string }>;

export type OutboundEvent = AttemptSucceeded | AttemptFailed | RetryScheduled | DeliveryExhausted | RetryRequested;

export type DeliveryStatus = 'pending' | 'success' | 'failed' | 'exhausted';

export type OutboundState = Readonly<{
  status: DeliveryStatus;
  attempts: number;
  /** When the next attempt is due, if one is scheduled or requested. */
  nextAttemptAt: string | null;
}>;

export const initialOutboundState = (): OutboundState => ({ status: 'pending', attempts: 0, nextAttemptAt: null });

export const evolveOutbound = (state: OutboundState, event: OutboundEvent): OutboundState => {
  switch (event.type) {
    case 'AttemptSucceeded':
      return { status: 'success', attempts: event.data.attemptNumber, nextAttemptAt: null };
    case 'AttemptFailed':
      return { status: 'failed', attempts: event.data.attemptNumber, nextAttemptAt: null };
    // Written out (not `{ ...state, … }`): see decideOutbound.
    case 'RetryScheduled':
      return { status: state.status, attempts: state.attempts, nextAttemptAt: event.data.dueAt };
    case 'DeliveryExhausted':
      return { status: 'exhausted', attempts: state.attempts, nextAttemptAt: null };
    case 'RetryRequested':
      return { status: state.status, attempts: state.attempts, nextAttemptAt: event.data.requestedAt };
    default: {
      const never: never = event;
      return never;
    }
  }
};
