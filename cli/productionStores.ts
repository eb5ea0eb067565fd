import type { MongoClient } from 'mongodb';
import { RateLimiterMongo } from 'rate-limiter-flexible';
import { FlexibleRateLimiter } from '../api/rateLimit';
import { projectionProgress } from '../projections/progress';
import { EsdbEventStore } from '../store/esdb/esdbEventStore';
import { connectMongo } from '../store/mongo/connect';
import type { MongoReadStore } from '../store/mongo/mongoReadStore';
import type { HookbaseConfig } from './config';
import { ConfigError } from './config';

/** How long each server gets to answer at start before the process gives up with a message naming it. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** HOOKBASE_READS=mongo: the read models, the operational state and the rate-limit counters in MongoDB. */
export type MongoStores = Readonly<{
  reads: MongoReadStore;
  ops: MongoReadStore;
  /** Rate-limit counters in MongoDB (`<db>_ops.rate_limits`), shared by every API process. */
  rateLimiter: FlexibleRateLimiter;
  /** Calls `onChange` when the projections' progress document (its collection's only one) changes: a change stream. Returns the stop. */
  watchProgress: (onChange: () => void) => () => void;
}>;

/** The server-backed ports of the configured layout (null where that port is embedded). */
export type ServerStores = Readonly<{
  events: EsdbEventStore | null;
  mongo: MongoStores | null;
}>;

/**
 * Rate-limit counters shared by every API process: rate-limiter-flexible's RateLimiterMongo, one document per
 * (limit, subject) in `<dbName>.rate_limits`, incremented atomically with findOneAndUpdate, expired by a TTL index.
 */
export const mongoRateLimiter = (client: MongoClient, dbName: string): FlexibleRateLimiter =>
  new FlexibleRateLimiter(
    ({ keyPrefix, points, durationSeconds }) =>
      new RateLimiterMongo({ storeClient: client, dbName, tableName: 'rate_limits', keyPrefix, points, duration: durationSeconds }),
  );

const openMongo = async (url: string, log: (line: string) => void): Promise<MongoStores> => {
  const { client, reads, ops, opsDb } = await connectMongo(url, { timeoutMs: CONNECT_TIMEOUT_MS, log });
  return {
    reads,
    ops,
    rateLimiter: mongoRateLimiter(client, opsDb),
    watchProgress: (onChange) => reads.watchCollection(projectionProgress.name, onChange, log),
  };
};

/**
 * The servers of the configured layout: EventStoreDB for the events (HOOKBASE_EVENTS=esdb), MongoDB for the read
 * models and the operational state (HOOKBASE_READS=mongo), or both (HOOKBASE_STORE=esdb). The servers are tried at
 * once; the first one that cannot be reached (within CONNECT_TIMEOUT_MS) fails the start with
 * StoreUnreachableError, whose message names its URL.
 */
export const openServerStores = async (
  config: Pick<HookbaseConfig, 'events' | 'reads' | 'esdbUrl' | 'mongoUrl'>,
  log: (line: string) => void,
): Promise<ServerStores> => {
  const { esdbUrl, mongoUrl } = config;
  if (config.events === 'esdb' && !esdbUrl) throw new ConfigError('HOOKBASE_EVENTS=esdb needs HOOKBASE_ESDB_URL (e.g. esdb://localhost:2113?tls=false).');
  if (config.reads === 'mongo' && !mongoUrl) throw new ConfigError('HOOKBASE_READS=mongo needs HOOKBASE_MONGO_URL (e.g. mongodb://localhost:27017/hookbase?replicaSet=rs0).');
  const eventsOpening = config.events === 'esdb' && esdbUrl ? EsdbEventStore.connect(esdbUrl, { timeoutMs: CONNECT_TIMEOUT_MS, log }) : Promise.resolve(null);
  const mongoOpening = config.reads === 'mongo' && mongoUrl ? openMongo(mongoUrl, log) : Promise.resolve(null);
  try {
    // Fails as soon as either fails (not after the other's timeout too).
    const [events, mongo] = await Promise.all([eventsOpening, mongoOpening]);
    return { events, mongo };
  } catch (error) {
    // Whichever did open is closed once it has.
    void eventsOpening.then((store) => store?.close()).catch(() => {});
    void mongoOpening.then(async (stores) => { await stores?.reads.close(); await stores?.ops.close(); }).catch(() => {});
    throw error;
  }
};
