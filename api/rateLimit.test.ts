import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openOperationalRateLimiter, OPERATIONAL_FILE } from '../cli/operational';
import { spawnRecorded } from '../test/wire/children';
import { BatchedRateLimiter } from './rateLimit';
import type { SharedCount, SharedCounters } from './rateLimit';

// Issue 17: rate limits counted in memory and added to the shared counters (rate-limiter-flexible's SQLite store on
// operational.db) in batches: exact within a process, a bounded overshoot across processes, never below the limit.

let dataDir: string;
const opened: Array<() => void> = [];
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'hookbase-ratelimit-'));
});
afterEach(() => {
  for (const close of opened.splice(0)) close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The real shared store, with its writes counted. */
const sharedStore = (): SharedCounters & { writes: () => number } => {
  const store = openOperationalRateLimiter(dataDir, OPERATIONAL_FILE);
  opened.push(store.close);
  let writes = 0;
  return {
    writes: () => writes,
    add: (bucket, subject, limit, windowMs, points, nowMs): Promise<SharedCount> => {
      writes += 1;
      return store.limiter.add(bucket, subject, limit, windowMs, points, nowMs);
    },
  };
};

describe('BatchedRateLimiter in one process', () => {
  it('counts down exactly under a small limit, then refuses with the window end', async () => {
    const limiter = new BatchedRateLimiter(sharedStore());
    const now = Date.now();
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.take('api', 'key_a', 3, 60_000, now));
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([[true, 2], [true, 1], [true, 0], [false, 0]]);
    const reset = decisions[3]?.resetAt ?? 0;
    expect(reset).toBeGreaterThan(Math.floor(now / 1000));
    expect(reset).toBeLessThanOrEqual(Math.floor((now + 60_000) / 1000));
    await limiter.close();
  });

  it('accepts exactly the limit of many concurrent requests, with a shared write per batch, not per request', async () => {
    const store = sharedStore();
    const limiter = new BatchedRateLimiter(store);
    const limit = 2_000;
    const decisions = await Promise.all(Array.from({ length: 2_600 }, () => limiter.take('sends', 'key_b', limit, 60_000, Date.now())));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(limit);
    // maxUnsynced(2000) = 20 requests per write at most, far fewer writes than requests.
    expect(store.writes()).toBeLessThanOrEqual(Math.ceil(2_600 / 20) + 2);
    // Over the limit: refused from memory, nothing written.
    const writes = store.writes();
    for (let i = 0; i < 50; i++) expect((await limiter.take('sends', 'key_b', limit, 60_000, Date.now())).allowed).toBe(false);
    expect(store.writes()).toBe(writes);
    await limiter.close();
  });

  it('adds what it counted to the shared store within a flush period', async () => {
    const store = sharedStore();
    const limiter = new BatchedRateLimiter(store, { flushEveryMs: 20 });
    for (let i = 0; i < 10; i++) expect((await limiter.take('sends', 'key_c', 1_000, 60_000, Date.now())).allowed).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    // Another process (another connection, another limiter) sees the ten.
    const other = sharedStore();
    const seen = await other.add('sends', 'key_c', 1_000, 60_000, 1, Date.now());
    expect(seen.total).toBe(11);
    await limiter.close();
  });
});

describe('BatchedRateLimiter across two processes on one data dir', () => {
  const run = (limit: number, takes: number, concurrency: number) => {
    const child = spawnRecorded(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/rateLimitProcess.ts', import.meta.url)), dataDir, String(limit), String(takes), String(concurrency)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<number>((resolve, reject) =>
      child.once('exit', (code) => (code === 0 ? resolve((JSON.parse(out.trim()) as { allowed: number }).allowed) : reject(new Error(`exit ${code}: ${err}`)))),
    );
    return { go: () => child.stdin?.end('go\n'), done };
  };

  it.each([
    [400, 500, 8],
    [50, 80, 4],
  ])('limit %i: together they accept the limit, and at most 2 processes × 2 × maxUnsynced more', async (limit, takes, concurrency) => {
    const a = run(limit, takes, concurrency);
    const b = run(limit, takes, concurrency);
    // Both have loaded before either starts counting.
    await new Promise((r) => setTimeout(r, 3_000));
    a.go();
    b.go();
    const [allowedA, allowedB] = await Promise.all([a.done, b.done]);
    const total = allowedA + allowedB;
    expect(total).toBeGreaterThanOrEqual(limit);
    expect(total).toBeLessThanOrEqual(limit + 2 * 2 * BatchedRateLimiter.maxUnsynced(limit));
    // Under 100 every request waits for its shared write: exact.
    if (limit < 100) expect(total).toBe(limit);
    console.log(`limit ${limit}: the two processes accepted ${allowedA} + ${allowedB} = ${total}`);
  }, 60_000);
});
