import { MongoError, MongoServerError } from 'mongodb';
import type { AnyBulkWriteOperation, Document as BsonDocument, ClientSession, Collection, Db, Filter, MongoClient } from 'mongodb';
import { UniqueConstraintError, assertCountServed } from '../readStore';
import type { CollectionDef, Condition, Document, FindOptions, Page, PutCondition, ReadCollection, ReadStore, ReadStoreTransaction, Scalar, WriteCollection } from '../readStore';
import type { MongoDoc } from './query';
import { cursorAfter, fromMongo, indexKey, planFind, toMongo, uniqueIndex, whereFilter } from './query';
import { copyDocuments, copyIndexes } from './swapCopying';
import { watchCollection } from './watch';
import type { WatchOptions } from './watch';

/**
 * The ReadStore port on MongoDB (a replica set: transactions and change streams need one). One MongoDB collection
 * `rm_<name>` per port collection, documents keyed by `_id`, each declared index created as (equal…, sort, _id)
 * and each unique field as a partial unique index (null and missing values are left out, so any number of
 * documents may have them). Indexes are created outside transactions, before a collection's first use.
 *
 * Transactions use the driver's `withTransaction`, which may run the body again after a transient error: each run
 * starts a fresh ReadStoreTransaction, so nothing of an abandoned run survives. A body that writes a collection whose
 * indexes this process has not created yet is abandoned (IndexesFirst), the indexes are created with no transaction
 * open, and the body runs again: an index build on a live collection waits for the transactions that hold its locks,
 * so one awaited inside a transaction would wait behind that very transaction. Writes are buffered per
 * collection and sent as one `bulkWrite` per collection (and one for the checkpoints) when the body ends or a
 * query inside it needs them, so a projection batch costs a few round trips, not one per document.
 */

const COLLECTION_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const CHECKPOINTS = 'hookbase_checkpoints';
const UNIQUE_PREFIX = 'hb_u_';
const NAMESPACE_NOT_FOUND = 26;
const DUPLICATE_KEY = 11000;
/** A command the server does not implement (e.g. jongodb's missing `drop`, `renameCollection`, `listCollections`). */
const COMMAND_NOT_FOUND = 59;
/** How many times a transaction body is abandoned to create indexes before giving up (each makes progress). */
const MAX_INDEX_ROUNDS = 20;

export const isCommandNotFound = (error: unknown): boolean => error instanceof MongoServerError && error.code === COMMAND_NOT_FOUND;

/** Abandons a transaction's run: `def`'s indexes must be created first, outside any transaction. */
class IndexesFirst extends Error {
  constructor(readonly def: CollectionDef) {
    super(`indexes of ${def.name} are created before the transaction runs again`);
    this.name = 'IndexesFirst';
  }
}

type CheckpointDoc = { _id: string; position: string };

const collectionName = (name: string): string => `rm_${name}`;

const signatureOf = (def: CollectionDef): string => `${def.name}\n${JSON.stringify([def.indexes, def.unique ?? []])}`;

const validate = (def: CollectionDef): void => {
  if (!COLLECTION_NAME.test(def.name)) throw new TypeError(`Invalid collection name: ${def.name}`);
};

/** A duplicate key on one of our unique indexes, as the port's error; anything else unchanged. */
const mapWriteError = (def: CollectionDef, error: unknown): unknown => {
  if (!(error instanceof MongoError) || error.code !== DUPLICATE_KEY) return error;
  const index = new RegExp(`index: ${UNIQUE_PREFIX}(\\S+) dup key`).exec(error.message)?.[1];
  return index ? new UniqueConstraintError(def.name, index) : error;
};

/** A putIf condition as a MongoDB filter: each field equal (`eq`) or `$lt` its value. */
export const conditionFilter = (condition: Condition): Filter<MongoDoc> =>
  Object.fromEntries(Object.entries(condition).map(([key, test]) => [key === 'id' ? '_id' : key, 'eq' in test ? test.eq : { $lt: test.lt }]));

/** Options of a store; `rehearseTransactions` makes every transaction abandon its first run (contract tests). */
export type MongoReadStoreOptions = Readonly<{ rehearseTransactions?: boolean; onClose?: () => Promise<void> }>;

export class MongoReadStore implements ReadStore {
  /**
   * Collection name and index signature → their creation, once per process. Only writes create indexes (and so
   * the collection): a read of a collection nobody wrote finds nothing, and must not bring a dropped one back.
   */
  private readonly ensured = new Map<string, Promise<void>>();
  /** The signatures whose indexes exist (their creation resolved). */
  private readonly ready = new Set<string>();
  private closed = false;

