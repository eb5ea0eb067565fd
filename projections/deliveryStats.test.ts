import { describe, expect, it } from 'vitest';
import { eventMetadata } from '../domain/events';
import type { HookbaseEvent } from '../domain/events';
import { streams } from '../domain/streams';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import type { Position } from '../store/eventStore';
import { DeliveryStatsWriter, FAILURE_HOURS_KEPT, histogramPercentile, LATENCY_BOUNDS_MS, latencyBucket } from './deliveryStats';
import { allProjections } from './index';
import { collections } from './readModels';
import type { EndpointStatsDoc, OutboundDoc } from './readModels';
import { ProjectionRunner, resetProjections } from './runner';
import { applicationDeliveryStats, endpointDeliveryStats, outboundSummary } from './statsQueries';

describe('latency histogram', () => {
  it('reports each percentile at or above the exact value and at most 25% above it', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let round = 0; round < 50; round++) {
      const latencies = Array.from({ length: 1 + Math.floor(random() * 400) }, () => Math.round(1 + random() ** 3 * 50_000));
      const buckets: number[] = [];
      for (const l of latencies) {
        const b = latencyBucket(l);
        while (buckets.length <= b) buckets.push(0);
        buckets[b] = (buckets[b] ?? 0) + 1;
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      for (const p of [50, 90, 99]) {
        const exact = sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
        const reported = histogramPercentile(buckets, p, sorted[sorted.length - 1] ?? null) ?? Number.NaN;
        expect(reported).toBeGreaterThanOrEqual(exact);
        expect(reported).toBeLessThanOrEqual(exact * 1.25 + 0.1);
      }
    }
    expect(histogramPercentile([], 50, null)).toBeNull();
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(120_000)).toBe(LATENCY_BOUNDS_MS.length);
    expect(histogramPercentile([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 99, 120_000)).toBe(120_000);
  });
});

const APP = 'app_01JSTATS00000000000000000A';
const EP1 = 'ep_01JSTATS00000000000000000A';
const EP2 = 'ep_01JSTATS00000000000000000B';
const hour = (h: number, minute = 0): string => new Date(Date.UTC(2026, 10, 1, h, minute)).toISOString();

