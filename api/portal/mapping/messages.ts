import type { JsonObject } from '../../../domain/json';
import type { DeliveryStatus } from '../../../domain/outbound/outbound';
import type { AttemptDoc, MessageDoc, OutboundDoc } from '../../../projections/readModels';
import type { EndpointTestResult } from '../../commands/endpointTest';
import { attemptOut, outboundOut } from '../../compat/messages.mapping';

// The portal's messages: one per delivery (our outbound message, `out_…`), with its attempts.

/** The statuses the clients filter by; `dlq` is our `exhausted`, and nothing of ours is ever `processing`. */
export const PORTAL_STATUSES = ['pending', 'processing', 'success', 'failed', 'exhausted', 'dlq'] as const;
export type PortalStatus = (typeof PORTAL_STATUSES)[number];

/** Our status for a filter; null when no delivery of ours can have it. */
export const statusIn = (status: PortalStatus): DeliveryStatus | null => {
  switch (status) {
    case 'dlq':
      return 'exhausted';
    case 'processing':
      return null;
    default:
      return status;
  }
};

export const messageOut = (o: OutboundDoc): JsonObject => ({
  id: o.id,
  eventType: o.eventType,
  endpointId: o.endpointId,
  endpointUrl: o.endpointUrl,
  status: o.status,
  attempts: o.attempts,
  lastAttemptAt: o.lastAttemptAt,
  nextAttemptAt: o.nextAttemptAt,
  createdAt: o.createdAt,
});

/** An attempt as `/api/outbound-messages/:id/attempts` gives it (COMPAT.md: "as /api/outbound-messages"). */
export { attemptOut };

/** One delivery as `/api/outbound-messages/:id` gives it, plus `deliveryAttempts`: every attempt, first to last. */
export const messageDetailOut = (o: OutboundDoc, message: MessageDoc | null, attempts: readonly AttemptDoc[]): JsonObject => ({
  // The portal does not show the application's name (it is the token's own application): null.
  ...outboundOut(o, { eventId: message?.eventId ?? null, lastResponseBody: attempts[attempts.length - 1]?.responseBody ?? null, applicationName: null }),
  deliveryAttempts: attempts.map(attemptOut),
});

export const replayOut = (originalId: string, replayed: OutboundDoc): JsonObject => ({
  originalMessageId: originalId,
  newMessageId: replayed.id,
  status: 'pending',
});

/** The endpoint test's answer, unwrapped, as the `/api` test gives it: 200 even when the receiver failed. */
export const testResultOut = (r: EndpointTestResult): JsonObject => ({
  success: r.attempt !== null && r.attempt.error === null,
  testEvent: { id: r.message.id, type: r.message.eventType, timestamp: r.message.timestamp },
  delivery: {
    status: r.attempt === null ? 'pending' : r.attempt.error === null ? 'success' : 'failed',
    responseStatus: r.attempt?.responseStatus ?? null,
    responseTimeMs: r.attempt === null ? null : Math.round(r.attempt.latencyMs),
    responseBody: r.attempt?.responseBody ?? null,
    errorMessage: r.attempt === null ? 'No answer yet: the delivery is still waiting for its attempt.' : r.attempt.error,
  },
  signature: { header: 'webhook-signature', value: r.signature.value, timestamp: r.signature.timestamp },
});
