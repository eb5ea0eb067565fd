import type { DeliveryStatus } from '../domain/outbound/outbound';
import type { ReadStoreTransaction } from '../store/readStore';
import { collections } from './readModels';
import type { ApplicationStatsDoc, EndpointStatsDoc, StatusCounts } from './readModels';

/**
 * The delivery statistics, kept as counters by the outbound projection (it alone knows a delivery's previous
 * status, so a change of status moves one count from the old status to the new one). Replays are harmless: the
 * runner applies an event to a projection once, by position, in the transaction that moves its checkpoint, and a
 * rebuild of `outbound` recreates these documents from the events.
 *
 * Latency percentiles come from a histogram with fixed buckets: bucket i holds latencies in
 * (LATENCY_BOUNDS_MS[i-1], LATENCY_BOUNDS_MS[i]] (bucket 0: [0, 1 ms], the last: above 60 s). A percentile is
 * reported as its bucket's upper bound, capped by the largest latency seen: at most 25% above the exact value
 * (the bounds grow by 1.25×), never below it, up to 60 s; beyond 60 s, the largest latency seen.
 */

/** 1 ms × 1.25^i, i = 0..49 (~56 s), then 60 s; rounded to 0.1 ms. */
export const LATENCY_BOUNDS_MS: readonly number[] = [...Array.from({ length: 50 }, (_, i) => Math.round(1.25 ** i * 10) / 10), 60_000];

/** The bucket of a latency: the first bound at or above it (the overflow bucket past the last bound). */
export const latencyBucket = (latencyMs: number): number => {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((LATENCY_BOUNDS_MS[mid] ?? Infinity) >= latencyMs) hi = mid;
    else lo = mid + 1;
  }
  return lo;
};

/** The p-th percentile (0 < p ≤ 100) of a histogram, as its bucket's upper bound capped by `maxMs`. */
export const histogramPercentile = (buckets: readonly number[], p: number, maxMs: number | null): number | null => {
  const total = buckets.reduce((sum, n) => sum + n, 0);
  if (total === 0 || maxMs === null) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= rank) return Math.min(LATENCY_BOUNDS_MS[i] ?? maxMs, maxMs);
  }
  return maxMs;
};

/** Failed attempts are counted per hour (UTC) for `recentFailures`; older hours are dropped as new ones come. */
export const FAILURE_HOURS_KEPT = 48;
export const hourOf = (iso: string): string => `${iso.slice(0, 13)}:00:00.000Z`;

const zeroCounts = (): StatusCounts => ({ pending: 0, success: 0, failed: 0, exhausted: 0 });

const emptyEndpointStats = (endpointId: string, applicationId: string): EndpointStatsDoc => ({
  id: endpointId,
  applicationId,
  deliveries: zeroCounts(),
  attemptsSucceeded: 0,
  attemptsFailed: 0,
  latencySumMs: 0,
  latencyMaxMs: null,
  latencyBuckets: [],
  lastSuccessAt: null,
  lastFailureAt: null,
  lastAttemptAt: null,
  lastResponseStatus: null,
  failuresByHour: {},
});

const emptyApplicationStats = (applicationId: string): ApplicationStatsDoc => ({
  id: applicationId,
  messagesSent: 0,
  lastEventAt: null,
  deliveries: zeroCounts(),
});

/** The stats documents touched by one projection batch, written back once at its end. */
export class DeliveryStatsWriter {
  private readonly endpoints = new Map<string, EndpointStatsDoc>();
  private readonly applications = new Map<string, ApplicationStatsDoc>();

  constructor(private readonly tx: ReadStoreTransaction) {}

  private async endpoint(endpointId: string, applicationId: string): Promise<EndpointStatsDoc> {
    let doc = this.endpoints.get(endpointId);
    if (!doc) {
      const stored = await this.tx.collection<EndpointStatsDoc>(collections.endpointStats).get(endpointId);
      doc = stored ? structuredClone(stored) : emptyEndpointStats(endpointId, applicationId);
      this.endpoints.set(endpointId, doc);
    }
    return doc;
  }

  private async application(applicationId: string): Promise<ApplicationStatsDoc> {
    let doc = this.applications.get(applicationId);
    if (!doc) {
      const stored = await this.tx.collection<ApplicationStatsDoc>(collections.applicationStats).get(applicationId);
      doc = stored ? structuredClone(stored) : emptyApplicationStats(applicationId);
      this.applications.set(applicationId, doc);
    }
    return doc;
  }

  async messageSent(applicationId: string, at: string): Promise<void> {
    const app = await this.application(applicationId);
    app.messagesSent += 1;
    if (app.lastEventAt === null || at > app.lastEventAt) app.lastEventAt = at;
  }

  /** A delivery moved from `from` (null: it is new) to `to`. */
  async statusChanged(ids: { endpointId: string; applicationId: string }, from: DeliveryStatus | null, to: DeliveryStatus): Promise<void> {
    if (from === to) return;
    const endpoint = await this.endpoint(ids.endpointId, ids.applicationId);
    const app = await this.application(ids.applicationId);
    for (const counts of [endpoint.deliveries, app.deliveries]) {
      if (from !== null) counts[from] -= 1;
      counts[to] += 1;
    }
  }

  async attempt(a: { endpointId: string; applicationId: string; ok: boolean; latencyMs: number; attemptedAt: string; responseStatus: number | null }): Promise<void> {
    const doc = await this.endpoint(a.endpointId, a.applicationId);
    const bucket = latencyBucket(a.latencyMs);
    while (doc.latencyBuckets.length <= bucket) doc.latencyBuckets.push(0);
    doc.latencyBuckets[bucket] = (doc.latencyBuckets[bucket] ?? 0) + 1;
    doc.latencySumMs += a.latencyMs;
    doc.latencyMaxMs = Math.max(doc.latencyMaxMs ?? 0, a.latencyMs);
    // Events of one endpoint come in commit order, which is the order of its attempts' outcomes.
    doc.lastAttemptAt = a.attemptedAt;
    doc.lastResponseStatus = a.responseStatus;
    if (a.ok) {
      doc.attemptsSucceeded += 1;
      doc.lastSuccessAt = a.attemptedAt;
      return;
    }
    doc.attemptsFailed += 1;
    doc.lastFailureAt = a.attemptedAt;
    const hour = hourOf(a.attemptedAt);
    doc.failuresByHour[hour] = (doc.failuresByHour[hour] ?? 0) + 1;
    const hours = Object.keys(doc.failuresByHour).sort();
    for (const old of hours.slice(0, Math.max(0, hours.length - FAILURE_HOURS_KEPT))) delete doc.failuresByHour[old];
  }

  async flush(): Promise<void> {
    const endpoints = this.tx.collection<EndpointStatsDoc>(collections.endpointStats);
    for (const doc of this.endpoints.values()) await endpoints.put(doc);
    const apps = this.tx.collection<ApplicationStatsDoc>(collections.applicationStats);
    for (const doc of this.applications.values()) await apps.put(doc);
    this.endpoints.clear();
    this.applications.clear();
  }
}
