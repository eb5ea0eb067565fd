// The delivery report an auditor reads, folded from verified events with the domain's own evolve functions
// (domain/message/message.ts, domain/outbound/outbound.ts): the SDK build compiles those modules in, so the fold in a
// browser is the fold the server runs. Pure: no `node:` import.
import type { MessageEvent, MessageState } from '../../../domain/message/message.js';
import { evolveMessage, initialMessageState } from '../../../domain/message/message.js';
import type { OutboundEvent, OutboundState, SentRequest } from '../../../domain/outbound/outbound.js';
import { evolveOutbound, initialOutboundState } from '../../../domain/outbound/outbound.js';
import type { ChainedEvent } from './streams.js';

export type ReportAttempt = Readonly<{
  attemptNumber: number;
  attemptId: string;
  outcome: 'succeeded' | 'failed';
  responseStatus: number | null;
  latencyMs: number;
  attemptedAt: string;
  error: string | null;
  /** What was sent, for attempts recorded since receipts exist; null for older ones and for attempts that sent nothing. */
  request: SentRequest | null;
  responseBodySha256: string | null;
}>;

export type ReportDelivery = Readonly<{
  outboundId: string;
  endpointId: string;
  endpointUrl: string;
  /** The final status as the domain folds it: pending, success, failed, exhausted. */
  status: OutboundState['status'];
  attempts: readonly ReportAttempt[];
}>;

export type ReportMessage = Readonly<{
  messageId: string;
  eventType: string;
  eventId: string | null;
  timestamp: string;
  deliveries: readonly ReportDelivery[];
}>;

export type DeliveryReport = Readonly<{
  /** Messages in the order they were sent (their `timestamp`, then id). */
  messages: readonly ReportMessage[];
}>;

const MESSAGE_TYPES = new Set(['MessageSent', 'MessageResent']);
const OUTBOUND_TYPES = new Set(['AttemptSucceeded', 'AttemptFailed', 'RetryScheduled', 'DeliveryExhausted', 'RetryRequested']);

const byRevision = (a: ChainedEvent, b: ChainedEvent): number => Number(BigInt(a.revision) - BigInt(b.revision));

/** Groups events by stream, each in revision order. */
const streamsOf = (events: readonly ChainedEvent[]): Map<string, ChainedEvent[]> => {
  const out = new Map<string, ChainedEvent[]>();
  for (const e of events) {
    const list = out.get(e.stream) ?? [];
    list.push(e);
    out.set(e.stream, list);
  }
  for (const list of out.values()) list.sort(byRevision);
  return out;
};

/**
 * Folds the message and delivery streams among `events` (any order; other streams are ignored) into the report: per
 * message, each delivery (endpoint) with each attempt and its final status. Call it on verified events only.
 */
export const foldDeliveryReport = (events: readonly ChainedEvent[]): DeliveryReport => {
  const messages: { state: MessageState; outboundIds: string[] }[] = [];
  const deliveries = new Map<string, { state: OutboundState; attempts: ReportAttempt[] }>();
  for (const list of streamsOf(events).values()) {
    const first = list[0]!;
    if (MESSAGE_TYPES.has(first.type)) {
      const state = list.filter((e) => MESSAGE_TYPES.has(e.type)).reduce((s, e) => evolveMessage(s, { type: e.type, data: e.data } as MessageEvent), initialMessageState());
      messages.push({ state, outboundIds: [] });
    } else if (OUTBOUND_TYPES.has(first.type)) {
      let state = initialOutboundState();
      const attempts: ReportAttempt[] = [];
      for (const e of list) {
        if (!OUTBOUND_TYPES.has(e.type)) continue;
        const event = { type: e.type, data: e.data } as OutboundEvent;
        state = evolveOutbound(state, event);
        if (event.type === 'AttemptSucceeded' || event.type === 'AttemptFailed') {
          const d = event.data;
          attempts.push({
            attemptNumber: d.attemptNumber,
            attemptId: d.attemptId,
            outcome: event.type === 'AttemptSucceeded' ? 'succeeded' : 'failed',
            responseStatus: d.responseStatus,
            latencyMs: d.latencyMs,
            attemptedAt: d.attemptedAt,
            error: event.type === 'AttemptFailed' ? event.data.error : null,
            request: d.request ?? null,
            responseBodySha256: d.responseBodySha256 ?? null,
          });
        }
      }
      const outboundId = (first.data as { outboundId?: unknown }).outboundId;
      if (typeof outboundId === 'string') deliveries.set(outboundId, { state, attempts });
    }
  }
  const report: ReportMessage[] = [];
  for (const { state } of messages) {
    if (state.status !== 'sent') continue;
    const m = state.message;
    report.push({
      messageId: m.id,
      eventType: m.eventType,
      eventId: m.eventId,
      timestamp: m.timestamp,
      // A delivery with no event yet (its first attempt not made) is pending, as the domain's initial state says.
      deliveries: m.outbound.map((ref) => {
        const d = deliveries.get(ref.outboundId);
        return { outboundId: ref.outboundId, endpointId: ref.endpointId, endpointUrl: ref.endpointUrl, status: (d?.state ?? initialOutboundState()).status, attempts: d?.attempts ?? [] };
      }),
    });
  }
  report.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.messageId < b.messageId ? -1 : 1));
  return { messages: report };
};

/** The report as text: one block per message, one line per delivery and per attempt. */
export const describeDeliveryReport = (report: DeliveryReport): string => {
  const lines: string[] = [];
  for (const m of report.messages) {
    lines.push(`${m.messageId}  ${m.eventType}  ${m.timestamp}${m.eventId ? `  eventId ${m.eventId}` : ''}`);
    if (m.deliveries.length === 0) lines.push('  (no endpoint subscribed)');
    for (const d of m.deliveries) {
      lines.push(`  ${d.outboundId} → ${d.endpointId} ${d.endpointUrl}: ${d.status}`);
      for (const a of d.attempts) {
        const answer = a.responseStatus === null ? 'no response' : `HTTP ${a.responseStatus}`;
        lines.push(`    attempt ${a.attemptNumber} ${a.attemptedAt}: ${a.outcome}, ${answer}, ${a.latencyMs} ms${a.error ? ` (${a.error})` : ''}`);
      }
    }
  }
  return lines.join('\n');
};
