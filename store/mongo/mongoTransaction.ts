import { MongoError } from 'mongodb';
import type { AnyBulkWriteOperation, ClientSession } from 'mongodb';
import { UniqueConstraintError, assertCountServed } from '../readStore';
import type { CollectionDef, Document, FindOptions, Page, ReadCollection, ReadStoreTransaction, Scalar, WriteCollection } from '../readStore';
import type { MongoReadStore } from './mongoReadStore';
import type { MongoDoc } from './query';
import { cursorAfter, fromMongo, planFind, toMongo, whereFilter } from './query';

/**
 * The collections and transactions of the MongoDB adapter (mongoReadStore.ts): reads through the driver, writes
 * buffered per transaction run and flushed as one `bulkWrite` per collection.
 */

const COLLECTION_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
export const UNIQUE_PREFIX = 'hb_u_';
export const DUPLICATE_KEY = 11000;

export const validName = (name: string): boolean => COLLECTION_NAME.test(name);

/** Abandons a transaction's run: `def`'s indexes must be created first, outside any transaction. */
export class IndexesFirst extends Error {
  constructor(readonly def: CollectionDef) {
    super(`indexes of ${def.name} are created before the transaction runs again`);
    this.name = 'IndexesFirst';
  }
}

export const validate = (def: CollectionDef): void => {
  if (!validName(def.name)) throw new TypeError(`Invalid collection name: ${def.name}`);
};

/** A duplicate key on one of our unique indexes, as the port's error; anything else unchanged. */
export const mapWriteError = (def: CollectionDef, error: unknown): unknown => {
  if (!(error instanceof MongoError) || error.code !== DUPLICATE_KEY) return error;
  const index = new RegExp(`index: ${UNIQUE_PREFIX}(\\S+) dup key`).exec(error.message)?.[1];
  return index ? new UniqueConstraintError(def.name, index) : error;
};

/** Reads of a collection, committed data (or, in a transaction, through its session). */
export class MongoCollection<T extends Document> implements ReadCollection<T> {
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
export class MongoTransaction implements ReadStoreTransaction {
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
