import { isDeepStrictEqual } from 'node:util';
import type { ClientSession, Collection } from 'mongodb';
import type { MongoDoc } from './query';

/**
 * The collection swap of a rebuild on a server without `renameCollection` (jongodb, the test suite's MongoDB wire
 * server): copy instead of rename. Used only when the server answers CommandNotFound to the rename.
 */

const COPY_BATCH = 1000;

/** Creates `from`'s indexes (other than _id) on `to`, with their names and options; outside any transaction. */
export const copyIndexes = async (from: Collection<MongoDoc>, to: Collection<MongoDoc>): Promise<void> => {
  const specs = (await from.listIndexes().toArray()).filter((spec) => spec.name !== '_id_');
  if (specs.length === 0) return;
  await to.createIndexes(
    specs.map(({ key, name, unique, partialFilterExpression }) => ({
      key,
      name,
      ...(unique === true ? { unique } : {}),
      ...(partialFilterExpression ? { partialFilterExpression } : {}),
    })),
  );
};

/** In the swap's transaction: `to`'s documents become `from`'s, in batches of COPY_BATCH. */
export const copyDocuments = async (from: Collection<MongoDoc>, to: Collection<MongoDoc>, session: ClientSession): Promise<void> => {
  await to.deleteMany({}, { session });
  let batch: MongoDoc[] = [];
  for await (const doc of from.find({}, { session, sort: { _id: 1 } })) {
    batch.push(doc);
    if (batch.length >= COPY_BATCH) {
      await to.insertMany(batch, { session, ordered: true });
      batch = [];
    }
  }
  if (batch.length > 0) await to.insertMany(batch, { session, ordered: true });
};

/**
 * After the swap's transaction committed: waits until `to` shows exactly `from`'s documents. jongodb may show a
 * committed transaction's writes one collection at a time (docs/production.md); the live runner, started again
 * right after the swap, would otherwise read a statistics document from before the copy and add to it, losing the
 * events the shadow projected meanwhile (`projections/rebuildSwap.mongo.test.ts` saw 71 and 204 messages short). It
 * used to give up silently after 2 s; now it waits up to 30 s and then fails the rebuild, naming the collection,
 * rather than let the live runner go on from what it cannot see. (The wait takes 2–4 ms on a test run. A later run
 * 194 short was most likely the live runner behind, not this: jongodb's writes cost more the larger the collection,
 * docs/production.md.) A real MongoDB never takes this path (it renames).
 */
export const waitUntilCopied = async (from: Collection<MongoDoc>, to: Collection<MongoDoc>, timeoutMs = 30_000): Promise<void> => {
  const expected = await from.find({}, { sort: { _id: 1 } }).toArray();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await to.find({}, { sort: { _id: 1 } }).toArray();
    if (isDeepStrictEqual(seen, expected)) return;
    if (Date.now() >= deadline) {
      throw new Error(`the swap's copy into ${to.collectionName} was not visible after ${timeoutMs} ms (it shows ${seen.length} documents, the copy has ${expected.length})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
