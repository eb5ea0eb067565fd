import { collections } from '../../projections/readModels';
import type { AttemptDoc, EndpointDoc, MessageDoc, OutboundDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';

// The delivery statistics the clients show, read from the read models (never computed from events here).

export type EndpointTotals = {
  totalMessages: number;
  totalSuccesses: number;
  totalFailures: number;
  avgResponseTimeMs: number | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastResponseStatus: number | null;
  firstSuccessAt: string | null;
};

export type ApplicationTotals = { totalEndpoints: number; totalMessagesSent: number; totalMessagesFailed: number; lastEventAt: string | null };

export type OutboundSummary = { pending: number; processing: number; success: number; failed: number; exhausted: number; dlq: number; total: number };

/** Attempts read to find the last success and failure and the average latency. */
const RECENT_ATTEMPTS = 200;

export const endpointTotals = async (deps: ApiDeps, endpointId: string): Promise<EndpointTotals> => {
  const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
  const [totalMessages, totalSuccesses, failed, exhausted] = await Promise.all([
    outbound.count({ endpointId }),
    outbound.count({ endpointId, status: 'success' }),
    outbound.count({ endpointId, status: 'failed' }),
    outbound.count({ endpointId, status: 'exhausted' }),
  ]);
  const attempts = deps.reads.collection<AttemptDoc>(collections.attempts);
  const recent = (await attempts.find({ where: { endpointId }, orderBy: { key: 'attemptedAt', direction: 'desc' }, limit: RECENT_ATTEMPTS })).items;
  const oldest = (await attempts.find({ where: { endpointId }, orderBy: { key: 'attemptedAt', direction: 'asc' }, limit: RECENT_ATTEMPTS })).items;
  const avg = recent.length === 0 ? null : Math.round(recent.reduce((s, a) => s + a.latencyMs, 0) / recent.length);
  return {
    totalMessages,
    totalSuccesses,
    totalFailures: failed + exhausted,
    avgResponseTimeMs: avg,
    lastSuccessAt: recent.find((a) => a.error === null)?.attemptedAt ?? null,
    lastFailureAt: recent.find((a) => a.error !== null)?.attemptedAt ?? null,
    lastResponseStatus: recent[0]?.responseStatus ?? null,
    firstSuccessAt: oldest.find((a) => a.error === null)?.attemptedAt ?? null,
  };
};

export const applicationTotals = async (deps: ApiDeps, applicationId: string): Promise<ApplicationTotals> => {
  const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
  const [totalEndpoints, totalMessagesSent, failed, exhausted, last] = await Promise.all([
    deps.reads.collection<EndpointDoc>(collections.endpoints).count({ applicationId }),
    deps.reads.collection<MessageDoc>(collections.messages).count({ applicationId }),
    outbound.count({ applicationId, status: 'failed' }),
    outbound.count({ applicationId, status: 'exhausted' }),
    deps.reads.collection<MessageDoc>(collections.messages).find({ where: { applicationId }, orderBy: { key: 'timestamp', direction: 'desc' }, limit: 1 }),
  ]);
  return { totalEndpoints, totalMessagesSent, totalMessagesFailed: failed + exhausted, lastEventAt: last.items[0]?.timestamp ?? null };
};

/** By status; `processing` is always 0 here (an attempt in flight is still `pending`), `dlq` is `exhausted`. */
export const outboundSummary = async (deps: ApiDeps, applicationId: string | null): Promise<OutboundSummary> => {
  const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
  const where = (status: string): Record<string, string> => (applicationId === null ? { status } : { applicationId, status });
  const [pending, success, failed, exhausted] = await Promise.all(['pending', 'success', 'failed', 'exhausted'].map((s) => outbound.count(where(s))));
  const p = pending ?? 0;
  const s = success ?? 0;
  const f = failed ?? 0;
  const x = exhausted ?? 0;
  return { pending: p, processing: 0, success: s, failed: f, exhausted: x, dlq: x, total: p + s + f + x };
};
