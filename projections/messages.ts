import type { OutboundRef } from '../domain/message/message';
import type { DeliveryRef } from '../domain/outbound/outbound';
import type { ReadStoreTransaction, WriteCollection } from '../store/readStore';
import { collections } from './readModels';
import type { AttemptDoc, DueDeliveryDoc, MessageDoc, OutboundDoc } from './readModels';
import { projection } from './projection';

export const messagesProjection = projection('messages', [collections.messages], ['MessageSent', 'MessageResent'], async (event, tx) => {
  const messages = tx.collection<MessageDoc>(collections.messages);
  if (event.type === 'MessageSent') {
    const { messageId, outbound, ...rest } = event.data;
    await messages.put({ id: messageId, ...rest, outboundIds: outbound.map((o) => o.outboundId) });
  } else if (event.type === 'MessageResent') {
    const message = await messages.get(event.data.messageId);
    if (message) await messages.put({ ...message, outboundIds: [...message.outboundIds, ...event.data.outbound.map((o) => o.outboundId)] });
  }
});

const putPending = async (
  outbound: WriteCollection<OutboundDoc>,
  refs: readonly OutboundRef[],
  m: { messageId: string; applicationId: string; eventType: string },
  createdAt: string,
): Promise<void> => {
  for (const ref of refs) {
    await outbound.put({
      id: ref.outboundId,
      applicationId: m.applicationId,
      messageId: m.messageId,
      endpointId: ref.endpointId,
      endpointUrl: ref.endpointUrl,
      eventType: m.eventType,
      status: 'pending',
      attempts: 0,
      maxAttempts: ref.maxAttempts,
      lastAttemptAt: null,
      nextAttemptAt: createdAt,
      lastResponseStatus: null,
      lastError: null,
      deliveredAt: null,
      createdAt,
    });
  }
};

const patch = async (tx: ReadStoreTransaction, ref: DeliveryRef, change: Partial<OutboundDoc>): Promise<void> => {
  const outbound = tx.collection<OutboundDoc>(collections.outbound);
  const doc = await outbound.get(ref.outboundId);
  if (doc) await outbound.put({ ...doc, ...change });
};

export const outboundProjection = projection(
  'outbound',
  [collections.outbound],
  ['MessageSent', 'MessageResent', 'AttemptSucceeded', 'AttemptFailed', 'RetryScheduled', 'DeliveryExhausted', 'RetryRequested'],
  async (event, tx) => {
    const outbound = tx.collection<OutboundDoc>(collections.outbound);
    switch (event.type) {
      case 'MessageSent':
        return putPending(outbound, event.data.outbound, event.data, event.data.timestamp);
      case 'MessageResent':
        return putPending(outbound, event.data.outbound, event.data, event.data.resentAt);
      case 'AttemptSucceeded': {
        const d = event.data;
        return patch(tx, d, { status: 'success', attempts: d.attemptNumber, lastAttemptAt: d.attemptedAt, nextAttemptAt: null, lastResponseStatus: d.responseStatus, lastError: null, deliveredAt: d.attemptedAt });
      }
      case 'AttemptFailed': {
        const d = event.data;
        return patch(tx, d, { status: 'failed', attempts: d.attemptNumber, lastAttemptAt: d.attemptedAt, nextAttemptAt: null, lastResponseStatus: d.responseStatus, lastError: d.error });
      }
      case 'RetryScheduled':
        return patch(tx, event.data, { nextAttemptAt: event.data.dueAt });
      case 'DeliveryExhausted':
        return patch(tx, event.data, { status: 'exhausted', nextAttemptAt: null });
      case 'RetryRequested':
        return patch(tx, event.data, { nextAttemptAt: event.data.requestedAt });
      default:
        return;
    }
  },
);

export const attemptsProjection = projection('attempts', [collections.attempts], ['AttemptSucceeded', 'AttemptFailed'], async (event, tx) => {
  if (event.type !== 'AttemptSucceeded' && event.type !== 'AttemptFailed') return;
  const d = event.data;
  await tx.collection<AttemptDoc>(collections.attempts).put({
    id: d.attemptId,
    outboundMessageId: d.outboundId,
    applicationId: d.applicationId,
    endpointId: d.endpointId,
    attemptNumber: d.attemptNumber,
    responseStatus: d.responseStatus,
    responseBody: d.responseBody,
    error: event.type === 'AttemptFailed' ? event.data.error : null,
    latencyMs: d.latencyMs,
    attemptedAt: d.attemptedAt,
  });
});

/** Invariant 4: retries come from this due-queue, so any dispatcher can run them and a rebuild recreates them. */
export const dueDeliveriesProjection = projection(
  'due_deliveries',
  [collections.dueDeliveries],
  ['RetryScheduled', 'RetryRequested', 'AttemptSucceeded', 'AttemptFailed', 'DeliveryExhausted'],
  async (event, tx) => {
    const due = tx.collection<DueDeliveryDoc>(collections.dueDeliveries);
    switch (event.type) {
      case 'RetryScheduled':
      case 'RetryRequested': {
        const { outboundId, messageId, endpointId, applicationId, attemptNumber } = event.data;
        const dueAt = event.type === 'RetryScheduled' ? event.data.dueAt : event.data.requestedAt;
        return due.put({ id: outboundId, messageId, endpointId, applicationId, attemptNumber, dueAt });
      }
      case 'AttemptSucceeded':
      case 'AttemptFailed':
      case 'DeliveryExhausted': {
        // Only clear an entry this attempt consumed; a retry requested meanwhile stays queued.
        const entry = await due.get(event.data.outboundId);
        const consumed = event.type === 'DeliveryExhausted' || (entry !== null && entry.attemptNumber <= event.data.attemptNumber);
        if (entry && consumed) await due.delete(event.data.outboundId);
        return;
      }
      default:
        return;
    }
  },
);
