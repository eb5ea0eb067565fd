import type { JsonObject } from '../../domain/json';
import { collections } from '../../projections/readModels';
import type { AttemptDoc, EndpointDoc, OutboundDoc } from '../../projections/readModels';
import { requireApplication } from '../commands/common';
import type { ApiDeps } from '../deps';
import { analyticsOut } from './organizations.mapping';

// Delivery analytics for the MCP server's get_webhook_analytics and get_webhook_endpoint_analytics (its
// src/tools/webhook-analytics.ts: timeRange 1h/24h/7d/30d, applicationId, endpointId; it prints the answer whole).

export const TIME_RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type TimeRange = keyof typeof TIME_RANGES;

/** Deliveries read at most for one answer (newest first); past it the answer says `truncated`. */
const DELIVERY_BUDGET = 100_000;
/** Deliveries whose attempts are read for the latency (the newest of the window). */
const LATENCY_SAMPLE = 2_000;
const TOP_FAILING = 10;

export type Scope = Readonly<{ applicationId?: string; endpointId?: string }>;

export type Window = Readonly<{ since: Date; days: number; timeRange: TimeRange | null; dayStart: Date }>;

/** `timeRange` wins; else `days` (UTC days, this one included; default 7). */
export const windowOf = (now: Date, timeRange: TimeRange | undefined, days: number | undefined): Window => {
  if (timeRange !== undefined) {
    const since = new Date(now.getTime() - TIME_RANGES[timeRange]);
    const dayStart = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
    return { since, dayStart, days: Math.floor((now.getTime() - dayStart.getTime()) / 86_400_000) + 1, timeRange };
  }
  const n = days ?? 7;
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (n - 1)));
  return { since: dayStart, dayStart, days: n, timeRange: null };
};

const percentile = (sorted: readonly number[], p: number): number | null => {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
};

const round = (n: number | null): number | null => (n === null ? null : Math.round(n * 10) / 10);

/** The deliveries of the scope created in the window, newest first, at most DELIVERY_BUDGET. */
const deliveriesIn = async (deps: ApiDeps, scope: Scope, since: Date): Promise<{ rows: OutboundDoc[]; truncated: boolean }> => {
  const where: Record<string, string> = {};
  if (scope.endpointId !== undefined) where.endpointId = scope.endpointId;
  else if (scope.applicationId !== undefined) where.applicationId = scope.applicationId;
  const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
  const rows: OutboundDoc[] = [];
  let cursor: string | undefined;
  let truncated = false;
  do {
    const page = await outbound.find({ where, range: { key: 'createdAt', gte: since.toISOString() }, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 1000, cursor });
    for (const o of page.items) if (scope.applicationId === undefined || o.applicationId === scope.applicationId) rows.push(o);
    cursor = page.nextCursor ?? undefined;
    if (cursor && rows.length >= DELIVERY_BUDGET) truncated = true;
  } while (cursor && !truncated);
  return { rows, truncated };
};

/** The attempts of the newest LATENCY_SAMPLE deliveries, with their latencies sorted. */
const attemptsOf = async (deps: ApiDeps, rows: readonly OutboundDoc[]): Promise<AttemptDoc[]> => {
  const attempts = deps.reads.collection<AttemptDoc>(collections.attempts);
  const out: AttemptDoc[] = [];
  for (const o of rows.slice(0, LATENCY_SAMPLE)) {
    if (o.attempts === 0) continue;
    const page = await attempts.find({ where: { outboundMessageId: o.id }, orderBy: { key: 'attemptedAt', direction: 'asc' }, limit: 1000 });
    out.push(...page.items);
  }
  return out;
};

const latencyOf = (attempts: readonly AttemptDoc[], sampled: number): JsonObject => {
  const sorted = attempts.map((a) => a.latencyMs).sort((a, b) => a - b);
  const avg = sorted.length === 0 ? null : sorted.reduce((s, n) => s + n, 0) / sorted.length;
  return {
    avgMs: round(avg), p50Ms: round(percentile(sorted, 50)), p95Ms: round(percentile(sorted, 95)), p99Ms: round(percentile(sorted, 99)),
    attempts: sorted.length, sampledDeliveries: sampled,
  };
};

const FAILED = new Set(['failed', 'exhausted']);

