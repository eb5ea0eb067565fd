/**
 * A background thread of the embedded deployment (started by cli/backgroundThread.ts): its own connections to the
 * data dir's two SQLite files, and the projections or the dispatcher as they run anywhere else, or the WAL
 * checkpoints. Commits are announced through the shared commit counters; the projections' progress and log lines go
 * to the main thread, `stop` comes from it.
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { withHashChain } from '../store/chain/hashChainedEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { WriteLock } from '../store/embedded/writeLock';
import { positionToString } from '../store/eventStore';
import { joinCommitSignal } from './backgroundThread';
import { watchDataDir } from './dataDirWatcher';
import { OPERATIONAL_FILE } from './operational';
import { threadMetrics } from '../observability/metrics';
import { startTracing } from '../observability/tracing';
import { VERSION } from './version';
import type { BackgroundWorkerData, ToMain, ToWorker } from './backgroundThread';
import { setProcessV8Flags } from './v8Flags';

// A composition root too (a thread's): the process flags, set before the roles' code compiles any filter regex.
setProcessV8Flags();

const port = parentPort;
if (!port) throw new Error('cli/backgroundWorker.ts runs as a worker thread (see cli/backgroundThread.ts)');
const data = workerData as BackgroundWorkerData;
const send = (message: ToMain): void => port.postMessage(message);
const log = (line: string): void => send({ type: 'log', line });

// No commit of these connections checkpoints the WAL: that is one thread's job (below), so nobody else waits for it.
// Hash-chained like the main thread's (docs/audit.md): the dispatcher appends here.
// `auditAnchors: null` is the benchmark's audit off (cli/hookbase.ts StartOptions.audit): neither chain nor anchors.
const audited = data.auditAnchors !== null;
const openEvents = (store: SqliteEventStore): SqliteEventStore => (audited ? withHashChain(store) : store);
const events = openEvents(SqliteEventStore.open(join(data.dataDir, 'events.db'), { writeLock: new WriteLock(data.locks.events), autoCheckpoint: false, synchronous: data.eventsSync }));
const reads = SqliteReadStore.open(join(data.dataDir, 'read-models.db'), { writeLock: new WriteLock(data.locks.reads), autoCheckpoint: false });
const ops = SqliteReadStore.open(join(data.dataDir, OPERATIONAL_FILE), { writeLock: new WriteLock(data.locks.ops), autoCheckpoint: false });
// A thread with a subscription listens for the others' commits; one that only checkpoints needs no role's code.
const leaveCommitSignal = joinCommitSignal(data.commitSignal, data.commitSlot, events, { listen: data.projections || data.dispatcher !== null });

// Commits of other processes on the data dir wake this thread's subscriptions (dataDirWatcher.ts).
// This thread's own exporter when tracing is on (observability/tracing.ts): its spans join the others' by trace id.
const stopTracing = data.projections || data.dispatcher !== null ? await startTracing({ serviceVersion: VERSION, threadName: data.projections ? 'projections' : 'dispatcher' }) : null;

const watch = data.projections || data.dispatcher !== null ? watchDataDir(data.dataDir, [{ file: 'events.db', onChange: () => events.notifyCommitted() }]) : null;
const projections = data.projections ? await import('../projections') : null;
const leadershipModule = data.projections ? await import('../projections/leadership') : null;
// The lease holder also writes the signed audit anchors (docs/audit.md).
const anchorsModule = data.projections && audited ? await import('../store/chain/anchorWriter') : null;
const anchorKeyModule = data.projections && audited ? await import('../store/chain/anchorKey') : null;
const anchorWriter =
  anchorsModule && anchorKeyModule
    ? new anchorsModule.AnchorWriter({
        events,
        key: () => anchorKeyModule.loadOrCreateAnchorKey(events, Buffer.from(data.masterKey)),
        schedule: data.auditAnchors ?? { every: anchorsModule.DEFAULT_ANCHOR_EVERY, intervalMs: anchorsModule.DEFAULT_ANCHOR_INTERVAL_MS },
        log,
      })
    : null;
const runner =
  projections && leadershipModule
    ? new leadershipModule.ProjectionLeadership(events, reads, ops, projections.allProjections, { owner: data.owner, log, whileActive: anchorWriter ? [anchorWriter] : [] })
    : null;
runner?.onProgress((position, touched) => send({ type: 'progress', position: positionToString(position), touched: [...touched] }));
const dispatcherModule = data.dispatcher ? await import('../dispatcher/dispatcher') : null;
const dispatcher = dispatcherModule && data.dispatcher ? new dispatcherModule.Dispatcher({ events, reads, ops, masterKey: Buffer.from(data.masterKey), config: data.dispatcher, log }) : null;

// Checkpointing a WAL file copies pages and syncs the file (tens of ms): on a thread of its own, where it delays
// neither requests, nor projections that commands wait for, nor deliveries.
const checkpointEveryMs = data.checkpointEveryMs;
const checkpoints =
  checkpointEveryMs === null
    ? null
    : setInterval(() => {
        try {
          for (const store of [events, reads, ops]) {
            // SQLite's own threshold (1000 pages, 4 MiB): past it, make sure the WAL starts over.
            if (store.checkpointWal('passive').walPages > 1000) store.checkpointWal('restart');
          }
        } catch (error) {
          log(`WAL checkpoint failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }, checkpointEveryMs);

const stop = async (): Promise<void> => {
  if (checkpoints) clearInterval(checkpoints);
  await dispatcher?.stop();
  await runner?.stop();
  watch?.close();
  leaveCommitSignal();
  await events.close();
  await reads.close();
  await ops.close();
  // What is batched is sent before the thread ends.
  await stopTracing?.();
  // Ends this thread only; whatever is left (a socket undici keeps) must not keep it alive.
  process.exit(0);
};

port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') void stop();
  if (message.type === 'metrics') {
    void threadMetrics.registry.getMetricsAsJSON().then((snapshot) => send({ type: 'metrics', id: message.id, snapshot }));
  }
});

await runner?.start();
// Where the read models stand (the progress document): the main thread looks at it again.
if (runner) send({ type: 'progress', position: '0/0', touched: [] });
await dispatcher?.start();
// Whatever the other threads committed while we were starting: read it now.
events.notifyCommitted();
send({ type: 'started' });
