/**
 * CPU time per operation, per thread: `npm run bench:cpu [-- --ops N --rounds R]`. Not a throughput benchmark: on
 * a machine shared with other work, requests per second swing with the load, while the CPU time a thread spends
 * per send or per delivery moves far less (it is what the kernel charges to that thread, not wall time).
 *
 * Hookbase runs in this process as the bench runs it (API on the main thread; projections, dispatcher and WAL
 * checkpoints on worker threads, embedded store, 127.0.0.1, port 0); the bench's load generator and receiver run in
 * a child process (64 clients), whose CPU is not counted. Each round runs these phases (`--phases`, all by default) of N operations each:
 * - `send`: sends to an application without endpoints (what figure 1 measures: the request path and the append,
 *   then the projections and the reactors that see each message);
 * - `key`: the same, each with an `Idempotency-Key` of its own (as the SDK sends every POST);
 * - `e2e`: sends to an application with one endpoint, each delivered to the receiver (figure 2's work).
 * After a phase's last answer (and, for `e2e`, its last delivery) it waits until the process is idle again (the
 * projections and reactors have caught up), so each phase's CPU is all its own. The idle rate measured before the
 * rounds (timers, polls) is subtracted. Per-thread CPU comes from /proc/self/task/<tid>/stat (Linux): the worker
 * threads tell their thread ids through bench/cpuThreadTag.cjs, preloaded with `node --require` (npm script).
 * `other` is the rest of the process: libuv's pool, V8's GC and compiler threads.
 *
 * `--audit on|off|both` (default on): the Hookbase with the hash chain and the audit anchors (as production runs), one
 * without them (the bench-only switch, cli/hookbase.ts StartOptions.audit), or both in the same process, each phase
 * of a round run on one then the other (the order swapped every round), so that both meet the machine at the same
 * moment; `both` then prints each one's figures and the difference as a % of the "off" total (docs/audit.md
 * "Defaults and their cost").
 *
 * With the audit on, the anchor writer alone is measured last (the Hookbases stopped), phase by phase: the events the
 * "on" Hookbase committed during a phase's runs, read back, fed to an AnchorWriter as the projections runner feeds it
 * (same batches, default schedule, the anchors signed and appended to a store of their own), after two unmeasured
 * runs to warm V8 up (anchorWriterAlone); its CPU per event times that phase's events per operation, against that
 * phase's total per operation, is what the anchoring defaults add to the operation, apart from the hash chain (which
 * "off" removes too). It prints the bytes its anchors store per head too.
 *
 * Prints µs of CPU per operation for each thread, the median of the rounds and each round. Bounded: about
 * 2 × rounds × N requests (twice that with `--audit both`). Profiles: run the same command under `node --cpu-prof --cpu-prof-dir .prof` (ignored by git).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApplication, createEndpoint, ensureEventType, sendTarget, startBenchHookbase } from './hookbase';
import type { BenchHookbase } from './hookbase';
import { startLoadGen } from './loadgenClient';
import type { Target } from './protocol';
import { ms, num, perSecond } from './stats';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import type { RecordedEvent } from '../store/eventStore';
import { loadOrCreateAnchorKey } from '../store/chain/anchorKey';
import { AnchorWriter, DEFAULT_ANCHOR_EVERY, DEFAULT_ANCHOR_INTERVAL_MS } from '../store/chain/anchorWriter';
import { withHashChain } from '../store/chain/hashChainedEventStore';
import { streams } from '../domain/streams';

const { values } = parseArgs({ options: { ops: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '3' }, phases: { type: 'string', default: 'send,key,e2e' }, audit: { type: 'string', default: 'on' } } });
const OPS = Number(values.ops);
const ROUNDS = Number(values.rounds);
const PHASES = values.phases.split(',').filter((p): p is Phase => p === 'send' || p === 'key' || p === 'e2e');
if (values.audit !== 'on' && values.audit !== 'off' && values.audit !== 'both') throw new Error(`--audit must be on, off or both (got "${values.audit}")`);
const AUDITS: readonly Audit[] = values.audit === 'both' ? ['on', 'off'] : [values.audit];
const CLIENTS = 64;

type Phase = 'send' | 'key' | 'e2e';
type Audit = 'on' | 'off';
const THREADS = ['api', 'projections', 'dispatcher', 'wal', 'other', 'total'] as const;
type ThreadName = (typeof THREADS)[number];
type Cpu = Record<ThreadName, number>;

const TICK_US = 10_000; // USER_HZ is 100 on Linux: utime and stime count hundredths of a second.
const roles = new Map<string, ThreadName>([[String(process.pid), 'api']]);
const channel = new BroadcastChannel('hookbase-bench-cpu-threads');
channel.onmessage = (event: Event): void => {
  const data = (event as Event & { data: { tid: string; role: string } }).data;
  const role = THREADS.find((t) => t === data.role);
  if (role) roles.set(data.tid, role);
};
channel.unref();

/** CPU time so far (µs) of each thread of this process, by role; `total` from process.cpuUsage (finer grained). */
const sample = (): Cpu => {
  const cpu: Cpu = { api: 0, projections: 0, dispatcher: 0, wal: 0, other: 0, total: 0 };
  let perThread = 0;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // the thread ended meanwhile
      }
      // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const us = (Number(fields[11]) + Number(fields[12])) * TICK_US;
      cpu[roles.get(tid) ?? 'other'] += us;
      perThread += us;
    }
  } catch {
    // No /proc: the total only.
  }
  const u = process.cpuUsage();
  cpu.total = u.user + u.system;
  // Ticks are coarse; `other` takes what the total has that the threads' ticks do not (never negative).
  cpu.other = Math.max(0, cpu.other + (cpu.total - perThread));
  return cpu;
};

