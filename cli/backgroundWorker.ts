/**
 * A background thread of the embedded deployment (started by cli/backgroundThread.ts): its own connections to the
 * data dir's two SQLite files, and the projections or the dispatcher as they run anywhere else. Commits are
 * announced through the shared commit counters; the projections' progress and log lines go to the main thread, `stop` comes
 * from it. One of these threads also checkpoints both WAL files, off the thread that answers requests.
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Dispatcher } from '../dispatcher/dispatcher';
import { allProjections, ProjectionRunner } from '../projections';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { WriteLock } from '../store/embedded/writeLock';
import { positionToString } from '../store/eventStore';
import { joinCommitSignal } from './backgroundThread';
import type { BackgroundWorkerData, ToMain, ToWorker } from './backgroundThread';

const port = parentPort;
if (!port) throw new Error('cli/backgroundWorker.ts runs as a worker thread (see cli/backgroundThread.ts)');
const data = workerData as BackgroundWorkerData;
const send = (message: ToMain): void => port.postMessage(message);
const log = (line: string): void => send({ type: 'log', line });

const events = SqliteEventStore.open(join(data.dataDir, 'events.db'), { writeLock: new WriteLock(data.locks.events) });
const reads = SqliteReadStore.open(join(data.dataDir, 'read-models.db'), { writeLock: new WriteLock(data.locks.reads) });
const leaveCommitSignal = joinCommitSignal(data.commitSignal, data.commitSlot, events);

const runner = data.projections ? new ProjectionRunner(events, reads, allProjections, log) : null;
runner?.onProgress((position, touched) => send({ type: 'progress', position: positionToString(position), touched: [...touched] }));
const dispatcher = data.dispatcher ? new Dispatcher({ events, reads, masterKey: Buffer.from(data.masterKey), config: data.dispatcher, log }) : null;

// Checkpointing the WAL files copies pages and syncs them: here, not on the thread that answers requests.
const checkpointEveryMs = data.checkpointEveryMs;
const checkpoints =
  checkpointEveryMs === null
    ? null
    : setInterval(() => {
        try {
          for (const store of [events, reads]) {
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
  leaveCommitSignal();
  await events.close();
  await reads.close();
  // Ends this thread only; whatever is left (a socket undici keeps) must not keep it alive.
  process.exit(0);
};

port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') void stop();
});

await runner?.start();
// Where the read models stand: a command that appended nothing new waits for no batch.
if (runner) send({ type: 'progress', position: positionToString(runner.position), touched: [] });
await dispatcher?.start();
// Whatever the other threads committed while we were starting: read it now.
events.notifyCommitted();
send({ type: 'started' });
