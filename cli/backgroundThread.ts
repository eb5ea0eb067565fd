import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DispatcherConfig } from '../dispatcher/config';
import type { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import type { WriteLock } from '../store/embedded/writeLock';

/**
 * The embedded deployment runs the dispatcher on a worker thread of its own: the API, the projections and the
 * dispatcher then share the machine's cores instead of one event loop. The worker opens its own connections to
 * the same SQLite files (WAL lets them read beside each other; writes wait for the lock), so nothing changes in
 * what is stored or when. Commits on either side are announced to the other, whose subscriptions then read them.
 */

/** What crosses to the worker: plain data only (a test's `lookup` or `random` function cannot). */
export type WorkerDispatcherConfig = Omit<DispatcherConfig, 'lookup' | 'random'>;
/** One lock per SQLite file, shared by every thread that writes it. */
export type EmbeddedWriteLocks = Readonly<{ events: WriteLock; reads: WriteLock }>;
export type DispatcherWorkerData = Readonly<{
  dataDir: string;
  masterKey: Uint8Array;
  config: WorkerDispatcherConfig;
  locks: Readonly<{ events: SharedArrayBuffer; reads: SharedArrayBuffer }>;
  /** The main thread's connections do not checkpoint the WAL files: this thread does, this often. */
  checkpointEveryMs: number;
}>;
export type ToWorker = { type: 'committed' } | { type: 'stop' };
export type ToMain = { type: 'committed' } | { type: 'log'; line: string } | { type: 'started' } | { type: 'stopped' };

export type DispatcherThread = Readonly<{ stop: () => Promise<void> }>;

export type DispatcherThreadOptions = Readonly<{
  dataDir: string;
  masterKey: Buffer;
  config: WorkerDispatcherConfig;
  /** The main thread's store: its commits wake the worker, the worker's commits wake its subscriptions. */
  events: SqliteEventStore;
  locks: EmbeddedWriteLocks;
  log: (line: string) => void;
  checkpointEveryMs: number;
}>;

const WORKER = new URL('./dispatcherWorker.ts', import.meta.url).href;
// The worker runs TypeScript as the main thread does, whoever started us (tsx, vitest): a few lines of JavaScript
// register tsx's loader in the worker, then import the entry (an `--import` in execArgv would come too late for it).
const TSX_API = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
const BOOT = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER)}); })`;
const MAX_RESTART_DELAY_MS = 30_000;

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Starts the worker and resolves once its dispatcher runs; restarts it (with backoff) if it dies. */
export const startDispatcherThread = async (options: DispatcherThreadOptions): Promise<DispatcherThread> => {
  const { events, log } = options;
  const workerData: DispatcherWorkerData = {
    dataDir: options.dataDir,
    masterKey: new Uint8Array(options.masterKey),
    config: options.config,
    locks: { events: options.locks.events.buffer, reads: options.locks.reads.buffer },
    checkpointEveryMs: options.checkpointEveryMs,
  };
  let worker: Worker | null = null;
  let stopping = false;
  let restartDelayMs = 1_000;
  let restartTimer: NodeJS.Timeout | null = null;

  const spawn = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(BOOT, { eval: true, workerData, ...(process.env.WPROF ? { execArgv: ['--cpu-prof', '--cpu-prof-dir=/tmp/wprof'] } : {}) });
      worker = w;
      let started = false;
      w.on('message', (message: ToMain) => {
        switch (message.type) {
          case 'committed':
            events.notifyCommitted();
            return;
          case 'log':
            log(message.line);
            return;
          case 'started':
            started = true;
            restartDelayMs = 1_000;
            resolve();
            return;
          case 'stopped':
            return;
        }
      });
      w.on('error', (error) => {
        log(`dispatcher thread failed: ${describe(error)}`);
        if (!started) reject(error);
      });
      w.on('exit', (code) => {
        if (worker === w) worker = null;
        if (!started) return reject(new Error(`the dispatcher thread exited with code ${code} before it started`));
        if (stopping) return;
        // Its unacked subscription events and unfinished leases are taken up again by the next one.
        log(`dispatcher thread exited (code ${code}); restarting in ${restartDelayMs} ms`);
        restartTimer = setTimeout(() => {
          restartTimer = null;
          spawn().catch((error: unknown) => log(`dispatcher thread did not restart: ${describe(error)}`));
        }, restartDelayMs);
        restartDelayMs = Math.min(restartDelayMs * 2, MAX_RESTART_DELAY_MS);
      });
    });

  const unwatch = events.onLocalCommit(() => worker?.postMessage({ type: 'committed' } satisfies ToWorker));
  try {
    await spawn();
  } catch (error) {
    unwatch();
    throw error;
  }

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (restartTimer) clearTimeout(restartTimer);
    unwatch();
    const w = worker;
    if (!w) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage({ type: 'stop' } satisfies ToWorker);
    // The dispatcher waits up to stopTimeoutMs for attempts in flight, then abandons them; then it closes its files.
    const timer = setTimeout(() => void w.terminate(), options.config.stopTimeoutMs + 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { stop };
};