const diff = (a: Cpu, b: Cpu): Cpu => Object.fromEntries(THREADS.map((t) => [t, b[t] - a[t]])) as Cpu;

const sleep = (msToWait: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, msToWait));

/** Waits until the process's CPU over 300 ms is twice within 2× the idle rate + 10 ms (projections and reactors done), at most 60 s (then it says so). */
const quiesce = async (idleUsPerMs: number): Promise<void> => {
  const until = Date.now() + 60_000;
  let last = sample().total;
  let quietSpells = 0;
  while (Date.now() < until) {
    await sleep(300);
    const now = sample().total;
    quietSpells = now - last <= idleUsPerMs * 300 * 2 + 10_000 ? quietSpells + 1 : 0;
    if (process.env.HOOKBASE_BENCH_CPU_DEBUG) console.log(`quiesce: ${((now - last) / 1000).toFixed(1)} ms of CPU in 300 ms`);
    last = now;
    if (quietSpells >= 2) return;
  }
  console.log('(the process did not come back to idle within 60 s: this phase counts what ran meanwhile)');
};

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** One Hookbase under measurement: its targets for each phase. */
type Variant = Readonly<{ audit: Audit; hb: BenchHookbase; targets: Record<Phase, Target> }>;

const startVariant = async (audit: Audit, dataDir: string, receiverUrl: string): Promise<Variant> => {
  const hb = await startBenchHookbase(dataDir, {}, undefined, undefined, {}, audit);
  await ensureEventType(hb);
  const e2eApp = await createApplication(hb, 'cpu e2e');
  await createEndpoint(hb, e2eApp, receiverUrl);
  const sendApp = await createApplication(hb, 'cpu send');
  const targets: Record<Phase, Target> = {
    send: sendTarget(hb, sendApp),
    key: { ...sendTarget(hb, sendApp), idempotencyKeys: true },
    e2e: sendTarget(hb, e2eApp),
  };
  return { audit, hb, targets };
};

/** The runner's batch size on the embedded store (sqliteEventStore.ts, rows per read page). */
const FEED_BATCH = 500;

/** Runs of the anchor writer alone not measured first: JIT warm-up (see anchorWriterAlone). */
const WRITER_WARM_UP_RUNS = 2;

