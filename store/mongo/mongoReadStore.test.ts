import { MongoBulkWriteError, MongoError, MongoServerError } from 'mongodb';
import type { Db, Document as BsonDocument, MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { InvalidCursorError, UniqueConstraintError, UnindexedQueryError } from '../readStore';
import type { CollectionDef } from '../readStore';
import { MongoReadStore } from './mongoReadStore';
import { claimDueDeliveries, deliveryLeases, renewLease } from '../../dispatcher/leases';
import type { DueDeliveryDoc } from '../../projections/readModels';
import { databaseOf } from './connect';
import { cursorAfter, decodeCursor, encodeCursor, indexKey, planFind, uniqueIndex } from './query';

/**
 * Unit tests of the MongoDB adapter: the query each find builds, and the calls the adapter makes, against a
 * stand-in of the driver at its edge (Db, Collection, ClientSession). No server runs here.
 */

const messages: CollectionDef = {
  name: 'messages',
  indexes: [{ equal: ['appId'], sort: 'createdAt' }, { equal: ['appId', 'eventType'], sort: 'createdAt' }, { equal: ['status'] }],
  unique: ['uid'],
};

describe('MongoDB adapter: the query of each find', () => {
  it('equality keys, then the sort key and _id in the same direction, limit clamped', () => {
    const plan = planFind(messages, { where: { appId: 'app_1', eventType: 'order.created' }, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 5000 });
    // The values, then the nulls (null or missing) by id: no reliance on how the server orders a missing field.
    expect(plan.segments).toEqual([
      { filter: { $and: [{ appId: 'app_1', eventType: 'order.created' }, { createdAt: { $ne: null } }] }, sort: { createdAt: -1, _id: -1 } },
      { filter: { $and: [{ appId: 'app_1', eventType: 'order.created' }, { createdAt: null }] }, sort: { _id: -1 } },
    ]);
    expect(plan.limit).toBe(1000);
    expect(planFind(messages, { where: { status: 'failed' } }).segments).toEqual([{ filter: { status: 'failed' }, sort: { _id: 1 } }]);
    expect(planFind(messages).limit).toBe(50);
    expect(planFind(messages, { limit: 0 }).limit).toBe(1);
  });

  it('a null equality matches null or missing; a range is on the sort key', () => {
    const plan = planFind(messages, { where: { appId: null }, range: { key: 'createdAt', gte: '2026-01-01', lt: '2026-02-01' }, orderBy: { key: 'createdAt', direction: 'asc' } });
    expect(plan.segments).toEqual([{ filter: { appId: null, createdAt: { $gte: '2026-01-01', $lt: '2026-02-01' } }, sort: { createdAt: 1, _id: 1 } }]);
  });

  it('after a cursor on a non-null value: one range query ascending, then the nulls descending', () => {
    const cursor = encodeCursor({ k: 'createdAt', d: 'a', v: '2026-01-05', id: 'msg_9' });
    const asc = planFind(messages, { where: { appId: 'a' }, orderBy: { key: 'createdAt', direction: 'asc' }, cursor });
    expect(asc.segments).toEqual([
      {
        filter: { $and: [{ appId: 'a' }, { createdAt: { $gte: '2026-01-05' }, $or: [{ createdAt: { $gt: '2026-01-05' } }, { _id: { $gt: 'msg_9' } }] }] },
        sort: { createdAt: 1, _id: 1 },
      },
    ]);
    const descCursor = encodeCursor({ k: 'createdAt', d: 'd', v: '2026-01-05', id: 'msg_9' });
    const desc = planFind(messages, { where: { appId: 'a' }, orderBy: { key: 'createdAt', direction: 'desc' }, cursor: descCursor });
    expect(desc.segments).toEqual([
      {
        filter: { $and: [{ appId: 'a' }, { createdAt: { $lte: '2026-01-05' }, $or: [{ createdAt: { $lt: '2026-01-05' } }, { _id: { $lt: 'msg_9' } }] }] },
        sort: { createdAt: -1, _id: -1 },
      },
      { filter: { $and: [{ appId: 'a' }, { createdAt: null }] }, sort: { _id: -1 } },
    ]);
  });

  it('after a cursor on a null value: the remaining nulls by id, then (ascending) every non-null value', () => {
    const asc = planFind(messages, { where: { appId: 'a' }, orderBy: { key: 'createdAt', direction: 'asc' }, cursor: encodeCursor({ k: 'createdAt', d: 'a', v: null, id: 'msg_3' }) });
    expect(asc.segments).toEqual([
      { filter: { $and: [{ appId: 'a' }, { createdAt: null, _id: { $gt: 'msg_3' } }] }, sort: { _id: 1 } },
      { filter: { $and: [{ appId: 'a' }, { createdAt: { $ne: null } }] }, sort: { createdAt: 1, _id: 1 } },
    ]);
    const desc = planFind(messages, { where: { appId: 'a' }, orderBy: { key: 'createdAt', direction: 'desc' }, cursor: encodeCursor({ k: 'createdAt', d: 'd', v: null, id: 'msg_3' }) });
    expect(desc.segments).toEqual([{ filter: { $and: [{ appId: 'a' }, { createdAt: null, _id: { $lt: 'msg_3' } }] }, sort: { _id: -1 } }]);
  });

  it('orders by id alone with a cursor on _id; refuses a cursor of another order and an unindexed query', () => {
    const byId = planFind(messages, { where: { status: 'x' }, cursor: encodeCursor({ k: 'id', d: 'a', v: null, id: 'm5' }) });
    expect(byId.segments).toEqual([{ filter: { $and: [{ status: 'x' }, { _id: { $gt: 'm5' } }] }, sort: { _id: 1 } }]);
    expect(() => planFind(messages, { where: { status: 'x' }, cursor: encodeCursor({ k: 'createdAt', d: 'a', v: 1, id: 'm' }) })).toThrow(InvalidCursorError);
    expect(() => planFind(messages, { where: { status: 'x' }, cursor: 'not-base64-json' })).toThrow(InvalidCursorError);
    expect(() => planFind(messages, { where: { eventType: 'a' } })).toThrow(UnindexedQueryError);
    expect(() => decodeCursor('m', encodeCursor({ k: 'n', d: 'a', v: 3, id: 'x' }), 'n', 'desc')).toThrow(InvalidCursorError);
  });

  it('the next cursor carries the last sort value and id', () => {
    const plan = planFind(messages, { where: { appId: 'a' }, orderBy: { key: 'createdAt', direction: 'desc' } });
    expect(decodeCursor('messages', cursorAfter(plan, { _id: 'msg_2', createdAt: '2026-03-01' }), 'createdAt', 'desc')).toEqual({ k: 'createdAt', d: 'd', v: '2026-03-01', id: 'msg_2' });
    expect(decodeCursor('messages', cursorAfter(plan, { _id: 'msg_1' }), 'createdAt', 'desc').v).toBeNull();
  });

  it('declares each index as (equal…, sort, _id) and unique fields as partial indexes that leave nulls out', () => {
    expect(indexKey({ equal: ['appId', 'eventType'], sort: 'createdAt' })).toEqual({ appId: 1, eventType: 1, createdAt: 1, _id: 1 });
    expect(Object.keys(indexKey({ equal: ['appId', 'eventType'], sort: 'createdAt' }))).toEqual(['appId', 'eventType', 'createdAt', '_id']);
    expect(indexKey({ equal: ['status'] })).toEqual({ status: 1, _id: 1 });
    expect(uniqueIndex('uid')).toEqual({ key: { uid: 1 }, partialFilterExpression: { $or: [{ uid: { $type: 'string' } }, { uid: { $type: 'number' } }, { uid: { $type: 'bool' } }] } });
  });

  it('takes the database from the URL path', () => {
    expect(databaseOf('mongodb://mongodb:27017/hookbase?replicaSet=rs0')).toBe('hookbase');
    expect(databaseOf('mongodb+srv://u:p@cluster.example/prod_hb')).toBe('prod_hb');
    expect(databaseOf('mongodb://localhost:27017')).toBe('hookbase');
  });
});

/** The driver at the adapter's edge: collections in memory that record every call. */
class FakeDriver {
  readonly calls: { collection: string; op: string; args: unknown[] }[] = [];
  readonly data = new Map<string, Map<string, BsonDocument>>();
  bulkError: Error | null = null;
  findOneAndUpdateError: Error | null = null;
  /** undefined: the matched document ({ _id }); null: no match. */
  findOneAndUpdateResult: BsonDocument | null | undefined = undefined;
  transactionsStarted = 0;
  /** Thrown by the next createIndexes call (then cleared). */
  createIndexesError: Error | null = null;

  private docs(name: string): Map<string, BsonDocument> {
    let docs = this.data.get(name);
    if (!docs) this.data.set(name, (docs = new Map()));
    return docs;
  }

  db(): Db {
    const collection = (name: string) => ({
      createIndexes: async (...args: unknown[]) => {
        this.calls.push({ collection: name, op: 'createIndexes', args });
        const error = this.createIndexesError;
        this.createIndexesError = null;
        if (error) throw error;
      },
      dropIndex: async (...args: unknown[]) => void this.calls.push({ collection: name, op: 'dropIndex', args }),
      drop: async () => {
        this.calls.push({ collection: name, op: 'drop', args: [] });
        this.data.delete(name);
      },
      findOne: async (filter: { _id: string }, ...rest: unknown[]) => {
        this.calls.push({ collection: name, op: 'findOne', args: [filter, ...rest] });
        return this.docs(name).get(filter._id) ?? null;
      },
      find: (filter: unknown, options: { limit: number }) => {
        this.calls.push({ collection: name, op: 'find', args: [filter, options] });
        return { toArray: async () => [...this.docs(name).values()].slice(0, options.limit) };
      },
      countDocuments: async (...args: unknown[]) => {
        this.calls.push({ collection: name, op: 'countDocuments', args });
        return this.docs(name).size;
      },
      findOneAndUpdate: async (filter: { _id: string }, update: { $set: BsonDocument }, ...rest: unknown[]) => {
        this.calls.push({ collection: name, op: 'findOneAndUpdate', args: [filter, update, ...rest] });
        if (this.findOneAndUpdateError) throw this.findOneAndUpdateError;
        return this.findOneAndUpdateResult === undefined ? { _id: filter._id } : this.findOneAndUpdateResult;
      },
      bulkWrite: async (ops: { replaceOne?: { replacement: BsonDocument }; updateOne?: { filter: { _id: string }; update: { $set: BsonDocument } } }[], ...rest: unknown[]) => {
        this.calls.push({ collection: name, op: 'bulkWrite', args: [ops, ...rest] });
        if (this.bulkError) throw this.bulkError;
        for (const op of ops) {
          if (op.replaceOne) this.docs(name).set(String(op.replaceOne.replacement._id), op.replaceOne.replacement);
          if (op.updateOne) this.docs(name).set(op.updateOne.filter._id, { _id: op.updateOne.filter._id, ...op.updateOne.update.$set });
        }
      },
    });
    return { collection } as unknown as Db;
  }

  client(): MongoClient {
    const session = {
      // What the driver's withTransaction does with a body's error: run it again when labelled transient.
      withTransaction: async (fn: () => Promise<unknown>) => {
        for (;;) {
          this.transactionsStarted++;
          try {
            return await fn();
          } catch (error) {
            if (error instanceof MongoError && error.hasErrorLabel('TransientTransactionError')) continue;
            throw error;
          }
        }
      },
      endSession: async () => {},
    };
    return { startSession: () => session } as unknown as MongoClient;
  }
}

describe('MongoDB adapter: calls to the driver', () => {
  const setup = (options = {}) => {
    const driver = new FakeDriver();
    return { driver, store: new MongoReadStore(driver.client(), driver.db(), options) };
  };

  it('creates the declared indexes once, at the first write (outside the transaction), and runs a find as the planned queries with limit + 1', async () => {
    const { driver, store } = setup();
    const c = store.collection(messages);
    await c.find({ where: { status: 'sent' } });
    // A read creates nothing: a dropped collection must not come back with its old indexes.
    expect(driver.calls.filter((call) => call.op === 'createIndexes')).toEqual([]);
    driver.calls.length = 0;
    await store.transaction(async (tx) => {
      await tx.collection(messages).put({ id: 'm1', appId: 'a' });
      await tx.collection(messages).put({ id: 'm2', appId: 'a' });
    });
    expect(driver.calls.map((call) => call.op)).toEqual(['createIndexes', 'bulkWrite']);
    const indexCalls = driver.calls.filter((call) => call.op === 'createIndexes');
    expect(indexCalls).toHaveLength(1);
    expect(indexCalls[0]?.collection).toBe('rm_messages');
    expect(indexCalls[0]?.args[0]).toEqual([
      { key: { appId: 1, createdAt: 1, _id: 1 } },
      { key: { appId: 1, eventType: 1, createdAt: 1, _id: 1 } },
      { key: { status: 1, _id: 1 } },
      { key: { uid: 1 }, partialFilterExpression: { $or: [{ uid: { $type: 'string' } }, { uid: { $type: 'number' } }, { uid: { $type: 'bool' } }] }, unique: true, name: 'hb_u_uid' },
    ]);
    driver.calls.length = 0;
    await c.find({ where: { appId: 'a' }, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 20 });
    await c.find({ where: { status: 'sent' } });
    const finds = driver.calls.filter((call) => call.op === 'find');
    expect(finds.map((f) => f.args)).toEqual([
      [{ $and: [{ appId: 'a' }, { createdAt: { $ne: null } }] }, { sort: { createdAt: -1, _id: -1 }, limit: 21 }],
      [{ $and: [{ appId: 'a' }, { createdAt: null }] }, { sort: { _id: -1 }, limit: 19 }],
      [{ status: 'sent' }, { sort: { _id: 1 }, limit: 51 }],
    ]);
  });

  it('buffers a transaction’s writes into one bulkWrite per collection and one for the checkpoints', async () => {
    const { driver, store } = setup();
    const other: CollectionDef = { name: 'stats', indexes: [] };
    await store.transaction(async (tx) => {
      const m = tx.collection(messages);
      await m.put({ id: 'msg_1', appId: 'a' });
      await m.put({ id: 'msg_2', appId: 'a' });
      await tx.collection(other).put({ id: 's', n: 1 });
      await m.delete('msg_0');
      expect(await m.get('msg_2')).toEqual({ id: 'msg_2', appId: 'a' });
      expect(await m.get('msg_0')).toBeNull();
      await tx.setCheckpoint('messages', '10/10');
      expect(await tx.getCheckpoint('messages')).toBe('10/10');
    });
    const writes = driver.calls.filter((call) => call.op === 'bulkWrite');
    expect(writes.map((w) => w.collection)).toEqual(['rm_messages', 'rm_stats', 'hookbase_checkpoints']);
    expect(writes[0]?.args[0]).toEqual([
      { replaceOne: { filter: { _id: 'msg_1' }, replacement: { appId: 'a', _id: 'msg_1' }, upsert: true } },
      { replaceOne: { filter: { _id: 'msg_2' }, replacement: { appId: 'a', _id: 'msg_2' }, upsert: true } },
      { deleteOne: { filter: { _id: 'msg_0' } } },
    ]);
    expect(writes[0]?.args[1]).toMatchObject({ ordered: true, session: expect.anything() });
    expect(writes[2]?.args[0]).toEqual([{ updateOne: { filter: { _id: 'messages' }, update: { $set: { position: '10/10' } }, upsert: true } }]);
    // No read went to the server for what the transaction had written itself.
    expect(driver.calls.filter((call) => call.op === 'findOne')).toEqual([]);
  });

  it('flushes the buffer before a query inside the transaction, so that it sees its own writes', async () => {
    const { driver, store } = setup();
    await store.transaction(async (tx) => {
      await tx.collection(messages).put({ id: 'msg_1', status: 'x' });
      await tx.collection(messages).count({ status: 'x' });
    });
    expect(driver.calls.filter((c) => c.op === 'bulkWrite' || c.op === 'countDocuments').map((c) => c.op)).toEqual(['bulkWrite', 'countDocuments']);
  });

  it('maps a duplicate key on a unique index to UniqueConstraintError', async () => {
    const { driver, store } = setup();
    driver.bulkError = new MongoBulkWriteError(
      { message: 'E11000 duplicate key error collection: hookbase.rm_messages index: hb_u_uid dup key: { uid: "u1" }', code: 11000, writeErrors: [] },
      { insertedCount: 0, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0, upsertedIds: {}, insertedIds: {} } as never,
    );
    const failing = store.transaction(async (tx) => tx.collection(messages).put({ id: 'm', uid: 'u1' }));
    await expect(failing).rejects.toBeInstanceOf(UniqueConstraintError);
    await expect(failing).rejects.toMatchObject({ collection: 'messages', field: 'uid' });
  });

  it('with rehearseTransactions, runs each body twice through the driver’s retry, the first run abandoned', async () => {
    const { driver, store } = setup({ rehearseTransactions: true });
    let runs = 0;
    const result = await store.transaction(async (tx) => {
      runs++;
      await tx.collection(messages).put({ id: `run${runs}` });
      return runs;
    });
    // Run 1 abandoned to create the collection's indexes outside it, run 2 rehearsed, run 3 committed.
    expect(result).toBe(3);
    expect(driver.transactionsStarted).toBe(3);
  });
});

describe('MongoDB adapter: index declarations', () => {
  it('leaves out an index that would be only _id (MongoDB has it and refuses it again)', async () => {
    const driver = new FakeDriver();
    const store = new MongoReadStore(driver.client(), driver.db());
    await store.transaction((tx) => tx.collection({ name: 'plain', indexes: [{ equal: [] }, { equal: [], sort: 'dueAt' }] }).put({ id: 'x' }));
    expect(driver.calls.find((c) => c.op === 'createIndexes')?.args[0]).toEqual([{ key: { dueAt: 1, _id: 1 } }]);
  });
});

describe('MongoDB adapter: a unique index of an earlier release under the same name', () => {
  it('is dropped and created as declared when the server refuses the new options (IndexOptionsConflict, 85)', async () => {
    const driver = new FakeDriver();
    const store = new MongoReadStore(driver.client(), driver.db());
    // What a real MongoDB answers when hb_u_uid exists with the `$type: [...]` filter of the releases before.
    driver.createIndexesError = new MongoServerError({ message: 'An existing index has the same name as the requested index', code: 85 });
    await store.transaction((tx) => tx.collection(messages).put({ id: 'm', uid: 'u' }));
    expect(driver.calls.filter((c) => c.op === 'createIndexes' || c.op === 'dropIndex').map((c) => c.op === 'dropIndex' ? ['dropIndex', c.args[0]] : ['createIndexes'])).toEqual([
      ['createIndexes'],
      ['dropIndex', 'hb_u_uid'],
      ['createIndexes'],
    ]);
    expect(driver.data.get('rm_messages')?.get('m')).toEqual({ _id: 'm', uid: 'u' });
  });

  it('refuses any other index error', async () => {
    const driver = new FakeDriver();
    const store = new MongoReadStore(driver.client(), driver.db());
    driver.createIndexesError = new MongoServerError({ message: 'not primary', code: 10107 });
    await expect(store.transaction((tx) => tx.collection(messages).put({ id: 'm', uid: 'u' }))).rejects.toThrow('not primary');
    expect(driver.calls.some((c) => c.op === 'dropIndex')).toBe(false);
  });
});

describe('MongoDB adapter: dropping a collection', () => {
  it('forgets its indexes: the next write declares those of the definition it is given then', async () => {
    const driver = new FakeDriver();
    const store = new MongoReadStore(driver.client(), driver.db());
    const strict: CollectionDef = { name: 'people', indexes: [{ equal: ['email'] }], unique: ['email'] };
    const relaxed: CollectionDef = { name: 'people', indexes: [{ equal: ['email'] }] };
    await store.transaction((tx) => tx.collection(strict).put({ id: 'a', email: 'x' }));
    await store.dropCollection('people');
    await store.collection(strict).find();
    await store.transaction((tx) => tx.collection(relaxed).put({ id: 'c', email: 'x' }));
    expect(driver.calls.filter((c) => c.op === 'createIndexes' || c.op === 'drop').map((c) => [c.op, c.args[0]])).toEqual([
      ['createIndexes', [{ key: { email: 1, _id: 1 } }, { key: { email: 1 }, partialFilterExpression: { $or: [{ email: { $type: 'string' } }, { email: { $type: 'number' } }, { email: { $type: 'bool' } }] }, unique: true, name: 'hb_u_email' }]],
      ['drop', undefined],
      ['createIndexes', [{ key: { email: 1, _id: 1 } }]],
    ]);
  });
});

describe('MongoDB adapter: read-your-writes through a change stream', () => {
  it('calls back on every change of the watched collection, reopens after an error, and stops', async () => {
    const { EventEmitter } = await import('node:events');
    const streams: (InstanceType<typeof EventEmitter> & { closed: boolean; pipeline: unknown })[] = [];
    const db = {
      collection: (name: string) => ({
        watch: (pipeline: unknown) => {
          const stream = Object.assign(new EventEmitter(), { closed: false, pipeline, name, close: async () => void (stream.closed = true) });
          streams.push(stream);
          return stream;
        },
      }),
    } as unknown as Db;
    const store = new MongoReadStore({} as MongoClient, db);
    let changes = 0;
    const lines: string[] = [];
    const stop = store.watchCollection('projection_progress', () => changes++, (line) => lines.push(line));
    expect(streams).toHaveLength(1);
    streams[0]?.emit('change', { operationType: 'replace' });
    streams[0]?.emit('change', { operationType: 'update' });
    expect(changes).toBe(2);
    streams[0]?.emit('error', new Error('primary stepped down'));
    expect(streams[0]?.closed).toBe(true);
    expect(lines[0]).toContain('primary stepped down');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Reopened, with one call for what may have been missed meanwhile.
    expect(streams).toHaveLength(2);
    expect(changes).toBe(3);
    streams[1]?.emit('change', {});
    expect(changes).toBe(4);
    stop();
    expect(streams[1]?.closed).toBe(true);
  });
});

describe('MongoDB adapter: the change stream ends (invalidate, close): reopened', () => {
  /**
   * The events a driver ChangeStream emits (mongodb 6.22 src/change_stream.ts: a change is emitted as is, the
   * cursor's `close` and `end` are forwarded; after an `invalidate` change the server has closed the cursor, so
   * `close` follows), on a stand-in stream: jongodb has no change streams to produce them on the wire.
   */
  const watched = async () => {
    const { EventEmitter } = await import('node:events');
    const streams: (InstanceType<typeof EventEmitter> & { closed: boolean })[] = [];
    const db = {
      collection: (name: string) => ({
        collectionName: name,
        watch: () => {
          const stream = Object.assign(new EventEmitter(), { closed: false, close: async () => void (stream.closed = true) });
          streams.push(stream);
          return stream;
        },
      }),
    } as unknown as Db;
    return { streams, store: new MongoReadStore({} as MongoClient, db) };
  };

  it('reopens after an invalidate event and the close that follows it, once, with a call for what was missed', async () => {
    const { streams, store } = await watched();
    let changes = 0;
    const lines: string[] = [];
    const stop = store.watchCollection('projection_progress', () => changes++, (line) => lines.push(line), { backoffMs: 20 });
    streams[0]?.emit('change', { _id: { _data: '1' }, operationType: 'replace' });
    expect(changes).toBe(1);
    streams[0]?.emit('change', { _id: { _data: '2' }, operationType: 'invalidate' });
    streams[0]?.emit('close');
    // The invalidate is no change of a document.
    expect(changes).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(streams).toHaveLength(2);
    expect(streams[0]?.closed).toBe(true);
    expect(changes).toBe(2);
    expect(lines).toEqual(['mongodb: change stream on rm_projection_progress ended (invalidated); reopening in 20 ms']);
    streams[1]?.emit('change', { _id: { _data: '3' }, operationType: 'update' });
    expect(changes).toBe(3);
    stop();
  });

  it('reopens a stream closed under it, waiting longer each time until a change comes through', async () => {
    const { streams, store } = await watched();
    const lines: string[] = [];
    const stop = store.watchCollection('projection_progress', () => {}, (line) => lines.push(line), { backoffMs: 10, maxBackoffMs: 40 });
    for (let i = 0; i < 4; i++) {
      streams[i]?.emit('close');
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    expect(streams).toHaveLength(5);
    expect(lines.map((line) => /reopening in (\d+) ms/.exec(line)?.[1])).toEqual(['10', '20', '40', '40']);
    streams[4]?.emit('change', { _id: { _data: '9' }, operationType: 'update' });
    streams[4]?.emit('error', new Error('connection reset'));
    streams[4]?.emit('close');
    await new Promise((resolve) => setTimeout(resolve, 40));
    // One reopen for the error and the close that follows it, after the first wait again.
    expect(streams).toHaveLength(6);
    expect(lines[4]).toBe('mongodb: change stream on rm_projection_progress ended (connection reset); reopening in 10 ms');
    stop();
    expect(streams[5]?.closed).toBe(true);
  });
});

describe('MongoDB adapter: conditional writes (delivery leases)', () => {
  const setup = () => {
    const driver = new FakeDriver();
    return { driver, store: new MongoReadStore(driver.client(), driver.db()) };
  };
  const due = (id: string, attemptNumber: number): DueDeliveryDoc => ({ id, applicationId: 'app', messageId: 'msg', endpointId: 'ep', attemptNumber, dueAt: '2024-01-01T00:00:00.000Z' });
  const now = Date.parse('2026-01-01T00:00:00.000Z');

  it('claims a lease with one findOneAndUpdate: upsert, filter = id and (expired or an earlier attempt), outside any transaction', async () => {
    const { driver, store } = setup();
    expect(await claimDueDeliveries(store, [due('out_1', 3)], 'inst_a', 30_000, now)).toHaveLength(1);
    expect(driver.transactionsStarted).toBe(0);
    const calls = driver.calls.filter((c) => c.op === 'findOneAndUpdate');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.collection).toBe('rm_delivery_leases');
    expect(calls[0]?.args).toEqual([
      { _id: 'out_1', $or: [{ expiresAt: { $lt: '2026-01-01T00:00:00.000Z' } }, { attemptNumber: { $lt: 3 } }] },
      { $set: { owner: 'inst_a', attemptNumber: 3, expiresAt: '2026-01-01T00:00:30.000Z' } },
      { upsert: true, returnDocument: 'after', projection: { _id: 1 } },
    ]);
    // The lease collection's index is declared first, outside any transaction.
    expect(driver.calls.map((c) => c.op)).toEqual(['createIndexes', 'findOneAndUpdate']);
  });

  it('a duplicate key on the upsert (code 11000) means the lease is held: not claimed', async () => {
    const { driver, store } = setup();
    driver.findOneAndUpdateError = new MongoServerError({ message: 'E11000 duplicate key error collection: hookbase_ops.rm_delivery_leases index: _id_ dup key: { _id: "out_1" }', code: 11000 });
    expect(await claimDueDeliveries(store, [due('out_1', 3)], 'inst_b', 30_000, now)).toEqual([]);
    expect(await store.putIf(deliveryLeases, { id: 'out_1', owner: 'b', attemptNumber: 3, expiresAt: 'x' }, { orAbsent: true, anyOf: [{ attemptNumber: { lt: 3 } }] })).toBe(false);
    driver.findOneAndUpdateError = new MongoServerError({ message: 'not primary', code: 10107 });
    await expect(claimDueDeliveries(store, [due('out_1', 3)], 'inst_b', 30_000, now)).rejects.toThrow('not primary');
  });

  it('renews with one findOneAndUpdate, no upsert, filter = id, owner and attempt; no match means no longer ours', async () => {
    const { driver, store } = setup();
    expect(await renewLease(store, 'out_1', 'inst_a', 3, now + 60_000)).toBe(true);
    const calls = driver.calls.filter((c) => c.op === 'findOneAndUpdate');
    expect(calls.map((c) => c.args)).toEqual([
      [
        { _id: 'out_1', $or: [{ owner: 'inst_a', attemptNumber: 3 }] },
        { $set: { owner: 'inst_a', attemptNumber: 3, expiresAt: '2026-01-01T00:01:00.000Z' } },
        { upsert: false, returnDocument: 'after', projection: { _id: 1 } },
      ],
    ]);
    driver.findOneAndUpdateResult = null;
    expect(await renewLease(store, 'out_1', 'inst_b', 3, now + 60_000)).toBe(false);
    expect(driver.transactionsStarted).toBe(0);
  });
});
