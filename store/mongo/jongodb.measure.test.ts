import { MongoClient, MongoServerError } from 'mongodb';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wireMongoUrl } from '../../test/wire/databases';

/**
 * What the run's jongodb does not implement, measured with the real driver on every run: the named skips of the
 * MongoDB suites (jongodbLacks.ts) and the adapter's fallbacks rest on these. Each case asserts jongodb's answer as
 * measured; should a later jongodb implement the feature, its case fails here, saying which skip to remove.
 */
type Doc = { _id: string; n?: number };

describe('jongodb, measured with the mongodb driver: what it lacks', () => {
  let client: MongoClient;
  let db: Db;
  beforeAll(async () => {
    const url = wireMongoUrl('measure');
    if (!url) throw new Error('no MongoDB wire server: run under vitest with test/wire/globalSetup.ts');
    client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    db = client.db();
  });
  afterAll(async () => {
    await client?.close();
  });

  const refusedAsMissing = async (attempt: Promise<unknown>, feature: string): Promise<void> => {
    const error = await attempt.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, `jongodb now implements ${feature}: remove its skip (store/mongo/jongodbLacks.ts) and its fallback note`).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(59);
  };

  it('has no drop, dropIndexes, renameCollection or listCollections command (CommandNotFound, 59)', async () => {
    const c = db.collection<Doc>('measured');
    await c.insertOne({ _id: 'a' });
    await c.createIndex({ n: 1 });
    await refusedAsMissing(db.command({ drop: 'measured' }), 'drop');
    await refusedAsMissing(db.command({ dropIndexes: 'measured', index: '*' }), 'dropIndexes');
    await refusedAsMissing(client.db('admin').command({ renameCollection: `${db.databaseName}.measured`, to: `${db.databaseName}.renamed`, dropTarget: true }), 'renameCollection');
    await refusedAsMissing(db.command({ listCollections: 1, nameOnly: true }), 'listCollections');
    expect(await c.countDocuments()).toBe(1);
  });

  it('has no change streams (an aggregate with $changeStream answers NotImplemented, 238)', async () => {
    const error = await db
      .collection('watched')
      .aggregate([{ $changeStream: {} }])
      .toArray()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error, 'jongodb now has change streams: remove their skip').toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(238);
  });

  it('lets two transactions that update one document both commit (no write conflict), the last one winning', async () => {
    const c = db.collection<Doc>('conflicts');
    await c.insertOne({ _id: 'one', n: 0 });
    const first = client.startSession();
    const second = client.startSession();
    try {
      first.startTransaction();
      second.startTransaction();
      await c.updateOne({ _id: 'one' }, { $set: { n: 1 } }, { session: first });
      // A real MongoDB refuses this write (WriteConflict, a TransientTransactionError).
      await c.updateOne({ _id: 'one' }, { $set: { n: 2 } }, { session: second });
      await first.commitTransaction();
      await second.commitTransaction();
    } finally {
      await first.endSession();
      await second.endSession();
    }
    expect(await c.findOne({ _id: 'one' }), 'jongodb now detects write conflicts: remove their skip').toEqual({ _id: 'one', n: 2 });
  });

  it('refuses the second commit of two transactions inserting one new document: WriteConflict (112) with no TransientTransactionError label', async () => {
    const c = db.collection<Doc>('insertrace');
    const first = client.startSession();
    const second = client.startSession();
    let refused: unknown = null;
    try {
      first.startTransaction();
      second.startTransaction();
      await c.replaceOne({ _id: 'new' }, { n: 1 }, { upsert: true, session: first });
      await c.replaceOne({ _id: 'new' }, { n: 2 }, { upsert: true, session: second });
      await first.commitTransaction();
      await second.commitTransaction().catch((e: unknown) => (refused = e));
    } finally {
      await first.endSession();
      await second.endSession();
    }
    // A real MongoDB refuses the second write itself, labelled TransientTransactionError (withTransaction retries).
    expect(refused).toBeInstanceOf(MongoServerError);
    expect((refused as MongoServerError).code).toBe(112);
    expect((refused as MongoServerError).hasErrorLabel('TransientTransactionError'), 'jongodb now labels it: the adapter’s own retry of 112 is no longer needed there').toBe(false);
    expect(await c.findOne({ _id: 'new' })).toEqual({ _id: 'new', n: 1 });
  });

  it('ignores a projection in find, and stops an unordered bulkWrite at its first error', async () => {
    const c = db.collection<Doc & { other?: string }>('projected');
    await c.insertOne({ _id: 'p', n: 1, other: 'x' });
    // A real MongoDB answers { _id: 'p' } only. The adapter never relies on a projection for what it returns.
    expect(await c.findOne({ _id: 'p' }, { projection: { _id: 1 } })).toEqual({ _id: 'p', n: 1, other: 'x' });
    const b = db.collection<Doc>('unordered');
    await b.insertOne({ _id: 'taken' });
    await expect(b.bulkWrite([{ insertOne: { document: { _id: 'taken' } } }, { insertOne: { document: { _id: 'free' } } }], { ordered: false })).rejects.toMatchObject({ code: 11000 });
    // A real MongoDB inserts 'free' (an unordered bulkWrite goes on past an error). The adapter writes ordered only.
    expect(await b.countDocuments({ _id: 'free' })).toBe(0);
  });

  it('sorts a missing field before null (a real MongoDB sorts them as equal, then by the next key)', async () => {
    const c = db.collection<Doc & { tag?: string | null }>('nullsort');
    await c.insertMany([{ _id: 'a', tag: null }, { _id: 'b' }, { _id: 'c', tag: 'x' }]);
    expect((await c.find({}, { sort: { tag: 1, _id: 1 } }).toArray()).map((d) => d._id)).toEqual(['b', 'a', 'c']);
  });

  it('stores an undefined field as null, as a real MongoDB does with the driver default (ignoreUndefined off)', async () => {
    const c = db.collection<Doc & { gone?: undefined }>('undefined');
    await c.insertOne({ _id: 'u', gone: undefined });
    expect(await c.findOne({ _id: 'u' })).toStrictEqual({ _id: 'u', gone: null });
  });
});
