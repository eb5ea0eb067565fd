import { MongoClient } from 'mongodb';
import { StoreUnreachableError, redactUrl, withTimeout } from '../unreachable';
import { MongoReadStore } from './mongoReadStore';

export type MongoStores = Readonly<{
  client: MongoClient;
  /** The read models (`<db>`): dropped and rebuilt by projections. */
  reads: MongoReadStore;
  /** Operational state (`<db>_ops`): leases, idempotency answers, the projections lease; never dropped by a rebuild. */
  ops: MongoReadStore;
  /** The operational database's name (rate-limit counters live there too). */
  opsDb: string;
}>;

/** The database named in the URL's path, or `hookbase`. */
export const databaseOf = (url: string): string => {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]+)/.exec(url);
  return match?.[1] ? decodeURIComponent(match[1]) : 'hookbase';
};

/**
 * Connects to MongoDB at `url` and checks, within `timeoutMs`, that it answers and is a replica set member
 * (transactions and change streams need one). Throws StoreUnreachableError naming the URL (password hidden).
 * The client is closed once both stores are.
 */
export const connectMongo = async (url: string, options: Readonly<{ timeoutMs?: number; log?: (line: string) => void }> = {}): Promise<MongoStores> => {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let client: MongoClient;
  try {
    client = new MongoClient(url, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs, appName: 'hookbase' });
  } catch (error) {
    throw new StoreUnreachableError('MongoDB', url, `invalid connection string: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    await withTimeout(client.connect(), timeoutMs + 1_000, `no answer within ${timeoutMs} ms`);
    const hello = await client.db('admin').command({ hello: 1 });
    if (typeof hello.setName !== 'string') {
      throw new Error('it is not a replica set member: Hookbase needs a replica set (a single node will do) for transactions and change streams');
    }
  } catch (error) {
    await client.close().catch(() => {});
    throw new StoreUnreachableError('MongoDB', url, error instanceof Error ? error.message : String(error));
  }
  const name = databaseOf(url);
  let open = 2;
  const release = async (): Promise<void> => {
    if (--open === 0) await client.close();
  };
  const opsDb = `${name}_ops`;
  options.log?.(`mongodb: connected to ${redactUrl(url)} (read models in ${name}, operational state in ${opsDb})`);
  return {
    client,
    reads: new MongoReadStore(client, client.db(name), { onClose: release }),
    ops: new MongoReadStore(client, client.db(opsDb), { onClose: release }),
    opsDb,
  };
};
