import type { Event } from '../decider.js';

/** Who an attempt belongs to; repeated on every attempt event so read models need no lookups. */
export type DeliveryRef = { outboundId: string; messageId: string; endpointId: string; applicationId: string };

/**
 * What was put on the wire for an attempt (issue 18, signed delivery receipts): enough for a receipt to prove which
 * bytes were sent where and how they were signed. Never a secret: the signature is an HMAC output, the body a hash.
 * Absent on attempts recorded before receipts existed, and on attempts that sent nothing (endpoint disabled or gone).
 */
export type SentRequest = {
  /** The endpoint URL the request went to. */
  url: string;
  /** The `webhook-id` header sent. */
  webhookId: string;
  /** The `webhook-timestamp` header sent, exactly (Unix seconds as a decimal string). */
  webhookTimestamp: string;
  /** The `webhook-signature` header sent, exactly (one `v1,…` per valid secret, space-separated). */
  webhookSignature: string;
  /** SHA-256 of the exact body bytes sent, 64 lowercase hex digits. */
  bodySha256: string;
  /** When the request was handed to the connection (ISO 8601). */
  sentAt: string;
};

type AttemptRecord = DeliveryRef & {
  attemptId: string;
  attemptNumber: number;
  responseStatus: number | null;
  /** First 4 KiB of the response body. */
  responseBody: string;
  latencyMs: number;
  attemptedAt: string;
  /** Since issue 18: the request as sent (see SentRequest). */
  request?: SentRequest;
  /**
   * Since issue 18: SHA-256 (hex) of the response body bytes read, which is the whole body up to 4 KiB (past it the
   * attempt reads no further); null when no response came.
   */
  responseBodySha256?: string | null;
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
