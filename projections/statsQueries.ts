import type { ReadStore } from '../store/readStore';
import { collections } from './readModels';
import type { ApplicationStatsDoc, EndpointStatsDoc, StatusCounts } from './readModels';
import { histogramPercentile, hourOf } from './deliveryStats';

/**
 * The delivery statistics as the API surfaces show them: each a get by id on a counter document (and, for an
 * application's endpoints, one indexed count), never a scan of deliveries or attempts.
 */

export type EndpointDeliveryStats = Readonly<{
  /** Deliveries to the endpoint, by status, and in all. */
  deliveries: Readonly<StatusCounts>;
  totalMessages: number;
  /** Deliveries whose last attempt succeeded. */
  successes: number;
  /** Deliveries whose last attempt failed: `failed` (a retry is scheduled) and `exhausted`. */
  failures: number;
  /** successes / (successes + failures); null before any delivery finished an attempt. */
  successRate: number | null;
  attempts: number;
  /** Over every attempt of the endpoint; null before the first. */
  averageLatencyMs: number | null;
  /** From the fixed-bucket histogram: at most 25% above the exact value (deliveryStats.ts). */
  latencyMsP50: number | null;
  latencyMsP99: number | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastAttemptAt: string | null;
  lastResponseStatus: number | null;
  /** Failed attempts since the start of the UTC hour 24 hours before `now` (so 24 to 25 hours). */
  recentFailures: number;
}>;

const zero: StatusCounts = { pending: 0, success: 0, failed: 0, exhausted: 0 };

export const endpointDeliveryStats = async (reads: ReadStore, endpointId: string, now: Date): Promise<EndpointDeliveryStats> => {
  const doc = await reads.collection<EndpointStatsDoc>(collections.endpointStats).get(endpointId);
  const deliveries = doc?.deliveries ?? zero;
  const successes = deliveries.success;
  const failures = deliveries.failed + deliveries.exhausted;
  const attempts = (doc?.attemptsSucceeded ?? 0) + (doc?.attemptsFailed ?? 0);
  const since = hourOf(new Date(now.getTime() - 86_400_000).toISOString());
  let recentFailures = 0;
  for (const [hour, n] of Object.entries(doc?.failuresByHour ?? {})) if (hour >= since) recentFailures += n;
  const buckets = doc?.latencyBuckets ?? [];
  const max = doc?.latencyMaxMs ?? null;
  return {
    deliveries: { ...deliveries },
    totalMessages: deliveries.pending + successes + failures,
    successes,
    failures,
    successRate: successes + failures === 0 ? null : successes / (successes + failures),
    attempts,
    averageLatencyMs: attempts === 0 ? null : (doc?.latencySumMs ?? 0) / attempts,
    latencyMsP50: histogramPercentile(buckets, 50, max),
    latencyMsP99: histogramPercentile(buckets, 99, max),
    lastSuccessAt: doc?.lastSuccessAt ?? null,
    lastFailureAt: doc?.lastFailureAt ?? null,
    lastAttemptAt: doc?.lastAttemptAt ?? null,
    lastResponseStatus: doc?.lastResponseStatus ?? null,
    recentFailures,
  };
};

export type OutboundSummary = Readonly<StatusCounts & { total: number }>;

export type ApplicationDeliveryStats = Readonly<{
  /** MessageSent events of the application (a resend is not a new message). */
  messagesSent: number;
  /** Deliveries of the application whose last attempt failed (`failed` and `exhausted`). */
  messagesFailed: number;
  /** The time of the application's last message; null before the first. */
  lastEventAt: string | null;
  /** Endpoints of the application now (deleted ones not counted). */
  totalEndpoints: number;
  /** Its deliveries by status. */
  outbound: OutboundSummary;
}>;

/** The outbound summary by status of one application. */
export const outboundSummary = async (reads: ReadStore, applicationId: string): Promise<OutboundSummary> => {
  const doc = await reads.collection<ApplicationStatsDoc>(collections.applicationStats).get(applicationId);
  const d = doc?.deliveries ?? zero;
  return { ...d, total: d.pending + d.success + d.failed + d.exhausted };
};

export const applicationDeliveryStats = async (reads: ReadStore, applicationId: string): Promise<ApplicationDeliveryStats> => {
  const doc = await reads.collection<ApplicationStatsDoc>(collections.applicationStats).get(applicationId);
  const d = doc?.deliveries ?? zero;
  const totalEndpoints = await reads.collection(collections.endpoints).count({ applicationId });
  return {
    messagesSent: doc?.messagesSent ?? 0,
    messagesFailed: d.failed + d.exhausted,
    lastEventAt: doc?.lastEventAt ?? null,
    totalEndpoints,
    outbound: { ...d, total: d.pending + d.success + d.failed + d.exhausted },
  };
};
