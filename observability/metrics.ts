/**
 * Prometheus metrics (prom-client). Each thread has its own registry (`threadMetrics`): the main thread's serves
 * /metrics and merges in what the worker threads send it (their registries as JSON, summed by prom-client's
 * AggregatorRegistry). Each process role serves its own /metrics; Prometheus scrapes each process.
 */
import { isMainThread } from 'node:worker_threads';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** Callbacks that each running part of this thread registers for a gauge; the gauge reports their sum. */
class GaugeSources {
  private readonly sources = new Set<() => Promise<Record<string, number>> | Record<string, number>>();

  add(source: () => Promise<Record<string, number>> | Record<string, number>): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  async collect(gauge: Gauge): Promise<void> {
    gauge.reset();
    const totals = new Map<string, number>();
    for (const source of this.sources) {
      try {
        for (const [label, value] of Object.entries(await source())) totals.set(label, (totals.get(label) ?? 0) + value);
      } catch {
        // a part that is stopping reports nothing this time
      }
    }
    return applyTotals(gauge, totals);
  }
}

/** Label value '' means the gauge has no labels. */
const applyTotals = (gauge: Gauge, totals: ReadonlyMap<string, number>): void => {
  const name = (gauge as unknown as { labelNames: readonly string[] }).labelNames[0];
  for (const [label, value] of totals) {
    if (label === '' || name === undefined) gauge.set(value);
    else gauge.set({ [name]: label }, value);
  }
};

const gaugeWithSources = (registry: Registry, name: string, help: string, labelNames: string[] = [], aggregator: 'sum' | 'max' = 'sum'): GaugeSources => {
  const sources = new GaugeSources();
  new Gauge({
    name,
    help,
    labelNames,
    // how the threads' values are merged (AggregatorRegistry)
    aggregator,
    registers: [registry],
    collect() {
      return sources.collect(this);
    },
  });
  return sources;
};

const createThreadMetrics = () => {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    httpRequestSeconds: new Histogram({
      name: 'hookbase_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    attemptSeconds: new Histogram({
      name: 'hookbase_delivery_attempt_duration_seconds',
      help: "Latency of delivery attempts (the endpoint's answer or the failure), by outcome",
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    deliveries: new Counter({
      name: 'hookbase_deliveries_total',
      help: 'Delivery attempts recorded, by outcome: succeeded, retrying (failed, another attempt scheduled), exhausted (failed for good)',
      labelNames: ['outcome'],
      registers,
    }),
    queueDepth: gaugeWithSources(registry, 'hookbase_endpoint_queue_depth', 'Deliveries waiting in the per-endpoint queues of the dispatchers, all endpoints together'),
    queueDepthMax: gaugeWithSources(registry, 'hookbase_endpoint_queue_depth_max', 'Deliveries waiting in the fullest per-endpoint queue', [], 'max'),
    dueQueueSize: gaugeWithSources(registry, 'hookbase_due_queue_size', 'Deliveries in the due-queue (retries and deferred first attempts)'),
    subscriptionLag: gaugeWithSources(registry, 'hookbase_subscription_lag_events', "Events of $all after the dispatcher's persistent subscription's checkpoint (counted, up to 10000)"),
    projectionLag: gaugeWithSources(registry, 'hookbase_projection_lag_events', 'Events of $all not yet in each read model (counted, up to 10000)', ['projection'], 'max'),
  };
};

/** This thread's metrics (a worker thread loads its own copy of this module, so its own registry). */
export const threadMetrics = createThreadMetrics();

let defaultsCollected = false;
/** The process metrics (CPU, memory, event loop lag, GC...), once per process, on the main thread. */
export const collectProcessMetrics = (): void => {
  if (defaultsCollected || !isMainThread) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: threadMetrics.registry });
};

/** This thread's registry and the worker threads' snapshots, summed, in the Prometheus text format. */
export const renderMetrics = async (workers: readonly (() => Promise<MetricsSnapshot | null>)[]): Promise<{ contentType: string; text: string }> => {
  const own = await threadMetrics.registry.getMetricsAsJSON();
  const others = (await Promise.all(workers.map((w) => w().catch(() => null)))).filter((s): s is MetricsSnapshot => s !== null);
  if (others.length === 0) return { contentType: threadMetrics.registry.contentType, text: await threadMetrics.registry.metrics() };
  const merged = AggregatorRegistry.aggregate([own, ...others]);
  return { contentType: merged.contentType, text: await merged.metrics() };
};
