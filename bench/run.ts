/**
 * `npm run bench [-- --quick] [-- --events 1000000] [-- --messages 1000000] [-- --only reads]`: Hookbase against its baselines, on this machine, side by
 * side in one process tree (DESIGN.md, "Performance: how it is measured").
 *
 * This process runs what is measured: Hookbase (in-process, every role, embedded store in a temp dir) and the
 * baselines' servers and senders. A child process (bench/loadgen.ts) runs the clients (64 keep-alive connections)
 * and the webhook receiver, so that clients and servers never share an event loop. Everything talks to 127.0.0.1.
 * Figure 7 runs the multi-process layout (bench/multiProcess.ts): 2 API + 2 dispatcher processes on one store.
 * Figure 8 (bench/auditCost.ts) runs sends and end to end with the hash chain and the audit anchors on and off.
 * HOOKBASE_BENCH_AUDIT=off turns both off in figures 1-7 too (a switch of the bench only, for profiling).
 * Published (bench/publish.ts): the run's figures as JSON in bench/results/<date>-<commit>.json and the chart of the
 * last full runs, bench/results/chart.svg. The servers' JSON logs go to a file in the OS temp dir (printed at the end).
 * Nothing else is written outside the OS temp dir, whose data dirs are removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { DispatcherConfig } from '../dispatcher/config';
import { newId } from '../domain/ids';
import { allProjections, collections } from '../projections';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import type { EventStore, Position } from '../store/eventStore';
import { barePosts, bareSqliteRead, startKoaBaseline } from './baselines';
import { benchReadModels } from './readModels';
import type { SqliteReadResult } from './baselines';
import { measureDurability } from './durability';
import { measureAuditCost } from './auditCost';
import { measureIngest } from './ingest';
import type { LoadResult } from './load';
import type { BenchHookbase } from './hookbase';
import { benchLogFile, countEventsByType, createApplication, createEndpoint, ensureEventType, EVENT_TYPE, eventsDbPath, startBenchHookbase, storeStats } from './hookbase';
import { startLoadGen } from './loadgenClient';
import type { LoadGen } from './loadgenClient';
import { measureMemory } from './memoryFigure';
import { measureMultiProcess } from './multiProcess';
import { runOperatorRebuild } from './operatorRebuild';
import type { OperatorRebuild } from './operatorRebuild';
import { newRecord, publish, TARGETS } from './publish';
import type { Commands, Target } from './protocol';

type E2EResult = Commands['e2e']['result'];
import type { Row } from './stats';
import { mib, ms, num, perSecond, renderTable } from './stats';

// ---------------------------------------------------------------------------------------------------------------
// options

const FULL_MESSAGES = 1_000_000;
const QUICK_MESSAGES = 20_000;
/** Figure 9's ingest→delivered rate with --only 9 (about half of figure 2's peak on the 2-core machine). */
const DEFAULT_INGEST_RATE = 300;

const USAGE = `usage: npm run bench [-- --quick] [-- --events N] [-- --messages N] [-- --only reads|9] [-- --ingest-rate N] [-- --dispatcher JSON]
  --quick            a shorter run (< 40 s without figure 6): rougher figures
  --events N         figure 5: RSS of Hookbase alone (npm run bench:memory) after N events, and settled 30 s
                     later (default 1000000 in a full run, 0 with --quick; 0 skips it)
  --messages N       figure 6 (list pages and stats at scale) seeds N messages × 3 endpoints
                     (default ${FULL_MESSAGES} in a full run, ${QUICK_MESSAGES} with --quick; 0 skips figure 6)
  --only reads       figure 6 alone
  --only 9           figure 9 alone (inbound ingest, then ingest→delivered at --ingest-rate webhooks/s: default
                     ${DEFAULT_INGEST_RATE}, since figure 2's peak is not measured then); with --quick, short rounds
  --dispatcher JSON  overrides of the dispatcher's tuning, for profiling (e.g. '{"maxQueuedPerEndpoint":100000}');
                     the figures are then not those of the defaults, and the run says so`;

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    events: { type: 'string' },
    dispatcher: { type: 'string' },
    messages: { type: 'string' },
    only: { type: 'string' },
    'ingest-rate': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
/** Figure 5's events (bench/memory.ts in its own process): a million in a full run, none with --quick. */
const memoryEvents = flags.events === undefined ? (flags.quick ? 0 : 1_000_000) : Number(flags.events);
if (!Number.isInteger(memoryEvents) || memoryEvents < 0) {
  console.error(`--events must be a whole number (got "${flags.events}")\n${USAGE}`);
  process.exit(2);
}

const readMessages = flags.messages === undefined ? (flags.quick ? QUICK_MESSAGES : FULL_MESSAGES) : Number(flags.messages);
if (!Number.isInteger(readMessages) || readMessages < 0) {
  console.error(`--messages must be a whole number (got "${flags.messages}")\n${USAGE}`);
  process.exit(2);
}
if (flags.only !== undefined && flags.only !== 'reads' && flags.only !== '9') {
  console.error(`--only: the values are "reads" and "9" (got "${flags.only}")\n${USAGE}`);
  process.exit(2);
}
const ONLY_READS = flags.only === 'reads';
const ONLY_INGEST = flags.only === '9';
const ingestRate = flags['ingest-rate'] === undefined ? DEFAULT_INGEST_RATE : Number(flags['ingest-rate']);
if (!Number.isInteger(ingestRate) || ingestRate < 1 || (flags['ingest-rate'] !== undefined && !ONLY_INGEST)) {
  console.error(`--ingest-rate must be a whole number ≥ 1, with --only 9 (got "${flags['ingest-rate']}")\n${USAGE}`);
  process.exit(2);
}

