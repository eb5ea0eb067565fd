import { collections } from '../../projections/readModels';
import type { OutboundDoc } from '../../projections/readModels';
import { applicationDeliveryStats, endpointDeliveryStats, outboundSummary as applicationSummary } from '../../projections/statsQueries';
import type { ApiDeps } from '../deps';

// The delivery statistics the clients show, from the stats read models (projections/statsQueries.ts): counters the
// outbound projection keeps from the events, rebuilt with the rest; never computed from deliveries here.

export type EndpointTotals = {
  totalMessages: number;
  totalSuccesses: number;
  totalFailures: number;
  avgResponseTimeMs: number | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastResponseStatus: number | null;
};

export type ApplicationTotals = { totalEndpoints: number; totalMessagesSent: number; totalMessagesFailed: number; lastEventAt: string | null };

export type OutboundSummary = { pending: number; processing: number; success: number; failed: number; exhausted: number; dlq: number; total: number };

export const endpointTotals = async (deps: ApiDeps, endpointId: string): Promise<EndpointTotals> => {
  const s = await endpointDeliveryStats(deps.reads, endpointId, deps.now());
  return {
    totalMessages: s.totalMessages,
    totalSuccesses: s.successes,
    totalFailures: s.failures,
    avgResponseTimeMs: s.averageLatencyMs === null ? null : Math.round(s.averageLatencyMs),
    lastSuccessAt: s.lastSuccessAt,
    lastFailureAt: s.lastFailureAt,
    lastResponseStatus: s.lastResponseStatus,
  };
};

export const applicationTotals = async (deps: ApiDeps, applicationId: string): Promise<ApplicationTotals> => {
  const s = await applicationDeliveryStats(deps.reads, applicationId);
  return { totalEndpoints: s.totalEndpoints, totalMessagesSent: s.messagesSent, totalMessagesFailed: s.messagesFailed, lastEventAt: s.lastEventAt };
};

/**
 * By status; `processing` is always 0 here (an attempt in flight is still `pending`), `dlq` is `exhausted`. One
 * application: its stats document; every application: one indexed count per status.
 */
export const outboundSummary = async (deps: ApiDeps, applicationId: string | null): Promise<OutboundSummary> => {
  let counts: { pending: number; success: number; failed: number; exhausted: number };
  if (applicationId !== null) {
    counts = await applicationSummary(deps.reads, applicationId);
  } else {
    const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
    const [pending, success, failed, exhausted] = await Promise.all(['pending', 'success', 'failed', 'exhausted'].map((status) => outbound.count({ status })));
    counts = { pending: pending ?? 0, success: success ?? 0, failed: failed ?? 0, exhausted: exhausted ?? 0 };
  }
  const { pending, success, failed, exhausted } = counts;
  return { pending, processing: 0, success, failed, exhausted, dlq: exhausted, total: pending + success + failed + exhausted };
};
