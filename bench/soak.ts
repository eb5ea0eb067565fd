/**
 * `npm run soak`: Hookbase (every role, embedded store, in this process) under a steady load for a bounded time,
 * with a receiver that fails one request in five. Every `--sample-seconds` it records the process's RSS and heap,
 * the event-loop delay and the send→delivered latency of the messages delivered in that window; at the end it
 * writes the samples as JSON and draws them as an SVG chart. It stops by itself after `--minutes` plus a bounded
 * drain.
 *
 *   npm run soak -- [--minutes 10] [--rate N | --peak-seconds 10] [--sample-seconds 10] [--out docs/soak]
 *
 * Without `--rate` it first measures the peak end-to-end rate (messages sent as fast as 16 senders can and counted
 * when delivered) and then runs at half of it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, hostname, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createApplication, createEndpoint, ensureEventType, EVENT_TYPE, startBenchHookbase } from './hookbase';
import type { BenchHookbase } from './hookbase';
import { renderSoakSvg } from './soakChart';
import type { SoakReport, SoakSample } from './soakChart';
import { percentile } from './stats';

type FlakyReceiver = { url: string; sentAt: Map<string, number>; latencies: number[]; delivered: () => number; requests: () => number; close: () => Promise<void> };

/** Fails every fifth request with 500; records the first successful arrival of each `i` (from the payload). */
const startFlakyReceiver = async (): Promise<FlakyReceiver> => {
  const sentAt = new Map<string, number>();
  const seen = new Set<string>();
  let latencies: number[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      if (requests % 5 === 0) {
        res.writeHead(500).end('one in five fails');
        return;
      }
      const id = String(req.headers['webhook-id']);
      if (!seen.has(id)) {
        seen.add(id);
        try {
          const { data } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { key: string } };
          const t0 = sentAt.get(data.key);
          if (t0 !== undefined) {
            latencies.push(performance.now() - t0);
            sentAt.delete(data.key);
          }
        } catch {
          // not a soak message: counted, not timed
        }
      }
      res.writeHead(200).end('ok');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    sentAt,
    get latencies() {
      return latencies;
    },
    set latencies(v) {
      latencies = v;
    },
    delivered: () => seen.size,
    requests: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
};