let dispatcherOverrides: Partial<DispatcherConfig> = {};
try {
  const parsed: unknown = flags.dispatcher === undefined ? {} : JSON.parse(flags.dispatcher);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
  dispatcherOverrides = parsed as Partial<DispatcherConfig>;
} catch (error) {
  console.error(`--dispatcher: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}

const QUICK = flags.quick;
const CLIENTS = 64;
const settings = QUICK
  ? { acceptWarmupMs: 1_000, acceptRounds: 3, acceptRoundMs: 1_000, acceptMax: 50_000, rebuildRounds: 1, e2eRounds: 1, e2eCount: 1_000, e2eTimeoutMs: 20_000, latencyMs: 4_000, drainMs: 10_000 }
  : { acceptWarmupMs: 2_000, acceptRounds: 5, acceptRoundMs: 1_500, acceptMax: 200_000, rebuildRounds: 2, e2eRounds: 3, e2eCount: 3_000, e2eTimeoutMs: 60_000, latencyMs: 10_000, drainMs: 30_000 };
const record = newRecord(QUICK);

// ---------------------------------------------------------------------------------------------------------------
// helpers

const log = (line: string) => console.log(`  · ${line}`);
const sleep = (msec: number) => new Promise<void>((resolve) => setTimeout(resolve, msec));
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((p, q) => p - q);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? (sorted[(n - 1) / 2] ?? Number.NaN) : ((sorted[n / 2 - 1] ?? 0) + (sorted[n / 2] ?? 0)) / 2;
};
const ratio = (a: number, b: number): number => (b > 0 ? a / b : Number.NaN);
const x = (r: number): string => (Number.isNaN(r) ? '—' : `${r.toFixed(r >= 10 ? 1 : r >= 1 ? 2 : 3)}×`);
const pct = (v: number): string => `${Math.round(v)}%`;

type Phase<T> = Readonly<{ value: T; wallMs: number; cpuPct: number; loopP99Ms: number | null; longestStallMs: number }>;

/**
 * Runs `work` and reports this process's CPU (percent of one core), its event-loop delay p99, and its longest stall:
 * the longest time a 10 ms interval timer could not run (a loop that never yields has no delay samples at all).
 */
const phase = async <T>(work: () => Promise<T>): Promise<Phase<T>> => {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const value = await work();
    const end = performance.now();
    const wallMs = end - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      value,
      wallMs,
      cpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      loopP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : null,
      longestStallMs: Math.max(0, Math.max(longest, end - last) - 10),
    };
  } finally {
    clearInterval(ticker);
    loop.disable();
  }
};
const phaseNote = (p: Phase<unknown>) => {
  const client = typeof p.value === 'object' && p.value !== null && 'clientCpuPct' in p.value ? (p.value as { clientCpuPct: number }).clientCpuPct : null;
  return (
    `CPU: bench process ${pct(p.cpuPct)}${client === null ? '' : `, clients ${pct(client)}`} of one core; ` +
    `event loop: delay p99 ${ms(p.loopP99Ms)}, longest stall ${ms(p.longestStallMs)}`
  );
};

/** Waits until the `dispatcher` group has settled everything up to the current head (bounded). */
const waitDispatcherIdle = async (events: EventStore, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const head = await events.headPosition();
    const info = await events.getPersistentSubscriptionToAllInfo('dispatcher');
    if (info.inFlight === 0 && info.checkpoint !== null && info.checkpoint.commit >= head.commit) return true;
    await sleep(100);
  }
  return false;
};

/** Time for a catch-up subscription from the start with a handler that does nothing to reach `head`. */
const timeBareSubscription = async (events: EventStore, head: Position): Promise<number> => {
  const t0 = performance.now();
  let resolve: () => void = () => {};
  const reached = new Promise<void>((r) => (resolve = r));
  const sub = events.subscribeToAll(
    {},
    {
      onEvents: async (batch) => {
        const last = batch[batch.length - 1];
        if (last && last.position.commit >= head.commit) resolve();
      },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the catch-up subscription did not reach the head in 300 s')), 300_000);
  });
  try {
    await Promise.race([reached, timedOut]);
    return performance.now() - t0;
  } finally {
    clearTimeout(timer);
    await sub.stop();
  }
};

/** Waits until the store holds at least `count` events of `type` (bounded). */
const waitForEvents = async (dir: string, type: string, count: number, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((countEventsByType(dir)[type] ?? 0) >= count) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
};

const diffCounts = (after: Record<string, number>, before: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) !== 0));
const fmtCounts = (c: Record<string, number>): string =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';
const totalOf = (c: Record<string, number>): number => Object.values(c).reduce((s, v) => s + v, 0);

// ---------------------------------------------------------------------------------------------------------------
// the run

const PAYLOAD = { orderId: 'ord_2Xb7QmTz', amount: 4200, currency: 'EUR', customer: { id: 'cus_8Kd2', email: 'ada@example.com' }, items: 3 };
const SEND_BODY = JSON.stringify({ eventType: EVENT_TYPE, payload: PAYLOAD });

const rows: Row[] = [];
const notes: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
let dataDir: string | null = null;

const main = async (): Promise<void> => {
  const started = performance.now();
  const cpuList = cpus();
  console.log('Hookbase benchmark' + (QUICK ? ' (--quick)' : ''));
  console.log(
    `machine: ${cpuList.length} CPU(s) (${cpuList[0]?.model.trim() ?? 'unknown'}), ${mib(totalmem())} RAM, ${process.platform} ${process.arch}, node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (ONLY_READS) {
    await readModelsFigure();
    printResults(started);
    return;
  }
  console.log(`clients: ${CLIENTS} keep-alive connections (undici Pool) in a child process; everything on 127.0.0.1`);
  const overridden = Object.keys(dispatcherOverrides).length > 0;
  console.log(`dispatcher: ${overridden ? `defaults OVERRIDDEN by --dispatcher ${JSON.stringify(dispatcherOverrides)}` : 'defaults'} (duePollMs ${dispatcherOverrides.duePollMs ?? 50})\n`);

  const lg = startLoadGen();
  cleanups.push(() => lg.stop());
  const receiver = await lg.call('receiver:start', {});
  const rssBefore = process.memoryUsage().rss;

  dataDir = mkdtempSync(join(tmpdir(), 'hookbase-bench-'));
  let hb: BenchHookbase | null = await startBenchHookbase(dataDir, dispatcherOverrides);
  const hbRef = hb;
  cleanups.push(() => hbRef.close());
  await ensureEventType(hb);
  const acceptApp = await createApplication(hb, 'bench accept (no endpoints)');
  const e2eApp = await createApplication(hb, 'bench e2e (one endpoint)');
  await createEndpoint(hb, e2eApp, receiver.url);
  const auth = { 'content-type': 'application/json', authorization: `Bearer ${hb.apiKey}` };
  if (ONLY_INGEST) {
    log(`--only 9: figure 9 alone, ingest→delivered at ${ingestRate}/s (figure 2 not measured)`);
    await ingestFigure(lg, hb, receiver.url, ingestRate);
    printResults(started);
    return;
  }

  // 1. sends accepted per second -------------------------------------------------------------------------------
  // Baseline and Hookbase alternate in short rounds, so that a change in the machine's background load hits both.
  const koa = await startKoaBaseline();
  cleanups.push(() => koa.close());
  const koaTarget: Target = { origin: koa.origin, path: '/v1/applications/app_bench/messages', headers: auth, body: SEND_BODY };
  const hbTarget: Target = { origin: hb.url, path: `/v1/applications/${acceptApp}/messages`, headers: auth, body: SEND_BODY };
  const { acceptRounds, acceptRoundMs } = settings;
  log(`1. accept: bare koa route vs Hookbase POST /v1/applications/{app}/messages (no endpoint), ${CLIENTS} clients, ${acceptRounds} alternating rounds of ${acceptRoundMs / 1000} s each`);
  const statsA0 = storeStats(hb);
  const koaRounds: Phase<Commands['accept']['result']>[] = [];
  const hbRounds: Phase<Commands['accept']['result']>[] = [];
  for (let r = 0; r < acceptRounds; r++) {
    const args = { concurrency: CLIENTS, warmupMs: r === 0 ? settings.acceptWarmupMs : 0, durationMs: acceptRoundMs, maxRequests: settings.acceptMax };
    koaRounds.push(await phase(() => lg.call('accept', { target: koaTarget, ...args })));
    hbRounds.push(await phase(() => lg.call('accept', { target: hbTarget, ...args })));
  }
  await koa.close();
  const statsA1 = storeStats(hb);
  const rateOf = (p: Phase<Commands['accept']['result']>) => perSecond(p.value.ok, p.value.elapsedMs);
  const koaRate = median(koaRounds.map(rateOf));
  const acceptRate = median(hbRounds.map(rateOf));
  const mid = (rounds: Phase<Commands['accept']['result']>[]) => rounds[Math.floor(rounds.length / 2)] ?? rounds[0];
  const acceptRatio = ratio(acceptRate, koaRate);
  const acceptFailed = hbRounds.some((p) => p.value.failed > 0);
  rows.push({
    name: `1. sends accepted /s (${CLIENTS} clients)`,
    hookbase: num(acceptRate),
    baseline: num(koaRate),
    ratio: x(acceptRatio),
    target: `≥ ${TARGETS.acceptRatio}×`,
    ok: !acceptFailed && acceptRatio >= TARGETS.acceptRatio,
  });
  record.figures.acceptRatio = acceptFailed ? null : acceptRatio;
  record.rounds['1.accept.hookbase'] = hbRounds.map(rateOf);
  record.rounds['1.accept.koa'] = koaRounds.map(rateOf);
  const hbMid = mid(hbRounds);
  const koaMid = mid(koaRounds);
  notes.push(`1. accept: rounds /s — Hookbase ${hbRounds.map((p) => num(rateOf(p))).join(', ')}; koa ${koaRounds.map((p) => num(rateOf(p))).join(', ')} (medians in the table)`);
  if (hbMid && koaMid) {
    notes.push(
      `1. accept: Hookbase answer p50 ${ms(hbMid.value.answerMs.p50)} p99 ${ms(hbMid.value.answerMs.p99)}, ${phaseNote(hbMid)}; ` +
        `koa answer p50 ${ms(koaMid.value.answerMs.p50)} p99 ${ms(koaMid.value.answerMs.p99)}, ${phaseNote(koaMid)}`,
    );
  }
  if (statsA0 && statsA1) {
    const tx = statsA1.transactions - statsA0.transactions;
    const appends = statsA1.appends - statsA0.appends;
    notes.push(`1. accept: event store group commit: ${appends} appends in ${tx} transactions (${num(ratio(appends, tx))} appends per transaction)`);
  }
  for (const [who, rounds] of [['Hookbase', hbRounds], ['koa', koaRounds]] as const) {
    const failed = rounds.filter((p) => p.value.failed > 0);
    if (failed[0]) notes.push(`1. accept: ${who} had failures ${JSON.stringify(failed[0].value.statuses)}, first: ${failed[0].value.firstError}`);
  }
  if (!(await waitDispatcherIdle(hb.events, 30_000))) notes.push('1. accept: the dispatcher had not caught up with the sends 30 s later');

  // 2. end-to-end deliveries per second ------------------------------------------------------------------------
  const N = settings.e2eCount;
  const rounds = settings.e2eRounds;
  log(`2. end-to-end: bare undici POSTs of ${N} webhooks to the receiver, ${CLIENTS} at a time, before, between and after ${rounds} round(s) of Hookbase`);
  const webhookBody = JSON.stringify({ type: EVENT_TYPE, data: PAYLOAD, timestamp: new Date().toISOString(), webhookId: newId('msg') });
  const bareRuns: Phase<LoadResult>[] = [];
  const runBare = async (): Promise<void> => {
    await lg.call('receiver:reset', {});
    const bare = await phase(() => barePosts(receiver.url, webhookBody, N, CLIENTS, settings.e2eTimeoutMs));
    const seen = await lg.call('receiver:count', {});
    if (bare.value.failed > 0 || seen.distinct !== N) notes.push(`2. bare POSTs: ${bare.value.failed} failed, receiver saw ${seen.distinct} of ${N} (${bare.value.firstError})`);
    bareRuns.push(bare);
  };
  // Warm-up (connections, JIT of client and receiver): the first thousands of POSTs run several times slower.
  // Hookbase gets as many requests of warm-up below.
  const warmupRounds = 3;
  const warmupSize = Math.min(1_000, N);
  for (let w = 0; w < warmupRounds; w++) await barePosts(receiver.url, webhookBody, warmupSize, CLIENTS, settings.e2eTimeoutMs);
  await runBare();

  const e2eTarget: Target = { origin: hb.url, path: `/v1/applications/${e2eApp}/messages`, headers: auth, body: SEND_BODY };
  // As many requests as the bare POSTs' warm-up: the API, the projections and the dispatcher each JIT-compile on their
  // own thread (with a third of it, the measured run was about 15% slower).
  const e2eWarmup = warmupRounds * warmupSize;
  log(`2. end-to-end: Hookbase, warm-up of ${e2eWarmup} messages`);
  const warm = await lg.call('e2e', { target: e2eTarget, count: e2eWarmup, concurrency: CLIENTS, timeoutMs: settings.e2eTimeoutMs });
  if (warm.deliveredMs === null) notes.push(`2. warm-up: only ${warm.distinct} of ${e2eWarmup} delivered (${warm.firstError ?? 'no send error'})`);
  await waitDispatcherIdle(hb.events, 10_000);
  // A delivery's outcome is appended just after the receiver answered: let the last ones land before counting.
  await waitForEvents(dataDir, 'AttemptSucceeded', warm.ok, 5_000);

  // Alternating rounds, medians in the table (as for figure 1): the machine's speed drifts within a run, and a single
  // short baseline sample (3000 POSTs take a third of a second) can land on either side of it.
  log(`2. end-to-end: Hookbase, ${rounds} round(s) of ${N} messages from ${CLIENTS} clients to one endpoint`);
  const counts0 = countEventsByType(dataDir);
  const statsE0 = storeStats(hb);
  const e2eRuns: Phase<E2EResult>[] = [];
  let delivered = counts0.AttemptSucceeded ?? 0;
  for (let r = 0; r < rounds; r++) {
    const round = await phase(() => lg.call('e2e', { target: e2eTarget, count: N, concurrency: CLIENTS, timeoutMs: settings.e2eTimeoutMs }));
    delivered += round.value.ok;
    await waitDispatcherIdle(hb.events, 10_000);
    await waitForEvents(dataDir, 'AttemptSucceeded', delivered, 10_000);
    e2eRuns.push(round);
    await runBare();
  }
  const statsE1 = storeStats(hb);
  const e2eCounts = diffCounts(countEventsByType(dataDir), counts0);
  const bareRates = bareRuns.map((p) => perSecond(p.value.ok, p.value.elapsedMs));
  const bareRate = median(bareRates);
  const roundRate = (p: Phase<E2EResult>): number =>
    p.value.deliveredMs !== null ? perSecond(N, p.value.deliveredMs) : perSecond(p.value.distinct, settings.e2eTimeoutMs);
  const e2eRates = e2eRuns.map(roundRate);
  const e2eDone = e2eRuns.every((p) => p.value.deliveredMs !== null);
  const e2eRate = median(e2eRates);
  const e2eRatio = ratio(e2eRate, bareRate);
  // The round nearest the median, for the details.
  const e2e = [...e2eRuns].sort((a, b) => Math.abs(roundRate(a) - e2eRate) - Math.abs(roundRate(b) - e2eRate))[0] as Phase<E2EResult>;
  rows.push({
    name: `2. deliveries /s end to end (${N})`,
    hookbase: num(e2eRate) + (e2eDone ? '' : ' (timed out)'),
    baseline: num(bareRate),
    ratio: x(e2eRatio),
    target: `≥ ${TARGETS.e2eRatio}×`,
    ok: e2eDone && e2eRatio >= TARGETS.e2eRatio,
  });
  record.figures.e2eRatio = e2eDone ? e2eRatio : null;
  record.rounds['2.e2e.hookbase'] = e2eRates;
  record.rounds['2.e2e.bareUndici'] = bareRates;
  notes.push(`2. e2e: rounds /s — Hookbase ${e2eRates.map(num).join(', ')}; bare POSTs ${bareRates.map(num).join(', ')} (medians in the table)`);
  notes.push(
    `2. e2e (the median round): ${e2e.value.ok} sends accepted in ${ms(e2e.value.acceptedMs)} (${num(perSecond(e2e.value.ok, e2e.value.acceptedMs))}/s, answer p50 ${ms(e2e.value.answerMs.p50)} p99 ${ms(e2e.value.answerMs.p99)}); ` +
      `${e2e.value.distinctWhenAccepted} of them delivered by then; ${e2e.value.distinct} distinct webhooks (${e2e.value.requests} requests) after ${ms(e2e.value.deliveredMs)}; ${phaseNote(e2e)}`,
  );
  notes.push(`2. e2e: events appended meanwhile: ${fmtCounts(e2eCounts)}`);
  if ((e2eCounts.RetryScheduled ?? 0) > 0) {
    notes.push(`2. e2e: ${e2eCounts.RetryScheduled} first attempts were handed to the due-queue (endpoint over its fair share of the subscription buffer) and ran from the poller`);
  }
  if (statsE0 && statsE1) {
    const tx = statsE1.transactions - statsE0.transactions;
    const appends = statsE1.appends - statsE0.appends;
    notes.push(`2. e2e: group commit on the API's connection ${appends} appends in ${tx} transactions (${num(ratio(appends, tx))} per transaction); the dispatcher appends its outcomes through its own`);
  }
  notes.push(`2. bare POSTs: ${bareRuns[0] ? phaseNote(bareRuns[0]) : ''}`);
  for (const run of e2eRuns) if (run.value.failed > 0) notes.push(`2. e2e: ${run.value.failed} sends failed: ${run.value.firstError}`);

  // 3. latency at half of the peak rate ------------------------------------------------------------------------
  const rate = Math.max(1, Math.round(e2eRate / 2));
  log(`3. latency: ${rate} sends/s (half of ${num(e2eRate)}) for ${settings.latencyMs / 1000} s, open loop`);
  const lat = await phase(() => lg.call('latency', { target: e2eTarget, ratePerSecond: rate, durationMs: settings.latencyMs, drainTimeoutMs: settings.drainMs }));
  await waitDispatcherIdle(hb.events, 10_000);
  const L = lat.value;
  const latOk = L.missing === 0 && L.failed === 0 && L.delivered > 0;
  rows.push({ name: `3. send→delivered p50 @ ${rate}/s`, hookbase: ms(L.latencyMs.p50), baseline: '—', ratio: '—', target: '—', ok: null });
  rows.push({
    name: `3. send→delivered p99 @ ${rate}/s`,
    hookbase: ms(L.latencyMs.p99),
    baseline: '—',
    ratio: '—',
    target: `≤ ${TARGETS.latencyP99Ms} ms`,
    ok: latOk && L.latencyMs.p99 <= TARGETS.latencyP99Ms,
  });
  record.figures.latencyP99Ms = latOk ? L.latencyMs.p99 : null;
  record.rounds['3.latency.ratePerSecond'] = [rate];
  record.rounds['3.latency.sendToDeliveredMs.p50.p99.max'] = [L.latencyMs.p50, L.latencyMs.p99, L.latencyMs.max];
  record.rounds['3.latency.sendToAnswerMs.p50.p99'] = [L.answerMs.p50, L.answerMs.p99];
  notes.push(
    `3. latency: ${L.issued} sent, ${L.ok} accepted, ${L.delivered} delivered, ${L.missing} missing; send→202 p50 ${ms(L.answerMs.p50)} p99 ${ms(L.answerMs.p99)}; ` +
      `202→delivered p50 ${ms(L.afterAnswerMs.p50)} p99 ${ms(L.afterAnswerMs.p99)}; send→delivered max ${ms(L.latencyMs.max)}; pacing late by ≤ ${ms(L.maxLateMs)}; ${phaseNote(lat)}`,
  );
  if (L.failed > 0) notes.push(`3. latency: ${L.failed} sends failed: ${L.firstError}`);

  // 9. inbound: ingest accepted per second, and ingest→delivered at half the peak rate (bench/ingest.ts) -----------
  await ingestFigure(lg, hb, receiver.url, e2eRate / 2);

  // 5 (first part). memory with Hookbase running -----------------------------------------------------------------
  const countsNow = countEventsByType(dataDir);
  const eventsNow = totalOf(countsNow);
  const mem = process.memoryUsage();
  rows.push({ name: `5. RSS, Hookbase running, ${eventsNow} events`, hookbase: mib(mem.rss), baseline: mib(rssBefore), ratio: '—', target: '—', ok: null });
  notes.push(`5. memory: baseline = this process before Hookbase started (node + the bench's modules); heap used ${mib(mem.heapUsed)}, external ${mib(mem.external)}; the koa baseline and the bare-POST pool are closed by then, the load generator is another process`);

  // 6. durability: the same work with the event store's fsync at each commit (default) and without -------------
  // Figures 6 and 8 alternate rounds of the same work with a setting on and off: the same load for both.
  const alternating = {
    call: lg.call,
    dispatcher: dispatcherOverrides,
    receiverUrl: receiver.url,
    sendBody: SEND_BODY,
    clients: CLIENTS,
    rounds: QUICK ? 1 : 3,
    roundMs: settings.acceptRoundMs,
    e2eCount: QUICK ? 1_000 : settings.e2eCount,
    e2eTimeoutMs: settings.e2eTimeoutMs,
    log,
  };
  const durability = await measureDurability({ ...alternating, full: hb });
  rows.push(...durability.rows);
  notes.push(...durability.notes);

  // 8. the hash chain and the audit anchors: the same work with both (default) and without ---------------------
  const auditCost = await measureAuditCost(alternating);
  rows.push(...auditCost.rows);
  notes.push(...auditCost.notes);

  // 7. the multi-process layout: 2 API + 2 dispatcher processes on one store ----------------------------------------
  try {
    const multi = await measureMultiProcess({
      call: lg.call,
      receiverUrl: receiver.url,
      sendBody: SEND_BODY,
      clients: CLIENTS,
      rounds: QUICK ? 1 : 3,
      count: N,
      timeoutMs: settings.e2eTimeoutMs,
      logFile: benchLogFile(),
      bareRound: async () => {
        await lg.call('receiver:reset', {});
        const bare = await barePosts(receiver.url, webhookBody, N, CLIENTS, settings.e2eTimeoutMs);
        return perSecond(bare.ok, bare.elapsedMs);
      },
      log,
    });
    const multiRate = median(multi.rates);
    const multiBare = median(multi.bareRates);
    const multiRatio = ratio(multiRate, multiBare);
    // Per core: both layouts run on the same cores, so the ratios compare directly.
    const againstOne = ratio(multiRatio, e2eRatio);
    rows.push({
      name: `7. deliveries /s end to end, 2 API + 2 dispatcher processes (${N})`,
      hookbase: num(multiRate) + (multi.failed ? ' (incomplete)' : ''),
      baseline: num(multiBare),
      ratio: x(multiRatio),
      target: `≥ 0.8 × figure 2 (${x(e2eRatio * 0.8)})`,
      ok: multi.failed === null && againstOne >= 0.8,
    });
    record.figures.multiProcessE2eRatio = multi.failed === null ? multiRatio : null;
    record.rounds['7.multiProcess.hookbase'] = multi.rates;
    record.rounds['7.multiProcess.bareUndici'] = multi.bareRates;
    notes.push(`7. multi-process: rounds /s — Hookbase ${multi.rates.map(num).join(', ')}; bare POSTs ${multi.bareRates.map(num).join(', ')}; ${x(againstOne)} of the one-process ratio; the four processes started in ${ms(multi.startMs)}${multi.failed ? `; ${multi.failed}` : ''}`);
  } catch (error) {
    notes.push(`7. multi-process: not measured (${error instanceof Error ? error.message : String(error)})`);
  }

  await hb.close();
  hb = null;

  // 4. rebuild ---------------------------------------------------------------------------------------------------
  // The operator's rebuild (bench/operatorRebuild.ts): the job the admin route requests, claimed by the projections
  // lease holder, replayed from the start of $all into the shadow collections and swapped in, timed by the job's own
  // startedAt → finishedAt. Bare read and rebuild alternate (best of each), as the machine's background load changes.
  const rebuildRounds = settings.rebuildRounds;
  const rebuildDir = dataDir;
  log(`4. rebuild: bare SQLite read of the ${eventsNow} events vs the operator's rebuild (replayed into the shadow collections and swapped in), ${rebuildRounds} round(s), best of each`);
  const events = SqliteEventStore.open(eventsDbPath(dataDir));
  const reads = SqliteReadStore.open(join(dataDir, 'read-models.db'));
  const head = await events.headPosition();
  const messagesBefore = await reads.collection(collections.messages).count();
  let best: { read: SqliteReadResult; rebuild: Phase<OperatorRebuild | null> | null; subscriptionMs: number } = {
    read: { events: 0, elapsedMs: Number.POSITIVE_INFINITY },
    rebuild: null,
    subscriptionMs: Number.POSITIVE_INFINITY,
  };
  let messagesAfter = -1;
  const readRounds: number[] = [];
  const rebuildRoundRates: number[] = [];
  let rebuildFailure = '';
  for (let r = 0; r < rebuildRounds; r++) {
    const read = bareSqliteRead(eventsDbPath(dataDir), 2);
    readRounds.push(perSecond(read.events, read.elapsedMs));
    if (read.elapsedMs < best.read.elapsedMs) best = { ...best, read };
    // The catch-up subscription alone, with a handler that does nothing: the store's share of a rebuild.
    const subscriptionMs = await timeBareSubscription(events, head);
    if (subscriptionMs < best.subscriptionMs) best = { ...best, subscriptionMs };
    const rebuild = await phase(() =>
      runOperatorRebuild(rebuildDir, 300_000).catch((error: unknown) => {
        rebuildFailure = error instanceof Error ? error.message : String(error);
        return null;
      }),
    );
    rebuildRoundRates.push(rebuild.value ? perSecond(read.events, rebuild.value.rebuildMs) : 0);
    messagesAfter = await reads.collection(collections.messages).count();
    const bestMs = best.rebuild?.value?.rebuildMs ?? Number.POSITIVE_INFINITY;
    if (!best.rebuild || (rebuild.value && rebuild.value.rebuildMs < bestMs)) best = { ...best, rebuild };
  }
  await events.close();
  await reads.close();
  const eventsRead = best.read.events;
  const sqliteRate = perSecond(eventsRead, best.read.elapsedMs);
  const rebuilt = best.rebuild?.value ?? null;
  const rebuildRate = rebuilt ? perSecond(eventsRead, rebuilt.rebuildMs) : 0;
  rows.push({
    name: `4. rebuild events /s (${eventsRead} events)`,
    hookbase: num(rebuildRate) + (rebuilt ? '' : ' (failed)'),
    baseline: num(sqliteRate),
    ratio: x(ratio(rebuildRate, sqliteRate)),
    target: `≥ ${TARGETS.rebuildRatio}×`,
    ok: rebuilt !== null && ratio(rebuildRate, sqliteRate) >= TARGETS.rebuildRatio,
  });
  record.figures.rebuildRatio = rebuilt ? ratio(rebuildRate, sqliteRate) : null;
  record.rounds['4.rebuild.hookbase'] = rebuildRoundRates;
  record.rounds['4.rebuild.bareSqliteRead'] = readRounds;
  if (best.rebuild) {
    notes.push(
      `4. rebuild: the operator's rebuild (the job POST /v1/admin/projections/rebuild requests, claimed by the lease holder, replayed into the shadow collections, ` +
        `their indexes built and swapped in; the job's startedAt → finishedAt) ${rebuilt ? `${ms(rebuilt.rebuildMs)}, ${ms(rebuilt.wallMs)} from the request` : `failed: ${rebuildFailure}`} ` +
        `for ${allProjections.length} projections (${phaseNote(best.rebuild)}); bare read ${ms(best.read.elapsedMs)}; ` +
        `the catch-up subscription alone (no-op handler) ${ms(best.subscriptionMs)} (${num(perSecond(eventsRead, best.subscriptionMs))}/s); ` +
        `messages read model ${messagesBefore} docs before, ${messagesAfter} after${messagesBefore === messagesAfter ? '' : ' — MISMATCH'}`,
    );
  }

  // 5. RSS after N events, Hookbase alone in a process of its own (bench/memory.ts) --------------------------------
  if (memoryEvents > 0) {
    log(`5. memory: npm run bench:memory -- --events ${memoryEvents} (Hookbase alone in its process; RSS after the events, and settled 30 s later)`);
    const mem = await phase(() => measureMemory(memoryEvents, 600_000 + memoryEvents / 2));
    const m = mem.value.result;
    if (m) {
      const settledMiB = m.rss.settled / 2 ** 20;
      const judged = m.events >= 1_000_000;
      rows.push({ name: `5. RSS after ${num(m.events)} events, right after`, hookbase: mib(m.rss.afterEvents), baseline: mib(m.rss.started), ratio: '—', target: '—', ok: null });
      rows.push({
        name: `5. RSS after ${num(m.events)} events, settled (${m.settleSeconds} s idle)`,
        hookbase: mib(m.rss.settled) + (m.caughtUp ? '' : ' (not caught up)'),
        baseline: mib(m.rss.started),
        ratio: '—',
        target: judged ? `≤ ${mib(TARGETS.rssMiB * 2 ** 20)}` : '—',
        ok: judged ? m.caughtUp && settledMiB <= TARGETS.rssMiB : null,
      });
      record.figures.rssMiB = judged && m.caughtUp ? settledMiB : null;
      record.rounds['5.memory.events'] = [m.events];
      record.rounds['5.memory.rssMiB.started.afterEvents.idle5s.settled.peak'] = [m.rss.started, m.rss.afterEvents, m.rss.idle5s, m.rss.settled, m.rss.peak].map((b) => b / 2 ** 20);
      notes.push(
        `5. memory: Hookbase alone in a process (npm run bench:memory): RSS ${mib(m.rss.started)} started, ${mib(m.rss.afterEvents)} once ${num(m.events)} events were appended and projected (${m.appendSeconds.toFixed(1)} s), ` +
          `${mib(m.rss.idle5s)} 5 s later, ${mib(m.rss.settled)} ${m.settleSeconds} s later; peak ${mib(m.rss.peak)}; the baseline column is RSS at start; each thread's heap: ${mem.value.outputFile}`,
      );
    } else {
      notes.push(`5. memory: not measured: ${mem.value.error ?? 'no result'} (output: ${mem.value.outputFile})`);
    }
  }

  await readModelsFigure();
  printResults(started);
};

/** 9. inbound: ingest accepted per second, and ingest→delivered at `halfRate` webhooks/s (bench/ingest.ts). */
const ingestFigure = async (lg: LoadGen, hb: BenchHookbase, receiverUrl: string, halfRate: number): Promise<void> => {
  const ingestKoa = await startKoaBaseline();
  cleanups.push(() => ingestKoa.close());
  const ingest = await measureIngest(lg, hb, ingestKoa.origin, receiverUrl, halfRate, {
    clients: CLIENTS, rounds: settings.acceptRounds, roundMs: settings.acceptRoundMs, warmupMs: settings.acceptWarmupMs, maxRequests: settings.acceptMax, latencyMs: settings.latencyMs, drainMs: settings.drainMs,
  }, log);
  await ingestKoa.close();
  await waitDispatcherIdle(hb.events, 10_000);
  rows.push(...ingest.rows);
  notes.push(...ingest.notes);
  Object.assign(record.rounds, ingest.rounds);
  record.figures.ingestAcceptRatio = ingest.acceptRatio;
  record.figures.ingestLatencyP99Ms = ingest.latencyP99Ms;
};

/** 6. list pages and stats at `readMessages` messages (bench/readModels.ts). */
const readModelsFigure = async (): Promise<void> => {
  if (readMessages === 0) return;
  const figure = await benchReadModels(readMessages, QUICK ? 100 : 300, log);
  rows.push(...figure.rows);
  notes.push(...figure.notes);
};

const printResults = (started: number): void => {
  console.log('');
  const figure = (r: Row) => Number(r.name.split('.')[0]);
  console.log(renderTable([...rows].sort((a, b) => figure(a) - figure(b))));
  console.log('');
  console.log('notes:');
  for (const n of notes) console.log(`  ${n}`);
  const totalMs = performance.now() - started;
  console.log(`\ntotal ${ms(totalMs)}`);
  // Published: this run's JSON in bench/results, and the chart of the last full runs redrawn from those files.
  record.rows = [...rows].sort((a, b) => figure(a) - figure(b));
  record.notes = [...notes];
  record.totalMs = totalMs;
  record.loadAverage.after = loadavg();
  if (ONLY_INGEST) {
    // A partial run: not published (the chart and the results are for whole runs); its figures are printed.
    console.log(`not published (--only 9): ${JSON.stringify({ figures: record.figures, rounds: record.rounds })}\nserver log: ${benchLogFile()}`);
    return;
  }
  const published = publish(record);
  console.log(`results: ${published.json}\nchart:   ${published.chart}\nserver log: ${benchLogFile()}`);
};

// ---------------------------------------------------------------------------------------------------------------
// run, clean up, exit by ourselves

const cleanup = async (): Promise<void> => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups.length = 0;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
};

// Figure 6 seeds and projects ~4.3 events per message (up to several ms per message on a loaded machine).
// Figure 7 starts four processes (up to 30 s on a loaded machine) and runs its own rounds.
const budgetMs = (ONLY_READS ? 60_000 : QUICK ? 150_000 : 400_000) + memoryEvents / 4 + readMessages * 10;
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${budgetMs / 1000} s; giving up`);
  void cleanup().finally(() => process.exit(1));
}, budgetMs);
watchdog.unref();

process.once('SIGINT', () => {
  console.error('\nbench: interrupted; cleaning up');
  void cleanup().finally(() => process.exit(130));
});

main().then(
  async () => {
    await cleanup();
    clearTimeout(watchdog);
    // Everything is closed: the process should now end by itself. If a handle is still open, say which and leave.
    setTimeout(() => {
      console.error(`bench: handles still open after the run: ${process.getActiveResourcesInfo().join(', ')}`);
      process.exit(0);
    }, 5_000).unref();
  },
  async (error: unknown) => {
    console.error('bench: failed:', error instanceof Error ? (error.stack ?? error.message) : error);
    if (rows.length > 0) console.error(`\n${renderTable(rows)}`);
    await cleanup();
    process.exit(1);
  },
);
