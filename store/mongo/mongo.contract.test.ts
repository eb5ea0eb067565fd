import { describe } from 'vitest';
import { wireMongoUrl } from '../../test/wire/databases';
import { readStoreContract } from '../readStore.contract';
import type { ReadStoreContractHooks } from '../readStore.contract';
import { redactUrl } from '../unreachable';
import { connectMongo } from './connect';
import { MongoReadStore } from './mongoReadStore';
import { JONGODB_LACKS } from './jongodbLacks';
import { UNIQUE_PREFIX } from './mongoTransaction';

/**
 * The ReadStore contract over the real `mongodb` driver and the real wire: always against the run's jongodb (the
 * MongoDB wire server test/wire/globalSetup.ts starts; a fresh database for this file), and also against a real
 * MongoDB replica set whenever HOOKBASE_MONGO_URL is set (`npm run test:production`). On jongodb, the cases that
 * need what it does not implement are reported as skipped under a title naming what is missing and how that was
 * measured (jongodbLacks.ts); they run against the real server.
 */
type Target = Readonly<{ title: string; url: string; skips: ReadStoreContractHooks['skips'] }>;

const targets: Target[] = [];
const real = process.env.HOOKBASE_MONGO_URL;
if (real) targets.push({ title: `MongoDB at ${redactUrl(real)}`, url: real, skips: {} });
else console.warn('ReadStore contract: no real MongoDB (HOOKBASE_MONGO_URL is not set): the jongodb wire server only');
const wire = wireMongoUrl('contract');
if (wire) {
  targets.push({
    title: 'MongoDB wire server jongodb',
    url: wire,
    skips: { dropIndexes: JONGODB_LACKS.dropIndexes, writeConflicts: JONGODB_LACKS.writeConflicts, insertConflicts: JONGODB_LACKS.insertConflicts },
  });
}

for (const { title, url, skips } of targets) {
  describe(title, () => {
    readStoreContract('MongoDB', async () => (await connectMongo(url, { timeoutMs: 10_000 })).reads, {
      // The same database through a store whose every transaction abandons its first run (the driver's own retry).
      retryingStore: async () => {
        const { client, reads } = await connectMongo(url, { timeoutMs: 10_000 });
        return new MongoReadStore(client, reads.db, { rehearseTransactions: true, onClose: () => client.close() });
      },
      skips,
      // Neither the _id index nor our unique ones (UNIQUE_PREFIX).
      secondaryIndexCount: async (store, name) => {
        if (!(store instanceof MongoReadStore)) throw new TypeError('A MongoReadStore was expected');
        const specs = await store.raw(name).listIndexes().toArray().catch(() => []);
        return specs.filter((spec) => spec.name !== '_id_' && !String(spec.name).startsWith(UNIQUE_PREFIX)).length;
      },
    });
  });
}
