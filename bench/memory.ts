/**
 * Where Hookbase's memory goes: `npm run bench:memory [-- --events N]` (issue 17, item 4; docs/performance.md).
 *
 * Runs Hookbase in this process as the bench does (API on the main thread; projections, dispatcher and WAL
 * checkpoints on worker threads; embedded store), appends N small `MessageSent` events through the EventStore port
 * (1,000 at a time, to an application without endpoints, as `npm run bench -- --events N` does), waits until the
 * projections have caught up, then prints the process's memory from /proc/self/status (resident: anonymous, file
 * and shared), and each thread's V8 heap (used, committed, of it the young generation), asked of the worker threads
 * through bench/cpuThreadTag.cjs (preloaded with `node --require`). What the V8 heaps do not hold is native memory:
 * SQLite's page caches and statements, Node's buffers, the allocator's arenas. Each figure is printed at four
 * moments: Hookbase started, after the events, 5 s later, and `--settle` seconds later (30 by default), idle.
 * `--json FILE` writes the RSS figures for `npm run bench`'s figure 5, which runs this in a process of its own.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { appendSmallMessages, createApplication, ensureEventType, startBenchHookbase } from './hookbase';
import { ProgressWatcher } from '../projections/progressWatcher';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, settle: { type: 'string', default: '30' }, json: { type: 'string' } } });
const EVENTS = Number(values.events);
if (!Number.isInteger(EVENTS) || EVENTS < 0) throw new Error(`--events must be a whole number (got "${values.events}")`);
const SETTLE_S = Number(values.settle);
if (!Number.isFinite(SETTLE_S) || SETTLE_S < 5) throw new Error(`--settle must be a number of seconds, at least 5 (got "${values.settle}")`);

type ThreadHeap = Readonly<{ role: string; used: number; committed: number; young: number }>;

const MIB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;

/** The kB figures of /proc/self/status that say what is resident, in bytes. */
const status = (): Record<string, number> => {
  const out: Record<string, number> = {};
  try {
    for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const m = /^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem):\s+(\d+) kB/.exec(line);
      if (m?.[1] && m[2]) out[m[1]] = Number(m[2]) * 1024;
    }
  } catch {
    // Not Linux: RSS from process.memoryUsage() only.
    out.VmRSS = process.memoryUsage().rss;
  }
  return out;
};

const young = (spaces: Record<string, number>): number => (spaces.new_space ?? 0) + (spaces.new_large_object_space ?? 0);

const mainHeap = (): ThreadHeap => {
  const spaces: Record<string, number> = {};
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = s.physical_space_size;
  const heap = getHeapStatistics();
  return { role: 'api (main)', used: heap.used_heap_size, committed: heap.total_physical_size, young: young(spaces) };
};

/** Every worker thread's heap, as each answers within 1 s. */
const workerHeaps = async (): Promise<ThreadHeap[]> => {
  const channel = new BroadcastChannel('hookbase-bench-heaps');
  const heaps: ThreadHeap[] = [];
  channel.onmessage = (event: Event): void => {
    const data = (event as Event & { data: { role: string; heap: { used_heap_size: number; total_physical_size: number }; spaces: Record<string, number> } }).data;
    heaps.push({ role: data.role, used: data.heap.used_heap_size, committed: data.heap.total_physical_size, young: young(data.spaces) });
  };
  channel.postMessage('heap?');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  channel.close();
  return heaps.sort((a, b) => a.role.localeCompare(b.role));
};

/** What `--json FILE` writes for `npm run bench` (figure 5): RSS in bytes at each moment. */
export type MemoryResult = {
  events: number;
  caughtUp: boolean;
  appendSeconds: number;
  settleSeconds: number;
  rss: { started: number; afterEvents: number; idle5s: number; settled: number; peak: number };
};

const report = async (moment: string): Promise<number> => {
  const s = status();
  const threads = [mainHeap(), ...(await workerHeaps())];
  const committed = threads.reduce((n, t) => n + t.committed, 0);
  const rss = s.VmRSS ?? 0;
  console.log(`\n${moment}: RSS ${mib(rss)} (anonymous ${mib(s.RssAnon ?? 0)}, file ${mib(s.RssFile ?? 0)}, shared ${mib(s.RssShmem ?? 0)}; peak ${mib(s.VmHWM ?? 0)})`);
  console.log('| thread | V8 heap used | committed | of it young generation |');
  console.log('| --- | --- | --- | --- |');
  for (const t of threads) console.log(`| ${t.role} | ${mib(t.used)} | ${mib(t.committed)} | ${mib(t.young)} |`);
  console.log(`| all V8 heaps | ${mib(threads.reduce((n, t) => n + t.used, 0))} | ${mib(committed)} | ${mib(threads.reduce((n, t) => n + t.young, 0))} |`);
  console.log(`anonymous memory outside the V8 heaps (SQLite, buffers, allocator, code): ${mib((s.RssAnon ?? rss) - committed)}; external (ArrayBuffers, main thread) ${mib(process.memoryUsage().external)}`);
  if (threads.length < 4) console.log(`(threads answering: ${threads.map((t) => t.role).join(', ')}; run through \`npm run bench:memory\` so that the workers answer)`);
  return rss;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const main = async (): Promise<void> => {
  const before = status().VmRSS ?? 0;
  const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-bench-memory-'));
  const hb = await startBenchHookbase(dataDir);
  try {
    await ensureEventType(hb);
    const app = await createApplication(hb, 'bench memory (no endpoints)');
    console.log(`memory: this process before Hookbase started (node, the bench's modules): RSS ${mib(before)}; ${EVENTS} events to append`);
    const atStart = await report('Hookbase started');
    const started = performance.now();
    await appendSmallMessages(hb, app, EVENTS);
    const progress = new ProgressWatcher(hb.reads);
    await progress.start(200);
    const caughtUp = await progress.waitFor(await hb.events.headPosition(), 120_000 + EVENTS / 5);
    progress.close();
    const appendSeconds = (performance.now() - started) / 1000;
    console.log(`\nappended ${EVENTS} events and projected them in ${appendSeconds.toFixed(1)} s${caughtUp ? '' : ' (the projections had NOT caught up)'}`);
    const afterEvents = await report(`after ${EVENTS} events`);
    await sleep(5_000);
    const idle5s = await report('5 s later, idle');
    // V8 gives committed heap back only once a thread has been idle a while (its memory reducer): the figure a
    // service settles at after a burst is this one, the two before are what it holds while the burst ends.
    await sleep((SETTLE_S - 5) * 1000);
    const settled = await report(`${SETTLE_S} s later, idle`);
    if (values.json) {
      const result: MemoryResult = {
        events: EVENTS,
        caughtUp,
        appendSeconds,
        settleSeconds: SETTLE_S,
        rss: { started: atStart, afterEvents, idle5s, settled, peak: status().VmHWM ?? 0 },
      };
      writeFileSync(values.json, JSON.stringify(result));
    }
  } finally {
    await hb.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
