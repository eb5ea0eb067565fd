import Database from 'better-sqlite3';

export type WalDatabaseOptions = Readonly<{
  synchronous: 'FULL' | 'NORMAL';
  /** false: commits never checkpoint the WAL (another thread checkpoints it). */
  autoCheckpoint?: boolean;
  verbose?: (sql: string) => void;
  /** How long to wait for another connection to let go of the file (default 5 s). */
  busyTimeoutMs?: number;
}>;

const isBusy = (error: unknown): boolean =>
  error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('SQLITE_BUSY');

const sleepSync = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/**
 * Opens (creating if needed) a SQLite file in WAL mode. Several processes of one deployment open the same files at
 * once; SQLite answers SQLITE_BUSY to one of them without calling its busy handler when two connections race to
 * switch a new file to WAL (it refuses rather than risk a deadlock), so the opening pragmas are retried here until
 * `busyTimeoutMs`. Once a file is in WAL mode the switch is a no-op, and the busy timeout covers the rest.
 */
export const openWalDatabase = (path: string, options: WalDatabaseOptions): Database.Database => {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const verbose = options.verbose;
  const db = new Database(path, { timeout: busyTimeoutMs, ...(verbose ? { verbose: (sql: unknown) => verbose(String(sql)) } : {}) });
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous}`);
      if (options.autoCheckpoint === false) db.pragma('wal_autocheckpoint = 0');
      return db;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) {
        db.close();
        throw error;
      }
      sleepSync(Math.min(5 * attempt, 50));
    }
  }
};