/**
 * µs of CPU per event of the anchor writer alone, fed `log` in the runner's batches: the median of 3 runs, each on a
 * fresh store of its own (where its key and anchors go). Runs on this thread only, with nothing else running. The
 * first WRITER_WARM_UP_RUNS are not counted: a run builds one anchor per 1,000 events, a few dozen here, so V8 was
 * still optimizing the per-anchor code in the runs measured (one process: 11.2, 5.5 then 3.6 µs per event), while a
 * lease holder's writer runs for hours. Their figures are printed too.
 */
const anchorWriterAlone = async (log: readonly RecordedEvent[]): Promise<{ usPerEvent: number; runs: number[]; bytesPerHead: number }> => {
  const perEvent: number[] = [];
  let bytesPerHead = 0;
  for (let run = 0; run < WRITER_WARM_UP_RUNS + 3; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'hookbase-cpu-anchors-'));
    const store = withHashChain(SqliteEventStore.open(join(dir, 'events.db')));
    try {
      const key = await loadOrCreateAnchorKey(store, randomBytes(32));
      const listeners: ((batch: readonly RecordedEvent[]) => void)[] = [];
      const writer = new AnchorWriter({ events: store, key: async () => key, schedule: { every: DEFAULT_ANCHOR_EVERY, intervalMs: DEFAULT_ANCHOR_INTERVAL_MS } });
      writer.follow({ onBatch: (listener) => (listeners.push(listener), () => {}) });
      await writer.start();
      const from = process.cpuUsage();
      for (let i = 0; i < log.length; i += FEED_BATCH) {
        const batch = log.slice(i, i + FEED_BATCH);
        for (const listener of listeners) listener(batch);
        await new Promise((resolve) => setImmediate(resolve)); // the runner yields between batches too
      }
      await writer.flush();
      const used = process.cpuUsage(from);
      perEvent.push((used.user + used.system) / log.length);
      await writer.stop();
      // What the anchors store per head (their data's JSON over the heads they pin): most of what they cost the log.
      let bytes = 0;
      let heads = 0;
      for await (const anchor of store.readStream(streams.auditAnchors())) {
        bytes += JSON.stringify(anchor.data).length;
        heads += Number(anchor.data.size);
      }
      bytesPerHead = bytes / heads;
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { usPerEvent: median(perEvent.slice(WRITER_WARM_UP_RUNS)), runs: perEvent, bytesPerHead };
};

/** The events the "on" Hookbase committed during its runs of `phase` (from a run's start to the next run's). */
const eventsOfPhase = (log: readonly RecordedEvent[], runs: readonly { phase: Phase; startedMs: number }[], phase: Phase): RecordedEvent[] =>
  log.filter((event) => {
    const at = event.created.getTime();
    let owner: Phase | null = null;
    for (const run of runs) {
      if (run.startedMs > at) break;
      owner = run.phase;
    }
    return owner === phase;
  });

const readLog = async (dataDir: string): Promise<RecordedEvent[]> => {
  const store = SqliteEventStore.open(join(dataDir, 'events.db'));
  try {
    const log: RecordedEvent[] = [];
    for await (const event of store.readAll()) log.push(event);
    return log;
  } finally {
    await store.close();
  }
};

const row = (label: string, cpu: Cpu): string => `| ${label} | ${THREADS.map((t) => num(cpu[t])).join(' | ')} |`;