  constructor(
    readonly client: MongoClient,
    readonly db: Db,
    private readonly options: MongoReadStoreOptions = {},
  ) {}

  collection<T extends Document>(def: CollectionDef): ReadCollection<T> {
    validate(def);
    return new MongoCollection<T>(this, def, null);
  }

  async transaction<R>(work: (tx: ReadStoreTransaction) => Promise<R>): Promise<R> {
    this.assertOpen();
    for (let round = 0; ; round++) {
      try {
        return await this.runTransaction(work);
      } catch (error) {
        if (!(error instanceof IndexesFirst) || round >= MAX_INDEX_ROUNDS) throw error;
        // No transaction of ours is open now: the build waits for nobody of ours.
        await this.ensure(error.def);
      }
    }
  }

  private async runTransaction<R>(work: (tx: ReadStoreTransaction) => Promise<R>): Promise<R> {
    const session = this.client.startSession();
    let runs = 0;
    try {
      return await session.withTransaction(
        async () => {
          runs += 1;
          const tx = new MongoTransaction(this, session);
          const result = await work(tx);
          await tx.flush();
          if (this.options.rehearseTransactions && runs === 1) {
            const transient = new MongoError('Hookbase rehearsal: the first run of every transaction is abandoned');
            transient.addErrorLabel('TransientTransactionError');
            throw transient;
          }
          return result;
        },
        { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' }, readPreference: 'primary' },
      );
    } finally {
      await session.endSession();
    }
  }

  /**
   * One `findOneAndUpdate`: filter = the id and any of the conditions, `$set` of the document's fields, upsert when
   * `orAbsent`. A document that exists but fails the filter makes the upsert insert a second `_id`: the duplicate
   * key (11000) means the condition failed. Without upsert, no match (null) means the same.
   */
  async putIf<T extends Document>(def: CollectionDef, doc: T, condition: PutCondition): Promise<boolean> {
    validate(def);
    if (typeof doc.id !== 'string' || doc.id === '') throw new TypeError('A document needs a non-empty string id');
    if (condition.anyOf.length === 0) throw new TypeError('putIf needs at least one condition');
    this.assertOpen();
    await this.ensure(def);
    const { _id, ...fields } = toMongo(doc);
    const filter: Filter<MongoDoc> = { _id, $or: condition.anyOf.map(conditionFilter) };
    try {
      const written = await this.raw(def.name).findOneAndUpdate(filter, { $set: fields }, { upsert: condition.orAbsent, returnDocument: 'after', projection: { _id: 1 } });
      return written !== null;
    } catch (error) {
      const mapped = mapWriteError(def, error);
      if (mapped === error && error instanceof MongoError && error.code === DUPLICATE_KEY) return false;
      throw mapped;
    }
  }

  async getCheckpoint(projection: string): Promise<string | null> {
    this.assertOpen();
    return (await this.checkpoints().findOne({ _id: projection }))?.position ?? null;
  }

  async deleteCheckpoint(projection: string): Promise<void> {
    this.assertOpen();
    await this.checkpoints().deleteOne({ _id: projection });
  }

  /**
   * Drops the collection (its documents and indexes). On a server without the `drop` command (jongodb), its
   * documents are deleted instead and its indexes stay: the next write under another definition adds that
   * definition's indexes, but cannot remove the old ones.
   */
  async dropCollection(name: string): Promise<void> {
    if (!COLLECTION_NAME.test(name)) throw new TypeError(`Invalid collection name: ${name}`);
    this.assertOpen();
    this.forget(name);
    try {
      await this.db.collection(collectionName(name)).drop();
    } catch (error) {
      if (isCommandNotFound(error)) await this.raw(name).deleteMany({});
      else if (!(error instanceof MongoError && error.code === NAMESPACE_NOT_FOUND)) throw error;
    }
  }

  /**
   * Each `from` replaces `to`: renamed over it (`renameCollection` with `dropTarget`), then `finish` runs in a
   * transaction. A `from` that holds no document (a shadow no event wrote) empties `to` instead. On a server without
   * `renameCollection` (jongodb), `from`'s indexes are created on `to`, and one transaction replaces `to`'s
   * documents by `from`'s and runs `finish`: atomic, but bounded by what one transaction may hold, so only for
   * small read models (a test server) — swapCopying.ts.
   */
  async replaceCollections(renames: readonly Readonly<{ from: string; to: string }>[], finish: (tx: ReadStoreTransaction) => Promise<void>): Promise<void> {
    this.assertOpen();
    for (const { from, to } of renames) {
      if (!COLLECTION_NAME.test(from) || !COLLECTION_NAME.test(to)) throw new TypeError(`Invalid collection name: ${from} or ${to}`);
    }
    const copies: { from: string; to: string }[] = [];
    for (const { from, to } of renames) {
      this.forget(from);
      this.forget(to);
      // findOne rather than listCollections: the same answer on every server (jongodb has no listCollections).
      if ((await this.raw(from).findOne({}, { projection: { _id: 1 } })) === null) {
        await this.dropCollection(to);
        continue;
      }
      try {
        await this.db.renameCollection(collectionName(from), collectionName(to), { dropTarget: true });
      } catch (error) {
        if (!isCommandNotFound(error)) throw error;
        await copyIndexes(this.raw(from), this.raw(to));
        copies.push({ from, to });
      }
    }
    if (copies.length === 0) {
      await this.transaction(finish);
      return;
    }
    await this.transaction(async (tx) => {
      if (!(tx instanceof MongoTransaction)) throw new TypeError('A MongoDB transaction was expected');
      const session = tx.session;
      for (const { from, to } of copies) await copyDocuments(this.raw(from), this.raw(to), session);
      await finish(tx);
    });
    for (const { from } of copies) await this.dropCollection(from);
  }

  /**
   * Calls `onChange` whenever a document of `name` changes (a change stream, reopened when it ends; polling on a
   * server without change streams): meant for a collection of one watched document. Returns the stop. See watch.ts.
   */
  watchCollection(name: string, onChange: () => void, log: (line: string) => void = () => {}, options: WatchOptions = {}): () => void {
    return watchCollection(this.raw(name) as unknown as Collection<BsonDocument>, onChange, log, options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.options.onClose?.();
  }

  /** @internal The MongoDB collection of a port collection. */
  raw(name: string): Collection<MongoDoc> {
    return this.db.collection<MongoDoc>(collectionName(name));
  }

  /** @internal */
  checkpoints(): Collection<CheckpointDoc> {
    return this.db.collection<CheckpointDoc>(CHECKPOINTS);
  }

  /** @internal Creates the collection's indexes once (outside any transaction: see IndexesFirst). */
  ensure(def: CollectionDef): Promise<void> {
    const signature = signatureOf(def);
    let ready = this.ensured.get(signature);
    if (!ready) {
      const indexes = [
        // (equal: [], sort: 'id') is MongoDB's own _id index: creating it again would be refused.
        ...def.indexes.map((index) => ({ key: indexKey(index) })).filter(({ key }) => Object.keys(key).length > 1),
        ...(def.unique ?? []).map((field) => ({ ...uniqueIndex(field), unique: true, name: `${UNIQUE_PREFIX}${field}` })),
      ];
      const created = indexes.length === 0 ? Promise.resolve() : this.raw(def.name).createIndexes(indexes).then(() => undefined);
      ready = created.then(() => void this.ready.add(signature));
      ready.catch(() => this.ensured.delete(signature));
      this.ensured.set(signature, ready);
    }
    return ready;
  }

  /** @internal Whether `def`'s indexes were created (a transaction may write it without waiting for a build). */
  isReady(def: CollectionDef): boolean {
    return this.ready.has(signatureOf(def));
  }

  /** @internal Forgets the indexes created for collection `name` (dropped or replaced). */
  forget(name: string): void {
    for (const key of this.ensured.keys()) {
      if (key.startsWith(`${name}\n`)) {
        this.ensured.delete(key);
        this.ready.delete(key);
      }
    }
  }

  /** @internal */
  assertOpen(): void {
    if (this.closed) throw new Error('The read store is closed');
  }
}

/** Reads of a collection, committed data (or, in a transaction, through its session). */
class MongoCollection<T extends Document> implements ReadCollection<T> {
  constructor(
    protected readonly store: MongoReadStore,
    protected readonly def: CollectionDef,
    protected readonly session: ClientSession | null,
  ) {}

  async get(id: string): Promise<T | null> {
    this.store.assertOpen();
    const doc = await this.store.raw(this.def.name).findOne({ _id: id }, this.sessionOption());
    return doc ? fromMongo<T>(doc) : null;
  }

  async find(options: FindOptions = {}): Promise<Page<T>> {
    const plan = planFind(this.def, options);
    this.store.assertOpen();
    const docs: MongoDoc[] = [];
    for (const segment of plan.segments) {
      const found = await this.store
        .raw(this.def.name)
        .find(segment.filter, { sort: segment.sort, limit: plan.limit + 1 - docs.length, ...this.sessionOption() })
        .toArray();
      docs.push(...found);
      if (docs.length > plan.limit) break;
    }
    const more = docs.length > plan.limit;
    if (more) docs.length = plan.limit;
    const last = docs[docs.length - 1];
    return { items: docs.map((d) => fromMongo<T>(d)), nextCursor: more && last ? cursorAfter(plan, last) : null };
  }

  async count(where?: Readonly<Record<string, Scalar>>): Promise<number> {
    assertCountServed(this.def, where);
    this.store.assertOpen();
    return this.store.raw(this.def.name).countDocuments(whereFilter(where), this.sessionOption());
  }

  protected sessionOption(): { session?: ClientSession } {
    return this.session ? { session: this.session } : {};
  }
}

/** A collection inside a transaction: its writes wait in the transaction's buffer until flushed. */
class MongoWriteCollection<T extends Document> extends MongoCollection<T> implements WriteCollection<T> {
  constructor(
    store: MongoReadStore,
    def: CollectionDef,
    session: ClientSession,
    private readonly tx: MongoTransaction,
  ) {
    super(store, def, session);
  }

  override async get(id: string): Promise<T | null> {
    const pending = this.tx.pending(this.def.name, id);
    if (pending !== undefined) return pending ? fromMongo<T>(pending) : null;
    return super.get(id);
  }

  override async find(options: FindOptions = {}): Promise<Page<T>> {
    await this.tx.flush();
    return super.find(options);
  }

  override async count(where?: Readonly<Record<string, Scalar>>): Promise<number> {
    await this.tx.flush();
    return super.count(where);
  }

  async put(doc: T): Promise<void> {
    if (typeof doc.id !== 'string' || doc.id === '') throw new TypeError('A document needs a non-empty string id');
    await this.tx.write(this.def, doc.id, toMongo(doc));
  }

  async delete(id: string): Promise<void> {
    await this.tx.write(this.def, id, null);
  }
}

type Buffered = { def: CollectionDef; ops: AnyBulkWriteOperation<MongoDoc>[]; latest: Map<string, MongoDoc | null> };

/** One run of a transaction body: its buffer of writes, flushed as one bulkWrite per collection. */
class MongoTransaction implements ReadStoreTransaction {
  private readonly buffers = new Map<string, Buffered>();
  private readonly checkpointWrites = new Map<string, string>();
  private readonly collections = new Map<CollectionDef, MongoWriteCollection<Document>>();

  constructor(
    private readonly store: MongoReadStore,
    /** @internal */
    readonly session: ClientSession,
  ) {}

  collection<T extends Document>(def: CollectionDef): WriteCollection<T> {
    validate(def);
    let collection = this.collections.get(def);
    if (!collection) {
      collection = new MongoWriteCollection<Document>(this.store, def, this.session, this);
      this.collections.set(def, collection);
    }
    return collection as unknown as WriteCollection<T>;
  }

  async setCheckpoint(projection: string, position: string): Promise<void> {
    this.checkpointWrites.set(projection, position);
  }

  async getCheckpoint(projection: string): Promise<string | null> {
    const pending = this.checkpointWrites.get(projection);
    if (pending !== undefined) return pending;
    return (await this.store.checkpoints().findOne({ _id: projection }, { session: this.session }))?.position ?? null;
  }

  /** The buffered state of a document: a doc, null (deleted), or undefined (not written in this run). */
  pending(name: string, id: string): MongoDoc | null | undefined {
    return this.buffers.get(name)?.latest.get(id);
  }

  async write(def: CollectionDef, id: string, doc: MongoDoc | null): Promise<void> {
    // Indexes before the first write, never awaited inside the transaction: the run is abandoned, the indexes
    // created with no transaction open, and the body runs again (MongoReadStore.transaction).
    if (!this.store.isReady(def)) throw new IndexesFirst(def);
    let buffer = this.buffers.get(def.name);
    if (!buffer) this.buffers.set(def.name, (buffer = { def, ops: [], latest: new Map() }));
    buffer.ops.push(doc ? { replaceOne: { filter: { _id: id }, replacement: doc, upsert: true } } : { deleteOne: { filter: { _id: id } } });
    buffer.latest.set(id, doc);
  }

  async flush(): Promise<void> {
    const buffers = [...this.buffers.values()];
    this.buffers.clear();
    for (const { def, ops } of buffers) {
      try {
        await this.store.raw(def.name).bulkWrite(ops, { session: this.session, ordered: true });
      } catch (error) {
        throw mapWriteError(def, error);
      }
    }
    if (this.checkpointWrites.size > 0) {
      const ops = [...this.checkpointWrites].map(([projection, position]) => ({
        updateOne: { filter: { _id: projection }, update: { $set: { position } }, upsert: true },
      }));
      this.checkpointWrites.clear();
      await this.store.checkpoints().bulkWrite(ops, { session: this.session, ordered: true });
    }
  }
}