/** The whole answer of GET …/webhooks/analytics. */
export const webhookAnalytics = async (deps: ApiDeps, q: Readonly<{ timeRange?: TimeRange; days?: number; applicationId?: string; endpointId?: string }>): Promise<JsonObject> => {
  const now = deps.now();
  const window = windowOf(now, q.timeRange, q.days);
  const applicationId = q.applicationId === undefined ? undefined : (await requireApplication(deps, q.applicationId)).id;
  const { rows: all, truncated } = await deliveriesIn(deps, { applicationId, endpointId: q.endpointId }, window.dayStart);
  const rows = all.filter((o) => o.createdAt >= window.since.toISOString());
  const byDay = analyticsOut(all, window.dayStart, window.days, truncated);
  const totals = { pending: 0, success: 0, failed: 0, exhausted: 0, total: 0 };
  const perEndpoint = new Map<string, { url: string; failed: number; total: number }>();
  for (const o of rows) {
    if (o.status in totals) totals[o.status as keyof typeof totals]++;
    totals.total++;
    const ep = perEndpoint.get(o.endpointId) ?? { url: o.endpointUrl, failed: 0, total: 0 };
    ep.total++;
    if (FAILED.has(o.status)) ep.failed++;
    perEndpoint.set(o.endpointId, ep);
  }
  const topFailing = [...perEndpoint.entries()]
    .filter(([, e]) => e.failed > 0)
    .sort((a, b) => b[1].failed - a[1].failed || a[0].localeCompare(b[0]))
    .slice(0, TOP_FAILING)
    .map(([endpointId, e]) => ({ endpointId, url: e.url, failed: e.failed, total: e.total, failureRate: e.failed / e.total }));
  const sample = rows.slice(0, LATENCY_SAMPLE);
  return {
    timeRange: window.timeRange,
    since: window.since.toISOString(),
    applicationId: applicationId ?? null,
    endpointId: q.endpointId ?? null,
    totals,
    successRate: totals.total === 0 ? null : totals.success / totals.total,
    latency: latencyOf(await attemptsOf(deps, sample), sample.length),
    topFailingEndpoints: topFailing,
    days: byDay.days ?? [],
    truncated,
  };
};

/** GET …/webhooks/analytics/endpoints/:id: the endpoint's circuit, its lifetime totals, the window's counts and latest attempts. */
export const endpointAnalytics = async (deps: ApiDeps, endpoint: EndpointDoc, lifetime: JsonObject, timeRange: TimeRange | undefined): Promise<JsonObject> => {
  const window = windowOf(deps.now(), timeRange ?? '24h', undefined);
  const { rows: all, truncated } = await deliveriesIn(deps, { endpointId: endpoint.id }, window.since);
  const rows = all.filter((o) => o.createdAt >= window.since.toISOString());
  const statusCounts = { pending: 0, success: 0, failed: 0, exhausted: 0, total: rows.length };
  for (const o of rows) if (o.status in statusCounts) statusCounts[o.status as keyof typeof statusCounts]++;
  const attempts = await attemptsOf(deps, rows.slice(0, 100));
  const recent = attempts
    .sort((a, b) => (a.attemptedAt < b.attemptedAt ? 1 : a.attemptedAt > b.attemptedAt ? -1 : 0))
    .slice(0, 100)
    .map((a) => ({ id: a.id, outboundMessageId: a.outboundMessageId, attemptNumber: a.attemptNumber, status: a.error === null ? 'success' : 'failed', responseStatus: a.responseStatus, responseTimeMs: a.latencyMs, errorMessage: a.error, createdAt: a.attemptedAt }));
  const latencies = attempts.map((a) => a.latencyMs);
  return {
    endpointId: endpoint.id,
    url: endpoint.url,
    timeRange: window.timeRange,
    since: window.since.toISOString(),
    circuitState: endpoint.circuit,
    lifetime,
    statusCounts,
    successRate: rows.length === 0 ? null : statusCounts.success / rows.length,
    avgResponseTimeMs: latencies.length === 0 ? null : round(latencies.reduce((s, n) => s + n, 0) / latencies.length),
    recentAttempts: recent,
    truncated,
  };
};

/**
 * GET …/analytics/dashboard (the MCP server's get_analytics reads `overview`, `topSources`, `topDestinations`,
 * `eventsByHour`, `deliveriesByStatus`; the Node SDK's analytics.dashboard reads `eventsReceived`,
 * `deliveriesCompleted`, `deliveriesFailed`, `avgLatencyMs`), answered unwrapped. Outbound here: an event is a
 * message with at least one delivery in the window, a delivery is one of ours; sources and destinations are the
 * inbound product's (empty until it has any).
 */
export const dashboard = async (deps: ApiDeps, range: TimeRange): Promise<JsonObject> => {
  const now = deps.now();
  const since = new Date(now.getTime() - TIME_RANGES[range]);
  const { rows, truncated } = await deliveriesIn(deps, {}, since);
  const byStatus = new Map<string, number>();
  const byHour = new Map<string, Set<string>>();
  for (const o of rows) {
    byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    const hour = `${o.createdAt.slice(0, 13)}:00:00.000Z`;
    byHour.set(hour, (byHour.get(hour) ?? new Set()).add(o.messageId));
  }
  const events = new Set(rows.map((o) => o.messageId)).size;
  const success = byStatus.get('success') ?? 0;
  const failed = (byStatus.get('failed') ?? 0) + (byStatus.get('exhausted') ?? 0);
  const latency = latencyOf(await attemptsOf(deps, rows.slice(0, LATENCY_SAMPLE)), Math.min(rows.length, LATENCY_SAMPLE));
  const successRate = rows.length === 0 ? null : success / rows.length;
  return {
    range,
    since: since.toISOString(),
    overview: { totalEvents: events, totalDeliveries: rows.length, successfulDeliveries: success, failedDeliveries: failed, successRate, avgResponseTime: latency.avgMs ?? null },
    topSources: [],
    topDestinations: [],
    recentEvents: [],
    eventsByHour: [...byHour.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([hour, ids]) => ({ hour, count: ids.size })),
    deliveriesByStatus: [...byStatus.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([status, count]) => ({ status, count })),
    eventsReceived: events,
    deliveriesCompleted: success,
    deliveriesFailed: failed,
    avgLatencyMs: latency.avgMs ?? null,
    truncated,
  };
};
