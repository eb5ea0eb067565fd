/**
 * Figure 6 of the benchmark: list pages and stats at scale. `messages` messages to one application with three
 * endpoints are appended through the EventStore port (concurrent appends, grouped by the store) with the
 * outcomes of their deliveries, projected by the real projections, then each list page and stat is asked over
 * HTTP, one request at a time, and timed. Only the api and projections roles run: nothing is delivered.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { eventMetadata } from '../domain/events';
import type { HookbaseEvent } from '../domain/events';
import { newId } from '../domain/ids';
import { streams } from '../domain/streams';
import { ProgressWatcher } from '../projections/progressWatcher';
import { createApplication, createEndpoint, ensureEventType, EVENT_TYPE, eventsDbPath, startBenchHookbase } from './hookbase';
import type { BenchHookbase } from './hookbase';
import type { Row } from './stats';
import { mib, ms, num, perSecond, summarize } from './stats';

export const READ_TARGET_MS = 5;
const ENDPOINTS = 3;
const SMALL_APPS = 60;
const IN_FLIGHT = 400;
const PAYLOAD = { orderId: 'ord_2Xb7QmTz', amount: 4200, currency: 'EUR', customer: { id: 'cus_8Kd2', email: 'ada@example.com' }, items: 3 };

type Outcome = 'success' | 'failed' | 'exhausted' | 'pending';
/** Per delivery, by its number: 85% delivered, 8% failed with a retry scheduled, 4% exhausted, 3% pending. */
const outcomeOf = (n: number): Outcome => {
  const k = (n * 37) % 100;
  return k < 85 ? 'success' : k < 93 ? 'failed' : k < 97 ? 'exhausted' : 'pending';
};

type Seeded = { appId: string; endpointIds: string[]; sampleOutbound: string[]; events: number; appendMs: number; projectMs: number; projected: boolean };

