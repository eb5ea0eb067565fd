import { Worker } from 'node:worker_threads';

/**
 * The bench's stand-in for Hookbase's "WAL checkpoint" thread (cli/hookbase.ts, cli/backgroundWorker.ts): stores
 * opened with `autoCheckpoint: false` never checkpoint on commit, and this thread copies their WAL files into the
 * database files every `everyMs` (a passive checkpoint; a restart past SQLite's 1,000 pages), as Hookbase does, so
 * that a figure pays the checkpoints where Hookbase pays them. Plain JavaScript on its own connections.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const dbs = workerData.paths.map((path) => {
  const db = new Database(path, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
});
const timer = setInterval(() => {
  for (const db of dbs) {
    const row = db.pragma('wal_checkpoint(PASSIVE)')[0];
    if (row && row.log > 1000) db.pragma('wal_checkpoint(RESTART)');
  }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  for (const db of dbs) db.close();
  parentPort.postMessage('stopped');
});
parentPort.postMessage('started');
`;

export type WalCheckpointThread = Readonly<{ stop: () => Promise<void> }>;

export const startWalCheckpointThread = async (paths: readonly string[], everyMs = 250): Promise<WalCheckpointThread> => {
  const worker = new Worker(SOURCE, { eval: true, workerData: { paths, everyMs } });
  const next = (): Promise<void> =>
    new Promise((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
  await next();
  return {
    stop: async () => {
      const stopped = next();
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
    },
  };
};
