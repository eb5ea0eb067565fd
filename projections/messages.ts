import type { OutboundRef } from '../domain/message/message';
import type { DeliveryRef } from '../domain/outbound/outbound';
import type { RecordedEvent } from '../store/eventStore';
import type { ReadStoreTransaction, WriteCollection } from '../store/readStore';
import { activeTracing } from '../observability/tracing';
import { collections } from './readModels';
import type { AttemptDoc, DueDeliveryDoc, MessageDoc, OutboundDoc } from './readModels';
import { projection } from './projection';
import { DeliveryStatsWriter } from './deliveryStats';

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

/**
 * `fresh`: the deliveries are new (MessageSent names outbound ids made for it), so there is no previous document
 * to read; a resend names existing ones, whose previous status the statistics move from.
 */
const putPending = async (
  outbound: WriteCollection<OutboundDoc>,
  stats: DeliveryStatsWriter,
  refs: readonly OutboundRef[],
  m: { messageId: string; applicationId: string; eventType: string },
  createdAt: string,
  fresh: boolean,
): Promise<void> => {
  for (const ref of refs) {
    const previous = fresh ? null : await outbound.get(ref.outboundId);
    await stats.statusChanged({ endpointId: ref.endpointId, applicationId: m.applicationId }, previous?.status ?? null, 'pending');
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

const patch = async (tx: ReadStoreTransaction, stats: DeliveryStatsWriter, ref: DeliveryRef, change: Partial<OutboundDoc>): Promise<void> => {
  const outbound = tx.collection<OutboundDoc>(collections.outbound);
  const doc = await outbound.get(ref.outboundId);
  if (!doc) return;
  if (change.status !== undefined) await stats.statusChanged(doc, doc.status, change.status);
  await outbound.put({ ...doc, ...change });
};

/** The statistics of a batch, written once at its end (`endBatch`): one get and one put per stats document per batch. */
const batchStats = new WeakMap<ReadStoreTransaction, DeliveryStatsWriter>();
const statsOf = (tx: ReadStoreTransaction): DeliveryStatsWriter => {
  let stats = batchStats.get(tx);
  if (!stats) batchStats.set(tx, (stats = new DeliveryStatsWriter(tx)));
  return stats;
};

/**
 * Events older than this are replayed (a rebuild, a catch-up after a long stop), not sent now: their traces were
 * exported long ago, and a rebuild would otherwise export a span per message ever sent.
 */
export const FAN_OUT_TRACED_WITHIN_MS = 5 * 60_000;

/** The fan-out's span when tracing is on (observability/tracing.ts), joined to the send by the event's metadata. */
const fanOutSpan = (recorded: RecordedEvent, messageId: string, deliveries: number): (() => void) | null => {
  const tracing = activeTracing;
  if (tracing === null || Date.now() - recorded.created.getTime() > FAN_OUT_TRACED_WITHIN_MS) return null;
  return tracing.fanOut(recorded.metadata, recorded.type, messageId, deliveries);
};

/** The deliveries, and the delivery statistics that follow from them (deliveryStats.ts). */
export const outboundProjection = projection(
  'outbound',
  [collections.outbound, collections.endpointStats, collections.applicationStats],
  ['MessageSent', 'MessageResent', 'AttemptSucceeded', 'AttemptFailed', 'RetryScheduled', 'DeliveryExhausted', 'RetryRequested'],
  async (event, tx, recorded) => {
    const outbound = tx.collection<OutboundDoc>(collections.outbound);
    const stats = statsOf(tx);
    switch (event.type) {
      case 'MessageSent': {
        const end = fanOutSpan(recorded, event.data.messageId, event.data.outbound.length);
        await stats.messageSent(event.data.applicationId, event.data.timestamp);
        await putPending(outbound, stats, event.data.outbound, event.data, event.data.timestamp, true);
        end?.();
        break;
      }
      case 'MessageResent': {
        const end = fanOutSpan(recorded, event.data.messageId, event.data.outbound.length);
        await putPending(outbound, stats, event.data.outbound, event.data, event.data.resentAt, false);
        end?.();
        break;
      }
      case 'AttemptSucceeded':
      case 'AttemptFailed': {
        const d = event.data;
        const ok = event.type === 'AttemptSucceeded';
        await stats.attempt({ ...d, ok });
        await patch(tx, stats, d, {
          status: ok ? 'success' : 'failed',
          attempts: d.attemptNumber,
          lastAttemptAt: d.attemptedAt,
          nextAttemptAt: null,
          lastResponseStatus: d.responseStatus,
          lastError: event.type === 'AttemptFailed' ? event.data.error : null,
          ...(ok ? { deliveredAt: d.attemptedAt } : {}),
        });
        break;
      }
      case 'RetryScheduled':
        await patch(tx, stats, event.data, { nextAttemptAt: event.data.dueAt });
        break;
      case 'DeliveryExhausted':
        await patch(tx, stats, event.data, { status: 'exhausted', nextAttemptAt: null });
        break;
      case 'RetryRequested':
        await patch(tx, stats, event.data, { nextAttemptAt: event.data.requestedAt });
        break;
      default:
        return;
    }
  },
  async (tx) => {
    const stats = batchStats.get(tx);
    if (!stats) return;
    batchStats.delete(tx);
    await stats.flush();
  },
);

export const attemptsProjection = projection('attempts', [collections.attempts], ['AttemptSucceeded', 'AttemptFailed'], async (event, tx) => {
  if (event.type !== 'AttemptSucceeded' && event.type !== 'AttemptFailed') return;
  const d = event.data;
  await tx.collection<AttemptDoc>(collections.attempts).put({
    id: d.attemptId,
    outboundMessageId: d.outboundId,
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