const sendOne = async (hb: BenchHookbase, appId: string, key: string): Promise<boolean> => {
  const res = await fetch(`${hb.url}/v1/applications/${appId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hb.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ eventType: EVENT_TYPE, eventId: key, payload: { key, padding: 'x'.repeat(200) } }),
  });
  await res.arrayBuffer();
  return res.status === 202;
};

/** The histogram's timer fires every LOOP_RESOLUTION_MS and records that interval too: the delay is what exceeds it. */
const LOOP_RESOLUTION_MS = 10;
const loopDelay = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Peak end-to-end rate: 16 closed-loop senders for `seconds`, divided by the time until the last one is delivered. */
const measurePeak = async (hb: BenchHookbase, appId: string, receiver: FlakyReceiver, seconds: number): Promise<number> => {
  const t0 = performance.now();
  const before = receiver.delivered();
  let sent = 0;
  await Promise.all(
    Array.from({ length: 16 }, async (_, w) => {
      for (let n = 0; performance.now() - t0 < seconds * 1000; n++) if (await sendOne(hb, appId, `peak-${w}-${n}`)) sent++;
    }),
  );
  const deadline = performance.now() + 120_000;
  while (receiver.delivered() - before < sent && performance.now() < deadline) await sleep(50);
  return ((receiver.delivered() - before) * 1000) / (performance.now() - t0);
};

export const runSoak = async (opts: { minutes: number; rate?: number; peakSeconds: number; sampleSeconds: number; out: string }): Promise<SoakReport> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-soak-'));
  const receiver = await startFlakyReceiver();
  const hb = await startBenchHookbase(dataDir, { duePollMs: 50 }, undefined, undefined, { HOOKBASE_RETRY_SCHEDULE: '200ms,500ms,1s,2s,5s,10s' });
  try {
    await ensureEventType(hb);
    const appId = await createApplication(hb, 'Soak');
    await createEndpoint(hb, appId, receiver.url);
    const peak = opts.rate === undefined ? await measurePeak(hb, appId, receiver, opts.peakSeconds) : null;
    const rate = opts.rate ?? Math.max(1, Math.floor((peak ?? 2) / 2));
    receiver.latencies = [];
    console.log(peak === null ? `rate ${rate}/s (given)` : `peak ${peak.toFixed(0)}/s → soak at ${rate}/s`);

    const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loop.enable();
    const samples: SoakSample[] = [];
    const t0 = performance.now();
    const durationMs = opts.minutes * 60_000;
    let sent = 0;
    let refused = 0;
    let inFlight = 0;
    let skipped = 0;
    const maxInFlight = 256;
    const takeSample = (): void => {
      const lat = [...receiver.latencies].sort((a, b) => a - b);
      receiver.latencies = [];
      const mem = process.memoryUsage();
      const sample: SoakSample = {
        t: Math.round((performance.now() - t0) / 1000),
        rssMiB: mem.rss / 2 ** 20,
        heapUsedMiB: mem.heapUsed / 2 ** 20,
        loopDelayP50Ms: loopDelay(loop.percentile(50)),
        loopDelayP99Ms: loopDelay(loop.percentile(99)),
        loopDelayMaxMs: loopDelay(loop.max),
        latencyP50Ms: lat.length ? percentile(lat, 50) : null,
        latencyP99Ms: lat.length ? percentile(lat, 99) : null,
        deliveredInWindow: lat.length,
        sent,
        delivered: receiver.delivered(),
        backlog: receiver.sentAt.size,
      };
      loop.reset();
      samples.push(sample);
      console.log(JSON.stringify(sample));
    };
    const sampler = setInterval(takeSample, opts.sampleSeconds * 1000);

    // Open loop: every 100 ms the messages due by now are started, at most `maxInFlight` at once.
    let due = 0;
    while (performance.now() - t0 < durationMs) {
      due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (sent + skipped < due) {
        if (inFlight >= maxInFlight) {
          skipped++;
          continue;
        }
        const key = `soak-${sent + skipped}`;
        receiver.sentAt.set(key, performance.now());
        inFlight++;
        sent++;
        void sendOne(hb, appId, key)
          .then((ok) => ok || (refused++, receiver.sentAt.delete(key)))
          .catch(() => (refused++, receiver.sentAt.delete(key)))
          .finally(() => inFlight--);
      }
      await sleep(100);
    }
    // Drain: bounded, so the run always ends.
    const drainDeadline = performance.now() + 60_000;
    while ((inFlight > 0 || receiver.sentAt.size > 0) && performance.now() < drainDeadline) await sleep(100);
    clearInterval(sampler);
    takeSample();
    loop.disable();

    const report: SoakReport = {
      startedAt: new Date(Date.now() - (performance.now() - t0)).toISOString(),
      machine: { hostname: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: totalmem() / 2 ** 30, loadAvgAtEnd: loadavg(), node: process.version },
      settings: { minutes: opts.minutes, rate, peakRate: peak, sampleSeconds: opts.sampleSeconds, receiverFailsOneIn: 5 },
      totals: { sent, refused, skipped, delivered: receiver.delivered(), undelivered: receiver.sentAt.size, receiverRequests: receiver.requests() },
      samples,
    };
    mkdirSync(opts.out, { recursive: true });
    writeFileSync(join(opts.out, 'soak.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(opts.out, 'soak.svg'), renderSoakSvg(report));
    return report;
  } finally {
    await hb.close();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const { values: o } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      rate: { type: 'string' },
      'peak-seconds': { type: 'string', default: '10' },
      'sample-seconds': { type: 'string', default: '10' },
      out: { type: 'string', default: 'docs/soak' },
    },
  });
  const report = await runSoak({
    minutes: Number(o.minutes),
    rate: o.rate === undefined ? undefined : Number(o.rate),
    peakSeconds: Number(o['peak-seconds']),
    sampleSeconds: Number(o['sample-seconds']),
    out: o.out,
  });
  console.log(JSON.stringify(report.totals));
  process.exit(report.totals.undelivered === 0 && report.totals.refused === 0 ? 0 : 1);
}
