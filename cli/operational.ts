import { join } from 'node:path';
import Database from 'better-sqlite3';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import { FlexibleRateLimiter } from '../api/rateLimit';

/** The data dir's file of operational state: leases, idempotency answers, rate-limit counters (not read models). */
export const OPERATIONAL_FILE = 'operational.db';

/**
 * The embedded store's rate-limit counters: `rate-limiter-flexible`'s own SQLite store on the data dir's
 * operational.db, one atomic upsert per request, which every process on that data dir shares. A connection of its
 * own: the library runs its statements on a better-sqlite3 handle.
 */
export const openOperationalRateLimiter = (dataDir: string, file: string): Readonly<{ limiter: FlexibleRateLimiter; close: () => void }> => {
  const db = new Database(join(dataDir, file));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Another process may be writing the file for a moment.
  db.pragma('busy_timeout = 5000');
  const tableName = 'rate_limits';
  // The library's own table, created here and now: it would otherwise create it after its constructor returns.
  db.exec(`CREATE TABLE IF NOT EXISTS ${tableName} (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER)`);
  const limiter = new FlexibleRateLimiter(
    ({ keyPrefix, points, durationSeconds }) =>
      new RateLimiterSQLite({ storeClient: db, storeType: 'better-sqlite3', tableName, tableCreated: true, keyPrefix, points, duration: durationSeconds }),
  );
  return { limiter, close: () => db.close() };
};