const main = async (): Promise<void> => {
  console.log(`CPU per operation: ${ROUNDS} rounds × ${OPS} operations of ${PHASES.join(', ')}; audit ${AUDITS.join(' and ')}; ${CLIENTS} clients; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const lg = startLoadGen();
  const dataDirs: string[] = [];
  const variants: Variant[] = [];
  try {
    const receiver = await lg.call('receiver:start', {});
    for (const audit of AUDITS) {
      const dataDir = mkdtempSync(join(tmpdir(), `hookbase-cpu-${audit}-`));
      dataDirs.push(dataDir);
      variants.push(await startVariant(audit, dataDir, receiver.url));
    }
    // The "on" Hookbase's runs, in order: when each began, its phase and its operations. Every event that Hookbase
    // commits from one run's start to the next one's is that run's phase's (its answers, fan-out, attempts, anchors).
    const onRuns: { phase: Phase; ops: number; startedMs: number }[] = [];
    const run = async (variant: Variant, phase: Phase, count: number): Promise<string> => {
      if (variant.audit === 'on') onRuns.push({ phase, ops: count, startedMs: Date.now() });
      const target = variant.targets[phase];
      if (phase !== 'e2e') {
        const r = await lg.call('accept', { target, concurrency: CLIENTS, warmupMs: 0, durationMs: 600_000, maxRequests: count });
        if (r.failed > 0) throw new Error(`${phase}: ${r.failed} failed: ${r.firstError ?? ''}`);
        return `${num(perSecond(r.ok, r.elapsedMs))}/s, answer p50 ${ms(r.answerMs.p50)}`;
      }
      await lg.call('receiver:reset', {});
      const r = await lg.call('e2e', { target, count, concurrency: CLIENTS, timeoutMs: 300_000 });
      if (r.failed > 0 || r.deliveredMs === null) throw new Error(`e2e: ${r.failed} failed, ${r.distinct} of ${count} delivered: ${r.firstError ?? ''}`);
      return `${num(perSecond(r.distinct, r.deliveredMs))}/s delivered, answer p50 ${ms(r.answerMs.p50)}`;
    };

    // Warm-up (JIT, caches, SQLite pages), then the idle rate (of every Hookbase of the run together).
    for (const variant of variants) for (const phase of PHASES) await run(variant, phase, Math.min(OPS, 2_000));
    // The idle rate (timers, polls, heartbeats), over 3 s once the warm-up's catch-up is done (ticks are 10 ms).
    await sleep(3_000);
    await quiesce(100 * variants.length); // 10% of a core each: polls and heartbeats stay under it
    const idleFrom = sample();
    await sleep(3_000);
    const idle = diff(idleFrom, sample());
    const idleMs = 3_000;
    const idleUsPerMs = idle.total / idleMs;
    console.log(`idle: ${num(idle.total / idleMs / 10)}% of a core (subtracted)`);

    const results = new Map<string, Cpu[]>();
    const key = (audit: Audit, phase: Phase): string => `${audit} ${phase}`;
    for (let round = 1; round <= ROUNDS; round++) {
      // With both: on first in odd rounds, off first in even ones (whoever runs second meets a warmer machine).
      const order = round % 2 === 1 ? variants : [...variants].reverse();
      for (const phase of PHASES) {
        for (const variant of order) {
          const from = sample();
          const started = performance.now();
          const rate = await run(variant, phase, OPS);
          await quiesce(idleUsPerMs);
          const elapsedMs = performance.now() - started;
          const used = diff(from, sample());
          const perOp = Object.fromEntries(THREADS.map((t) => [t, Math.max(0, used[t] - (idle[t] / idleMs) * elapsedMs) / OPS])) as Cpu;
          const k = key(variant.audit, phase);
          results.set(k, [...(results.get(k) ?? []), perOp]);
          const label = AUDITS.length > 1 ? `audit ${variant.audit.padEnd(3)} ${phase.padEnd(4)}` : phase.padEnd(4);
          console.log(`round ${round} ${label}: ${THREADS.map((t) => `${t} ${num(perOp[t])}`).join(', ')} µs/op (${rate}; load ${loadavg()[0]?.toFixed(1)})`);
        }
      }
    }
    const medianOf = (audit: Audit, phase: Phase): Cpu => Object.fromEntries(THREADS.map((t) => [t, median((results.get(key(audit, phase)) ?? []).map((r) => r[t]))])) as Cpu;
    console.log('\nmedian µs of CPU per operation');
    console.log(`| ${AUDITS.length > 1 ? 'audit, phase' : 'phase'} | ${THREADS.join(' | ')} |`);
    console.log(`| --- | ${THREADS.map(() => '---').join(' | ')} |`);
    for (const phase of PHASES) {
      if (AUDITS.length === 1) {
        console.log(row(phase, medianOf(AUDITS[0] ?? 'on', phase)));
        continue;
      }
      const on = medianOf('on', phase);
      const off = medianOf('off', phase);
      console.log(row(`on ${phase}`, on));
      console.log(row(`off ${phase}`, off));
      console.log(`| on − off ${phase} | ${THREADS.map((t) => num(on[t] - off[t])).join(' | ')} |`);
      // The difference of each round's pair too: on and off of one round met the same machine.
      const pairs = (results.get(key('on', phase)) ?? []).map((r, i) => r.total - (results.get(key('off', phase))?.[i]?.total ?? Number.NaN));
      const pct = (x: number): string => `${((100 * x) / off.total).toFixed(1)} %`;
      console.log(`| on − off ${phase}, % of off total | ${THREADS.map((t) => pct(on[t] - off[t])).join(' | ')} |`);
      console.log(`(${phase}: on − off total per round: ${pairs.map((d) => `${num(d)} µs (${pct(d)})`).join(', ')}; median of the pairs ${pct(median(pairs))})`);
    }
    const seen = [...new Set(roles.values())];
    if (seen.length < 4) console.log(`(threads identified: ${seen.join(', ')}; run through \`npm run bench:cpu\` so that the workers are tagged)`);
    console.log(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}; RSS ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB`);
    const on = variants.find((v) => v.audit === 'on');
    if (on) {
      for (const variant of variants.splice(0)) await variant.hb.close();
      const log = await readLog(on.hb.dataDir);
      const byType = new Map<string, number>();
      for (const event of log) byType.set(event.type, (byType.get(event.type) ?? 0) + 1);
      console.log(`events of the "on" Hookbase by type: ${[...byType].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${num(n)}`).join(', ')}`);
      console.log(
        `\nthe anchor writer alone, per phase (fed that phase's events of the "on" Hookbase in batches of ${FEED_BATCH}, every ${DEFAULT_ANCHOR_EVERY} events, median of 3 after ${WRITER_WARM_UP_RUNS} to warm up), against that phase's median total per operation:`,
      );
      // The whole log first, so that no phase is measured on a colder V8 than the next (JIT, see anchorWriterAlone).
      const whole = await anchorWriterAlone(log);
      console.log(`all phases: ${whole.usPerEvent.toFixed(2)} µs of CPU per event (runs: ${whole.runs.map((r, i) => (i < WRITER_WARM_UP_RUNS ? `(${r.toFixed(2)})` : r.toFixed(2))).join(', ')}; ${num(log.length)} events)`);
      for (const phase of PHASES) {
        const events = eventsOfPhase(log, onRuns, phase);
        const ops = onRuns.filter((r) => r.phase === phase).reduce((n, r) => n + r.ops, 0);
        if (events.length === 0 || ops === 0) continue;
        const { usPerEvent, runs, bytesPerHead } = await anchorWriterAlone(events);
        const perOp = usPerEvent * (events.length / ops);
        const share = (total: number): string => `${((100 * perOp) / total).toFixed(2)} %`;
        const onTotal = medianOf('on', phase).total;
        const offTotal = AUDITS.includes('off') ? medianOf('off', phase).total : null;
        console.log(
          `${phase}: ${usPerEvent.toFixed(2)} µs of CPU per event (runs: ${runs.map((r, i) => (i < WRITER_WARM_UP_RUNS ? `(${r.toFixed(2)})` : r.toFixed(2))).join(', ')}) × ${(events.length / ops).toFixed(2)} events per operation ` +
            `(${num(events.length)} events, ${num(ops)} operations, warm-up included) = ${perOp.toFixed(2)} µs per operation: ${share(onTotal)} of the ${phase} total with the audit on (${num(onTotal)} µs)` +
            (offTotal === null ? '' : `, ${share(offTotal)} of it off (${num(offTotal)} µs)`) +
            `; ${bytesPerHead.toFixed(0)} bytes of anchor data per head pinned; load ${loadavg()[0]?.toFixed(1)}`,
        );
      }
    }
  } finally {
    for (const variant of variants) await variant.hb.close();
    await lg.stop();
    channel.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
