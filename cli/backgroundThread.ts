import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DispatcherConfig } from '../dispatcher/config';
import type { ProjectionProgress, ProjectionStatus } from '../projections';
import { allProjections, PositionWaiters, projectionStatusFromCheckpoints } from '../projections';
import type { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import type { WriteLock } from '../store/embedded/writeLock';
import { waitAsync } from '../store/embedded/writeLock';
import type { Position } from '../store/eventStore';
import { positionFromString } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import type { MetricsSnapshot } from '../observability/metrics';
import type { AnchorSchedule } from '../store/chain/anchorWriter';

/**
 * The embedded deployment runs the projections and the dispatcher each on a worker thread of its own, and the WAL
 * checkpoints on a third: the API and they then share the machine's cores instead of one event loop. A worker opens its own connections to the same
 * SQLite files (WAL lets them read beside each other; writers take turns through a shared WriteLock), so nothing
 * changes in what is stored or when. Every thread announces its commits through counters in shared memory, and the others'
 * subscriptions then read them; the projections' progress comes back, so that commands still answer once their
 * events are projected.
 */

/** What crosses to the worker: plain data only (a test's `lookup` or `random` function cannot). */
export type WorkerDispatcherConfig = Omit<DispatcherConfig, 'lookup' | 'random'>;
/** One lock per SQLite file, shared by every thread that writes it. */
export type EmbeddedWriteLocks = Readonly<{ events: WriteLock; reads: WriteLock; ops: WriteLock }>;
export type BackgroundWorkerData = Readonly<{
  dataDir: string;
  eventsSync: 'FULL' | 'NORMAL';
  masterKey: Uint8Array;
  projections: boolean;
  dispatcher: WorkerDispatcherConfig | null;
  locks: Readonly<{ events: SharedArrayBuffer; reads: SharedArrayBuffer; ops: SharedArrayBuffer }>;
  /** Who this process is in the projections' lease. */
  owner: string;
  /** When the projections' lease holder writes the audit anchors (store/chain/anchorWriter.ts); null: the bench's audit off (no chain, no anchors). */
  auditAnchors?: AnchorSchedule | null;
  /** The other threads' connections do not checkpoint the WAL files: this thread does, this often (null: not this one). */
  checkpointEveryMs: number | null;
  /** The counters on which every thread of this Hookbase announces its commits (see joinCommitSignal). */
  commitSignal: SharedArrayBuffer;
  commitSlot: number;
}>;
export type ToWorker = { type: 'stop' } | { type: 'metrics'; id: number };
export type ToMain =
  | { type: 'progress'; position: string; touched: string[] }
  | { type: 'metrics'; id: number; snapshot: MetricsSnapshot }
  | { type: 'log'; line: string }
  | { type: 'started' };

/** Read-your-writes and status of projections that run on the background thread. */
export type BackgroundProjections = ProjectionProgress & Readonly<{ status: () => Promise<ProjectionStatus[]> }>;

export type BackgroundThread = Readonly<{
  /** Set when the thread runs the projections. */
  projections: BackgroundProjections | null;
  /** The worker running now (a new one after a restart); null between a death and its restart, and once stopped. */
  worker: () => Worker | null;
  stop: () => Promise<void>;
  /** The thread's own metrics registry, for the main thread's /metrics. */
  metrics: () => Promise<MetricsSnapshot | null>;
}>;

export type BackgroundThreadOptions = Readonly<{
  /** What the thread is called in log lines. */
  name: string;
  dataDir: string;
  /** The event store's `synchronous` (HOOKBASE_EVENTS_SYNC), the same on every thread's connection; default FULL. */
  eventsSync?: 'FULL' | 'NORMAL';
  masterKey: Buffer;
  /** Run the projections (all of them) there. */
  projections: boolean;
  /** Run the dispatcher there, with this configuration (null: not there). */
  dispatcher: WorkerDispatcherConfig | null;
  /** Checkpoint both WAL files there, this often (null: not there). */
  checkpointEveryMs: number | null;
  commitSignal: SharedArrayBuffer;
  /** This thread's counter (COMMIT_SIGNAL_SLOTS). */
  commitSlot: number;
  events: SqliteEventStore;
  reads: ReadStore;
  locks: EmbeddedWriteLocks;
  log: (line: string) => void;
  /** How long `stop` waits for attempts in flight (the dispatcher's stopTimeoutMs) before it ends the thread. */
  stopTimeoutMs: number;
  /** Called after each projection batch the thread commits (the progress watcher looks again). */
  onProgress?: (touched: readonly string[]) => void;
  /** Who this process is in the projections' lease. */
  owner: string;
  /** When the projections thread writes the audit anchors (default: store/chain/anchorWriter.ts's defaults); null: the bench's audit off (no chain, no anchors). */
  auditAnchors?: AnchorSchedule | null;
}>;

/** Slots of the commit signal: one per thread of a Hookbase (main, projections, dispatcher, WAL checkpoints). */
export const COMMIT_SIGNAL_SLOTS = { main: 0, projections: 1, dispatcher: 2, walCheckpoints: 3 } as const;
const SLOT_COUNT = Object.keys(COMMIT_SIGNAL_SLOTS).length;
/**
 * Per slot: a commit counter; whether that thread listens (has subscriptions to wake); whether it was notified and
 * has not looked yet (so a burst of commits costs one notification, not one each).
 */
export const newCommitSignal = (): SharedArrayBuffer => new SharedArrayBuffer(4 * 3 * SLOT_COUNT);

/**
 * Announces this thread's commits to the other threads of this Hookbase, and (with `listen`) wakes this store's
 * subscriptions on theirs; returns the unsubscribe. Each thread has a counter in shared memory: a commit adds one
 * to every listening thread's and notifies it; each listening thread waits on its own flag (Atomics.waitAsync). Cheaper
 * than a message per commit, which would be hundreds a second. A thread without subscriptions (the main thread
 * when the projections and the dispatcher run elsewhere) does not listen, so nobody wakes it for nothing.
 */
export const joinCommitSignal = (buffer: SharedArrayBuffer, slot: number, events: SqliteEventStore, options: Readonly<{ listen: boolean }> = { listen: true }): (() => void) => {
  const counters = new Int32Array(buffer, 0, SLOT_COUNT);
  const listening = new Int32Array(buffer, 4 * SLOT_COUNT, SLOT_COUNT);
  const notified = new Int32Array(buffer, 8 * SLOT_COUNT, SLOT_COUNT);
  let seen = Atomics.load(counters, slot);
  let stopped = false;
  const unwatch = events.onLocalCommit(() => {
    for (let other = 0; other < SLOT_COUNT; other++) {
      if (other === slot || Atomics.load(listening, other) === 0) continue;
      Atomics.add(counters, other, 1);
      // Notifying wakes another event loop (a syscall): once until that thread has looked. The thread waits on this
      // flag (not on the counter) and clears it before it reads the counter: a flag already set means it has yet to
      // look, and will see this commit when it does.
      if (Atomics.compareExchange(notified, other, 0, 1) === 0) Atomics.notify(notified, other);
    }
  });
  const follow = async (): Promise<void> => {
    while (!stopped) {
      const wait = waitAsync(notified, slot, 0, 1_000);
      if (wait.async) await wait.value;
      Atomics.store(notified, slot, 0);
      const now = Atomics.load(counters, slot);
      if (now !== seen && !stopped) events.notifyCommitted();
      seen = now;
    }
  };
  if (options.listen) {
    Atomics.store(listening, slot, 1);
    void follow();
  }
  return () => {
    stopped = true;
    if (options.listen) Atomics.store(listening, slot, 0);
    unwatch();
  };
};

/**
 * Where the worker's code is and how it starts. From a build (build/bundle.mjs: what `npm start`, the `hookbase`
 * command, the Docker image, the benchmarks and the tests' children run; it names the worker's entry
 * `backgroundWorker`), this module is JavaScript and the worker's bundled entry sits beside it: the worker loads it
 * as it is, with no TypeScript loader (tsx's hooks would cost the worker an isolate of their own). From the sources
 * (vitest, or `node --import tsx`), the worker runs TypeScript as the main thread does: a few lines of JavaScript
 * register tsx's loader in the worker, then import the entry (an `--import` in execArgv would come too late for it).
 */
const workerStart = (): Readonly<{ script: string | URL; eval: boolean }> => {
  if (import.meta.url.endsWith('.js')) return { script: new URL('./backgroundWorker.js', import.meta.url), eval: false };
  const worker = new URL('./backgroundWorker.ts', import.meta.url).href;
  const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  return { script: `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); })`, eval: true };
};
const WORKER_START = workerStart();
/**
 * Each worker's young generation (V8's, for short-lived objects): 24 MB is 8 MiB semi-spaces, as `npm start` gives
 * the main thread (`--max-semi-space-size=8`). V8's default on 64-bit lets each busy thread grow it to 32 MiB and
 * keep it: a quarter of the process's RSS after a burst, for no measured gain in CPU (docs/performance.md, memory).
 */
const WORKER_YOUNG_GENERATION_MB = 24;
const MAX_RESTART_DELAY_MS = 30_000;

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Starts the worker and resolves once its roles run; restarts it (with backoff) if it dies. */
export const startBackgroundThread = async (options: BackgroundThreadOptions): Promise<BackgroundThread> => {
  const { events, log, name } = options;
  const workerData: BackgroundWorkerData = {
    dataDir: options.dataDir,
    eventsSync: options.eventsSync ?? 'FULL',
    masterKey: new Uint8Array(options.masterKey),
    projections: options.projections,
    dispatcher: options.dispatcher,
    locks: { events: options.locks.events.buffer, reads: options.locks.reads.buffer, ops: options.locks.ops.buffer },
    owner: options.owner,
    ...(options.auditAnchors !== undefined ? { auditAnchors: options.auditAnchors } : {}),
    checkpointEveryMs: options.checkpointEveryMs,
    commitSignal: options.commitSignal,
    commitSlot: options.commitSlot,
  };
  const waiters = new PositionWaiters();
  // Scrapes of /metrics waiting for this thread's registry, by request id.
  const metricRequests = new Map<number, (snapshot: MetricsSnapshot | null) => void>();
  let nextMetricRequest = 0;
  let worker: Worker | null = null;
  let stopping = false;
  let restartDelayMs = 1_000;
  let restartTimer: NodeJS.Timeout | null = null;

  const spawn = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(WORKER_START.script, { eval: WORKER_START.eval, workerData, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
      worker = w;
      let started = false;
      w.on('message', (message: ToMain) => {
        switch (message.type) {
          case 'progress':
            // First what changed (a cache is cleared), then the commands waiting for it go on.
            options.onProgress?.(message.touched);
            waiters.advance(positionFromString(message.position));
            return;
          case 'log':
            log(message.line);
            return;
          case 'metrics':
            metricRequests.get(message.id)?.(message.snapshot);
            metricRequests.delete(message.id);
            return;
          case 'started':
            started = true;
            restartDelayMs = 1_000;
            resolve();
            return;
        }
      });
      w.on('error', (error) => {
        log(`${name} thread failed: ${describe(error)}`);
        if (!started) reject(error);
      });
      w.on('exit', (code) => {
        if (worker === w) worker = null;
        if (!started) return reject(new Error(`the ${name} thread exited with code ${code} before it started`));
        if (stopping) return;
        // Its unacked subscription events, unfinished leases and unprojected events are taken up by the next one.
        log(`${name} thread exited (code ${code}); restarting in ${restartDelayMs} ms`);
        restartTimer = setTimeout(() => {
          restartTimer = null;
          spawn().catch((error: unknown) => log(`${name} thread did not restart: ${describe(error)}`));
        }, restartDelayMs);
        restartDelayMs = Math.min(restartDelayMs * 2, MAX_RESTART_DELAY_MS);
      });
    });

  await spawn();

  const projections: BackgroundProjections | null = options.projections
    ? {
        waitFor: (position: Position, timeoutMs?: number) => waiters.waitFor(position, timeoutMs),
        status: () => projectionStatusFromCheckpoints(events, options.reads, allProjections, worker !== null && !stopping),
      }
    : null;

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (restartTimer) clearTimeout(restartTimer);
    waiters.close();
    const w = worker;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage({ type: 'stop' } satisfies ToWorker);
    // The dispatcher waits up to stopTimeoutMs for attempts in flight, then abandons them; then it closes its files.
    const timer = setTimeout(() => void w.terminate(), options.stopTimeoutMs + 5_000);
    await exited;
    clearTimeout(timer);
  };
  /** This thread's metrics registry as JSON (null when it is not running or does not answer within a second). */
  const metrics = (): Promise<MetricsSnapshot | null> =>
    new Promise((resolve) => {
      const w = worker;
      if (!w || stopping) return resolve(null);
      const id = nextMetricRequest++;
      const timer = setTimeout(() => {
        metricRequests.delete(id);
        resolve(null);
      }, 1_000);
      metricRequests.set(id, (snapshot) => {
        clearTimeout(timer);
        resolve(snapshot);
      });
      w.postMessage({ type: 'metrics', id } satisfies ToWorker);
    });
  return { projections, worker: () => worker, stop, metrics };
};
