/**
 * Figure 3's work alone, to compare two builds, not a benchmark: `node --import tsx bench/latencyProbe.ts [rate]
 * [rounds]` starts Hookbase in this process (as the bench does: embedded store, worker threads, 127.0.0.1) with one
 * application and one endpoint on the bench's receiver, warms it up with 3,000 sends end to end, then sends at
 * `rate`/s (default 600) open loop for 8 s, `rounds` times (default 2), and prints send→delivered, send→202 and
 * 202→delivered p50/p99 as the bench's load generator measures them (in its own process), and the server's own
 * count of sends answered within each bucket of `hookbase_http_request_duration_seconds` during the round.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDeliveringHookbase } from './hookbase';
import { startLoadGen } from './loadgenClient';
import { ms } from './stats';

const rate = Number(process.argv[2] ?? 600);
const rounds = Number(process.argv[3] ?? 2);
const SEND_ROUTE = 'route="/v1/applications/{appId}/messages",method="POST",status="202"';

/** The send route's histogram buckets, cumulative: upper bound (s) → count. */
const sendBuckets = async (origin: string): Promise<Map<string, number>> => {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const buckets = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^hookbase_http_request_duration_seconds_bucket\{le="([^"]+)",(.*)\} (\d+)$/.exec(line);
    if (m?.[1] && m[2] === SEND_ROUTE) buckets.set(m[1], Number(m[3]));
  }
  return buckets;
};

const main = async (): Promise<void> => {
  const lg = startLoadGen();
  const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-latency-probe-'));
  try {
    await withDeliveringHookbase(lg, dataDir, 'latency probe', async (hb, target) => {
      await lg.call('e2e', { target, count: 3_000, concurrency: 64, timeoutMs: 60_000 });
      for (let round = 1; round <= rounds; round++) {
        const before = await sendBuckets(hb.url);
        const L = await lg.call('latency', { target, ratePerSecond: rate, durationMs: 8_000, drainTimeoutMs: 20_000 });
        const after = await sendBuckets(hb.url);
        const q = (s: { p50: number; p99: number }): string => `p50 ${ms(s.p50)} p99 ${ms(s.p99)}`;
        const server = [...after].map(([le, n]) => `≤${le}s ${n - (before.get(le) ?? 0)}`).join(', ');
        console.log(
          `round ${round} at ${rate}/s (load ${loadavg()[0]?.toFixed(1)}): send→delivered ${q(L.latencyMs)} max ${ms(L.latencyMs.max)}; ` +
            `send→202 ${q(L.answerMs)}; 202→delivered ${q(L.afterAnswerMs)}; ${L.missing} missing; pacing late by ≤ ${ms(L.maxLateMs)}\n  answered server-side (cumulative): ${server}`,
        );
      }
    });
  } finally {
    await lg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

void main();