describe('delivery statistics read models', () => {
  it('follow every change of status, survive a restart without counting twice, and are rebuilt the same from the events', async () => {
    const events = SqliteEventStore.open(':memory:');
    const reads = SqliteReadStore.open(':memory:');
    let last: Position | null = null;
    const append = async (stream: string, event: HookbaseEvent): Promise<void> => {
      const appended = await events.appendToStream(stream, [{ type: event.type, data: event.data, metadata: eventMetadata(event.type) }]);
      last = appended.position;
    };
    const send = async (n: number, at: string, endpoints: string[]): Promise<string[]> => {
      const outbound = endpoints.map((endpointId, i) => ({ outboundId: `out_${n}_${i}`, endpointId, endpointUrl: 'https://example.com/hook', maxAttempts: 3 }));
      await append(streams.message(`msg_${n}`), {
        type: 'MessageSent',
        data: { messageId: `msg_${n}`, applicationId: APP, eventType: 'order.created', payload: {}, eventId: null, timestamp: at, outbound },
      });
      return outbound.map((o) => o.outboundId);
    };
    const ref = (outboundId: string, endpointId: string) => ({ outboundId, messageId: `msg_${outboundId.split('_')[1]}`, endpointId, applicationId: APP });
    const attempt = async (outboundId: string, endpointId: string, n: number, ok: boolean, latencyMs: number, at: string, status: number | null): Promise<void> => {
      const data = { ...ref(outboundId, endpointId), attemptId: `att_${outboundId}_${n}`, attemptNumber: n, responseStatus: status, responseBody: '', latencyMs, attemptedAt: at };
      await append(streams.outbound(outboundId), ok ? { type: 'AttemptSucceeded', data } : { type: 'AttemptFailed', data: { ...data, error: `HTTP ${status}` } });
    };

    // Three messages to two endpoints, one to EP1 alone; then outcomes of every kind, and a manual retry of an
    // exhausted delivery that then succeeds (exhausted → success).
    const [a1, b1] = await send(1, hour(10), [EP1, EP2]);
    const [a2, b2] = await send(2, hour(11), [EP1, EP2]);
    const [a3] = await send(3, hour(12), [EP1]);
    await attempt(a1!, EP1, 1, true, 12, hour(10, 1), 200);
    await attempt(b1!, EP2, 1, false, 300, hour(10, 1), 500);
    await append(streams.outbound(b1!), { type: 'RetryScheduled', data: { ...ref(b1!, EP2), attemptNumber: 2, dueAt: hour(10, 5), scheduledAt: hour(10, 1) } });
    await attempt(b1!, EP2, 2, false, 250, hour(10, 5), 502);
    await append(streams.outbound(b1!), { type: 'DeliveryExhausted', data: { ...ref(b1!, EP2), attempts: 2, reason: 'no attempt left', exhaustedAt: hour(10, 5) } });
    await attempt(a2!, EP1, 1, false, 40, hour(11, 1), 404);
    await attempt(a3!, EP1, 1, true, 20, hour(12, 30), 204);
    await append(streams.outbound(b1!), { type: 'RetryRequested', data: { ...ref(b1!, EP2), attemptNumber: 3, requestedAt: hour(13) } });
    await attempt(b1!, EP2, 3, true, 30, hour(13, 1), 200);
    void b2;

    const runner = new ProjectionRunner(events, reads, allProjections);
    const now = new Date(hour(14));
    const snapshot = async () => ({
      ep1: await endpointDeliveryStats(reads, EP1, now),
      ep2: await endpointDeliveryStats(reads, EP2, now),
      app: await applicationDeliveryStats(reads, APP),
      summary: await outboundSummary(reads, APP),
      docs: (await Promise.all([EP1, EP2].map((id) => reads.collection<EndpointStatsDoc>(collections.endpointStats).get(id)))),
    });
    try {
      await runner.start();
      expect(await runner.waitFor(last!, 5_000)).toBe(true);
      const first = await snapshot();
      expect(first.ep1).toMatchObject({
        deliveries: { pending: 0, success: 2, failed: 1, exhausted: 0 },
        totalMessages: 3,
        successes: 2,
        failures: 1,
        successRate: 2 / 3,
        attempts: 3,
        averageLatencyMs: 24,
        lastSuccessAt: hour(12, 30),
        lastFailureAt: hour(11, 1),
        lastAttemptAt: hour(12, 30),
        lastResponseStatus: 204,
        recentFailures: 1,
      });
      // p50 of {12, 20, 40} is 20 (bucket bound 23.3 is above it, capped at nothing lower), p99 is 40 → at most 50.
      expect(first.ep1.latencyMsP50).toBeGreaterThanOrEqual(20);
      expect(first.ep1.latencyMsP50).toBeLessThanOrEqual(25);
      expect(first.ep1.latencyMsP99).toBe(40);
      expect(first.ep2).toMatchObject({
        deliveries: { pending: 1, success: 1, failed: 0, exhausted: 0 },
        totalMessages: 2,
        successes: 1,
        failures: 0,
        successRate: 1,
        attempts: 3,
        lastSuccessAt: hour(13, 1),
        lastFailureAt: hour(10, 5),
        lastResponseStatus: 200,
        recentFailures: 2,
      });
      expect(first.ep2.latencyMsP99).toBe(300);
      expect(first.app).toEqual({
        messagesSent: 3,
        messagesFailed: 1,
        lastEventAt: hour(12),
        totalEndpoints: 0,
        outbound: { pending: 1, success: 3, failed: 1, exhausted: 0, total: 5 },
      });
      expect(first.summary).toEqual(first.app.outbound);
      // The counters agree with the outbound read model itself.
      const outbound = reads.collection<OutboundDoc>(collections.outbound);
      for (const [ep, stats] of [[EP1, first.ep1], [EP2, first.ep2]] as const) {
        for (const status of ['pending', 'success', 'failed', 'exhausted'] as const) {
          expect(await outbound.count({ endpointId: ep, status })).toBe(stats.deliveries[status]);
        }
      }
      // Later, the failures of more than a day ago are no longer recent.
      expect((await endpointDeliveryStats(reads, EP2, new Date(Date.parse(hour(11)) + 86_400_000))).recentFailures).toBe(0);
      await runner.stop();

      // A restart replays nothing already projected: the counters stay.
      const again = new ProjectionRunner(events, reads, allProjections);
      await again.start();
      expect(await again.waitFor(last!, 5_000)).toBe(true);
      expect(await snapshot()).toEqual(first);
      await again.stop();

      // A rebuild from the events gives the same documents.
      await resetProjections(reads, allProjections);
      expect(await reads.collection(collections.endpointStats).get(EP1)).toBeNull();
      const rebuilt = new ProjectionRunner(events, reads, allProjections);
      await rebuilt.start();
      expect(await rebuilt.waitFor(last!, 5_000)).toBe(true);
      expect(await snapshot()).toEqual(first);
      await rebuilt.stop();
    } finally {
      await runner.stop();
      await events.close();
      await reads.close();
    }
  });

  it('keeps the failure counts of the last hours only, and counts those of the last day as recent', async () => {
    const reads = SqliteReadStore.open(':memory:');
    try {
      // One failure every hour for 60 hours.
      for (let h = 0; h < 60; h++) {
        await reads.transaction(async (tx) => {
          const stats = new DeliveryStatsWriter(tx);
          const at = new Date(Date.UTC(2026, 10, 1) + h * 3_600_000 + 90_000).toISOString();
          await stats.attempt({ endpointId: EP1, applicationId: APP, ok: false, latencyMs: 5, attemptedAt: at, responseStatus: 500 });
          await stats.flush();
        });
      }
      const doc = await reads.collection<EndpointStatsDoc>(collections.endpointStats).get(EP1);
      expect(Object.keys(doc?.failuresByHour ?? {})).toHaveLength(FAILURE_HOURS_KEPT);
      expect(doc?.attemptsFailed).toBe(60);
      // At 59:30, the hours 35..59 are within "24 hours ago, from the start of that hour".
      const now = new Date(Date.UTC(2026, 10, 1) + 59.5 * 3_600_000);
      expect((await endpointDeliveryStats(reads, EP1, now)).recentFailures).toBe(25);
    } finally {
      await reads.close();
    }
  });
});

