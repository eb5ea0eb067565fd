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

export type ProductionStores = Readonly<{
  events: EsdbEventStore;
  reads: MongoReadStore;
  ops: MongoReadStore;
  /** Rate-limit counters in MongoDB (`<db>_ops.rate_limits`), shared by every API process. */
  rateLimiter: FlexibleRateLimiter;
  /** Calls `onChange` when the projections' progress document (its collection's only one) changes: a change stream. Returns the stop. */
  watchProgress: (onChange: () => void) => () => void;
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

/**
 * HOOKBASE_STORE=esdb: EventStoreDB for the events, MongoDB for the read models and the operational state. Both
 * servers are tried at once; the first one that cannot be reached (within CONNECT_TIMEOUT_MS) fails the start with
 * StoreUnreachableError, whose message names its URL.
 */
export const openProductionStores = async (config: HookbaseConfig, log: (line: string) => void): Promise<ProductionStores> => {
  const { esdbUrl, mongoUrl } = config;
  if (!esdbUrl || !mongoUrl) {
    throw new ConfigError('HOOKBASE_STORE=esdb needs HOOKBASE_ESDB_URL (e.g. esdb://localhost:2113?tls=false) and HOOKBASE_MONGO_URL (e.g. mongodb://localhost:27017/hookbase?replicaSet=rs0).');
  }
  const eventsOpening = EsdbEventStore.connect(esdbUrl, { timeoutMs: CONNECT_TIMEOUT_MS, log });
  const mongoOpening = connectMongo(mongoUrl, { timeoutMs: CONNECT_TIMEOUT_MS, log });
  let events: EsdbEventStore;
  let mongo: Awaited<typeof mongoOpening>;
  try {
    // Fails as soon as either fails (not after the other's timeout too).
    [events, mongo] = await Promise.all([eventsOpening, mongoOpening]);
  } catch (error) {
    // Whichever did open is closed once it has.
    void eventsOpening.then((store) => store.close()).catch(() => {});
    void mongoOpening.then((stores) => stores.client.close()).catch(() => {});
    throw error;
  }
  const { client, reads, ops, opsDb } = mongo;
  const rateLimiter = mongoRateLimiter(client, opsDb);
  return {
    events,
    reads,
    ops,
    rateLimiter,
    watchProgress: (onChange) => reads.watchCollection(projectionProgress.name, onChange, log),
  };
};