const seed = async (hb: BenchHookbase, messages: number, log: (line: string) => void): Promise<Seeded> => {
  await ensureEventType(hb);
  for (let i = 0; i < SMALL_APPS; i++) await createApplication(hb, `bench small app ${i}`);
  const appId = await createApplication(hb, 'bench big app');
  const endpointIds: string[] = [];
  for (let i = 0; i < ENDPOINTS; i++) endpointIds.push(await createEndpoint(hb, appId, `http://127.0.0.1:9/hook-${i}`));

  // A month of history, oldest first.
  const start = Date.now() - 30 * 86_400_000;
  const step = (30 * 86_400_000) / Math.max(1, messages);
  const sampleOutbound: string[] = [];
  let events = 0;
  const t0 = performance.now();
  let lastLog = t0;

  const appendMessage = async (i: number): Promise<void> => {
    const messageId = newId('msg');
    const at = new Date(start + i * step);
    const timestamp = at.toISOString();
    const outbound = endpointIds.map((endpointId) => ({ outboundId: newId('out'), endpointId, endpointUrl: 'http://127.0.0.1:9/hook', maxAttempts: 3 }));
    const sent: HookbaseEvent = { type: 'MessageSent', data: { messageId, applicationId: appId, eventType: EVENT_TYPE, payload: { ...PAYLOAD, n: i }, eventId: null, timestamp, outbound } };
    await hb.events.appendToStream(streams.message(messageId), [{ type: sent.type, data: sent.data, metadata: eventMetadata(sent.type) }], { expectedRevision: 'no_stream' });
    events += 1;
    await Promise.all(
      outbound.map(async (o, j) => {
        const outcome = outcomeOf(i * ENDPOINTS + j);
        if (outcome === 'pending') return;
        const ref = { outboundId: o.outboundId, messageId, endpointId: o.endpointId, applicationId: appId };
        const attemptedAt = new Date(at.getTime() + 50).toISOString();
        const latencyMs = 20 + ((i * 7 + j * 13) % 400);
        const attempt = { ...ref, attemptId: newId('att'), attemptNumber: 1, responseBody: '', latencyMs, attemptedAt };
        const outcomeEvents: HookbaseEvent[] =
          outcome === 'success'
            ? [{ type: 'AttemptSucceeded', data: { ...attempt, responseStatus: 200 } }]
            : [
                { type: 'AttemptFailed', data: { ...attempt, responseStatus: 503, error: 'HTTP 503' } },
                outcome === 'failed'
                  ? { type: 'RetryScheduled', data: { ...ref, attemptNumber: 2, dueAt: new Date(at.getTime() + 86_400_000 * 365).toISOString(), scheduledAt: attemptedAt } }
                  : { type: 'DeliveryExhausted', data: { ...ref, attempts: 1, reason: 'bench', exhaustedAt: attemptedAt } },
              ];
        await hb.events.appendToStream(
          streams.outbound(o.outboundId),
          outcomeEvents.map((e) => ({ type: e.type, data: e.data, metadata: eventMetadata(e.type) })),
          { expectedRevision: 'no_stream' },
        );
        events += outcomeEvents.length;
        if (sampleOutbound.length < 200 && i % 7 === 0) sampleOutbound.push(o.outboundId);
      }),
    );
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < messages) {
      const i = next++;
      await appendMessage(i);
      if (i % 50_000 === 0 && performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`6. seeding: ${i} messages appended (${events} events, ${num(perSecond(events, lastLog - t0))} events/s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const appendMs = performance.now() - t0;
  log(`6. seeded ${messages} messages, ${events} events in ${ms(appendMs)}; waiting for the projections`);

  const t1 = performance.now();
  const progress = new ProgressWatcher(hb.reads);
  await progress.start(1_000);
  const projected = await progress.waitFor(await hb.events.headPosition(), 3_600_000);
  progress.close();
  return { appId, endpointIds, sampleOutbound, events, appendMs, projectMs: performance.now() - t1, projected };
};

/** One request at a time over one keep-alive connection; the path may change per request. */
const timeRequests = async (client: Client, apiKey: string, path: (i: number) => string, samples: number): Promise<number[]> => {
  const times: number[] = [];
  for (let i = -20; i < samples; i++) {
    const t0 = performance.now();
    const res = await client.request({ method: 'GET', path: path(Math.max(0, i)), headers: { authorization: `Bearer ${apiKey}` } });
    const body = await res.body.text();
    const elapsed = performance.now() - t0;
    if (res.statusCode !== 200) throw new Error(`GET ${path(i)} → ${res.statusCode}: ${body.slice(0, 200)}`);
    if (i >= 0) times.push(elapsed);
  }
  return times;
};

export const benchReadModels = async (
  messages: number,
  samples: number,
  log: (line: string) => void,
): Promise<{ rows: Row[]; notes: string[] }> => {
  const dir = mkdtempSync(join(tmpdir(), 'hookbase-bench-reads-'));
  let hb: BenchHookbase | null = null;
  let client: Client | null = null;
  try {
    hb = await startBenchHookbase(dir, {}, undefined, 'api,projections');
    log(`6. read models: seeding ${messages} messages × ${ENDPOINTS} endpoints through the EventStore port, projecting them (api and projections roles only)`);
    const s = await seed(hb, messages, log);
    const size = (file: string): string => {
      try {
        return mib(statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0));
      } catch {
        return '?';
      }
    };
    client = new Client(hb.url, { pipelining: 0 });
    const app = `/v1/applications/${s.appId}`;
    const [ep0, ep1] = s.endpointIds;
    const sample = (i: number): string => s.sampleOutbound[i % Math.max(1, s.sampleOutbound.length)] ?? 'none';
    const queries: [string, (i: number) => string][] = [
      ['first page of messages', () => `${app}/messages?limit=50`],
      ['outbound filtered by status', () => `${app}/outbound?status=failed&limit=50`],
      ['outbound by endpoint', () => `${app}/outbound?endpointId=${ep1}&limit=50`],
      ['attempts of an outbound', (i) => `${app}/outbound/${sample(i)}/attempts`],
      ['endpoint stats', () => `${app}/endpoints/${ep0}/stats`],
      ['application list', () => `/v1/applications?limit=50`],
    ];
    const rows: Row[] = [];
    for (const [name, path] of queries) {
      const t = summarize(await timeRequests(client, hb.apiKey, path, samples));
      const ok = t.p99 <= READ_TARGET_MS;
      rows.push({ name: `6. ${name} p50 / p99 (${num(messages)} msgs)`, hookbase: `${ms(t.p50)} / ${ms(t.p99)}`, baseline: '—', ratio: '—', target: `p99 ≤ ${READ_TARGET_MS} ms`, ok });
    }
    const notes = [
      `6. read models: ${num(messages)} messages to one application (${ENDPOINTS} endpoints, ${num(messages * ENDPOINTS)} deliveries: 85% delivered, 8% failed, 4% exhausted, 3% pending) and ${SMALL_APPS + 1} applications; ` +
        `${num(s.events)} events appended in ${ms(s.appendMs)} (${num(perSecond(s.events, s.appendMs))}/s, ${IN_FLIGHT} appends in flight), projected ${ms(s.projectMs)} later` +
        `${s.projected ? '' : ' (NOT caught up within the hour: figures over a partial read model)'}; ` +
        `events.db ${size(eventsDbPath(dir))}, read-models.db ${size(join(dir, 'read-models.db'))}; ` +
        `${samples} sequential requests per figure over one keep-alive connection from this process, after 20 warm-up requests (times include HTTP and JSON); ` +
        `load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`,
    ];
    return { rows, notes };
  } finally {
    await client?.close().catch(() => {});
    await hb?.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
};