describe('the statistics of a batch', () => {
  it('are written once per document per batch, not once per event, and count every event', async () => {
    const events = SqliteEventStore.open(':memory:');
    const upserts: string[] = [];
    const reads = SqliteReadStore.open(':memory:', { verbose: (sql) => void (/^INSERT INTO "rm_(endpoint|application)_stats"/.test(sql) && upserts.push(sql)) });
    // 60 messages to one endpoint, each delivered: 120 events, fewer than one batch of the catch-up subscription.
    for (let n = 0; n < 60; n++) {
      const outboundId = `out_b${n}`;
      const ref = { outboundId, messageId: `msg_b${n}`, endpointId: EP1, applicationId: APP };
      const sent: HookbaseEvent = { type: 'MessageSent', data: { messageId: `msg_b${n}`, applicationId: APP, eventType: 'order.created', payload: {}, eventId: null, timestamp: hour(1), outbound: [{ outboundId, endpointId: EP1, endpointUrl: 'https://example.com/hook', maxAttempts: 3 }] } };
      const ok: HookbaseEvent = { type: 'AttemptSucceeded', data: { ...ref, attemptId: `att_b${n}`, attemptNumber: 1, responseStatus: 200, responseBody: '', latencyMs: 10, attemptedAt: hour(1, 1) } };
      await events.appendToStream(streams.message(`msg_b${n}`), [{ type: sent.type, data: sent.data, metadata: eventMetadata(sent.type) }]);
      await events.appendToStream(streams.outbound(outboundId), [{ type: ok.type, data: ok.data, metadata: eventMetadata(ok.type) }]);
    }
    const runner = new ProjectionRunner(events, reads, allProjections);
    await runner.start();
    expect(await runner.waitFor(await events.headPosition(), 10_000)).toBe(true);
    await runner.stop();
    const stats = await endpointDeliveryStats(reads, EP1, new Date(hour(2)));
    expect(stats).toMatchObject({ deliveries: { pending: 0, success: 60, failed: 0, exhausted: 0 } });
    // One endpoint and one application document per batch (the 120 events came in one or two batches).
    expect(upserts.length).toBeGreaterThanOrEqual(2);
    expect(upserts.length).toBeLessThanOrEqual(4);
    await reads.close();
    await events.close();
  });
});
