/**
 * The dispatcher's thread (embedded deployment): its own connections to the data dir's two SQLite files, the
 * Dispatcher as it runs anywhere else, and a few messages with the main thread (cli/dispatcherThread.ts):
 * commits on either side wake the other side's subscriptions, log lines go up, `stop` stops.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { join } from 'node:path';
import { Dispatcher } from '../dispatcher/dispatcher';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { WriteLock } from '../store/embedded/writeLock';
import type { DispatcherWorkerData, ToMain, ToWorker } from './dispatcherThread';

const port = parentPort;
if (!port) throw new Error('cli/dispatcherWorker.ts runs as a worker thread (see cli/dispatcherThread.ts)');
const data = workerData as DispatcherWorkerData;
const send = (message: ToMain): void => port.postMessage(message);

const events = SqliteEventStore.open(join(data.dataDir, 'events.db'), { writeLock: new WriteLock(data.locks.events) });
const reads = SqliteReadStore.open(join(data.dataDir, 'read-models.db'), { writeLock: new WriteLock(data.locks.reads) });
const unwatch = events.onLocalCommit(() => send({ type: 'committed' }));
const dispatcher = new Dispatcher({ events, reads, masterKey: Buffer.from(data.masterKey), config: data.config, log: (line) => send({ type: 'log', line }) });

// Checkpointing the WAL files copies pages and syncs them: here, not on the thread that answers requests.
const checkpoints = setInterval(() => {
  try {
    for (const store of [events, reads]) {
      // SQLite's own threshold (1000 pages, 4 MiB): past it, make sure the WAL starts over.
      if (store.checkpointWal('passive').walPages > 1000) store.checkpointWal('restart');
    }
  } catch (error) {
    send({ type: 'log', line: `dispatcher thread: WAL checkpoint failed: ${error instanceof Error ? error.message : String(error)}` });
  }
}, data.checkpointEveryMs);

const stop = async (): Promise<void> => {
  clearInterval(checkpoints);
  await dispatcher.stop();
  unwatch();
  await events.close();
  await reads.close();
  send({ type: 'stopped' });
  // Ends this thread only; whatever is left (a socket undici keeps) must not keep it alive.
  process.exit(0);
};

port.on('message', (message: ToWorker) => {
  if (message.type === 'committed') events.notifyCommitted();
  else if (message.type === 'stop') void stop();
});

await dispatcher.start();
// Whatever the main thread committed while we were starting: read it now.
events.notifyCommitted();
send({ type: 'started' });
