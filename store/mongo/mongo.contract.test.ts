import { describe } from 'vitest';
import { readStoreContract } from '../readStore.contract';
import { redactUrl } from '../unreachable';
import { connectMongo } from './connect';
import { MongoReadStore } from './mongoReadStore';

/**
 * The ReadStore contract against a real MongoDB replica set, whenever HOOKBASE_MONGO_URL is set (e.g.
 * mongodb://localhost:27017/hookbase_contract?replicaSet=rs0; `npm run test:production`). Without it every case
 * of the suite is reported as skipped, under a name that says why, never passed: no MongoDB server runs where
 * this was written. The contract makes fresh collection names per run, so a shared database is fine.
 */
const url = process.env.HOOKBASE_MONGO_URL;
const title = url ? `MongoDB at ${redactUrl(url)}` : 'MongoDB: SKIPPED, HOOKBASE_MONGO_URL is not set';
if (!url) console.warn(`ReadStore contract: ${title}`);

describe.skipIf(!url)(title, () => {
  readStoreContract('MongoDB', async () => (await connectMongo(url ?? '', { timeoutMs: 10_000 })).reads, {
    // The same database through a store whose every transaction abandons its first run (the driver's own retry).
    retryingStore: async () => {
      const { client, reads } = await connectMongo(url ?? '', { timeoutMs: 10_000 });
      return new MongoReadStore(client, reads.db, { rehearseTransactions: true, onClose: () => client.close() });
    },
  });
});
