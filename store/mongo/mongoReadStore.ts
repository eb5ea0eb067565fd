import { MongoError, MongoServerError } from 'mongodb';
import type { Document as BsonDocument, Collection, Db, Filter, IndexDescription, MongoClient } from 'mongodb';
import type { CollectionDef, CollectionRename, Condition, Document, PutCondition, ReadCollection, ReadStore, ReadStoreTransaction } from '../readStore';
import { DUPLICATE_KEY, IndexesFirst, MongoCollection, MongoTransaction, UNIQUE_PREFIX, mapWriteError, validName, validate } from './mongoTransaction';
import type { MongoDoc } from './query';
import { indexKey, toMongo, uniqueIndex } from './query';
import { copyDocuments, copyIndexes, waitUntilCopied } from './swapCopying';
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

const CHECKPOINTS = 'hookbase_checkpoints';
const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;
const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;
/** A command the server does not implement (e.g. jongodb's missing `drop`, `renameCollection`, `listCollections`). */
const COMMAND_NOT_FOUND = 59;
/** How many times a transaction body is abandoned to create indexes before giving up (each makes progress). */
const MAX_INDEX_ROUNDS = 20;

/** WriteConflict: a real MongoDB labels it TransientTransactionError (the driver's withTransaction retries). */
const WRITE_CONFLICT = 112;
/** As long as the driver's withTransaction goes on retrying a transient error. */
const WRITE_CONFLICT_RETRY_MS = 120_000;

/**
 * A WriteConflict the driver does not retry because it carries no TransientTransactionError label: jongodb answers
 * a commit so when another transaction inserted the same new document first (measured: jongodb.measure.test.ts).
 */
const isUnlabelledWriteConflict = (error: unknown): boolean =>
  error instanceof MongoServerError && error.code === WRITE_CONFLICT && !error.hasErrorLabel('TransientTransactionError');

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const isCommandNotFound = (error: unknown): boolean => error instanceof MongoServerError && error.code === COMMAND_NOT_FOUND;

type CheckpointDoc = { _id: string; position: string };

const collectionName = (name: string): string => `rm_${name}`;

/** A bulk load (indexesDeferred) has its unique indexes only: the declared ones come with the swap. */
const declaredIndexes = (def: CollectionDef): CollectionDef['indexes'] => (def.indexesDeferred ? [] : def.indexes);

const signatureOf = (def: CollectionDef): string => `${def.name}\n${JSON.stringify([declaredIndexes(def), def.unique ?? []])}`;

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
    const retryUntil = Date.now() + WRITE_CONFLICT_RETRY_MS;
    for (let round = 0; ; round++) {
      try {
        return await this.runTransaction(work);
      } catch (error) {
        if (error instanceof IndexesFirst && round < MAX_INDEX_ROUNDS) {
          // No transaction of ours is open now: the build waits for nobody of ours.
          await this.ensure(error.def);
        } else if (isUnlabelledWriteConflict(error) && Date.now() < retryUntil) {
          // Run again, from what the other transaction committed (the body has no effect outside the store).
          await sleep(Math.random() * 10 * Math.min(round + 1, 10));
        } else {
          throw error;
        }
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
    if (!validName(name)) throw new TypeError(`Invalid collection name: ${name}`);
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
  async replaceCollections(renames: readonly CollectionRename[], finish: (tx: ReadStoreTransaction) => Promise<void>): Promise<void> {
    this.assertOpen();
    for (const { from, to } of renames) {
      if (!validName(from) || !validName(to)) throw new TypeError(`Invalid collection name: ${from} or ${to}`);
    }
    const copies: { from: string; to: string }[] = [];
    for (const { from, to, def } of renames) {
      this.forget(from);
      this.forget(to);
      // findOne rather than listCollections: the same answer on every server (jongodb has no listCollections).
      if ((await this.raw(from).findOne({}, { projection: { _id: 1 } })) === null) {
        await this.dropCollection(to);
        continue;
      }
      // The indexes a bulk load was written without (indexesDeferred), built on the filled collection before it
      // is renamed (MongoDB's advice for loads: index after inserting); a rename keeps them.
      if (def) {
        await this.ensure({ ...def, name: from, indexesDeferred: false });
        this.forget(from);
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
    for (const { from, to } of copies) await waitUntilCopied(this.raw(from), this.raw(to));
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
        ...declaredIndexes(def).map((index) => ({ key: indexKey(index) })).filter(({ key }) => Object.keys(key).length > 1),
        ...(def.unique ?? []).map((field) => ({ ...uniqueIndex(field), unique: true, name: `${UNIQUE_PREFIX}${field}` })),
      ];
      const created = indexes.length === 0 ? Promise.resolve() : this.createIndexes(def.name, indexes);
      ready = created.then(() => void this.ready.add(signature));
      ready.catch(() => this.ensured.delete(signature));
      this.ensured.set(signature, ready);
    }
    return ready;
  }

  /**
   * Creates `indexes` on collection `name`. A unique index of ours that exists under its name with other options
   * (a partial filter of an earlier release: IndexOptionsConflict 85, or another key: IndexKeySpecsConflict 86 —
   * mongo `src/mongo/db/catalog/index_catalog_impl.cpp`) is dropped and created again as declared; uniqueness is
   * meanwhile kept by the event store (a uid is claimed by its own stream), the index being a second line.
   */
  private async createIndexes(name: string, indexes: readonly IndexDescription[]): Promise<void> {
    const collection = this.raw(name);
    try {
      await collection.createIndexes([...indexes]);
    } catch (error) {
      if (!(error instanceof MongoServerError && (error.code === INDEX_OPTIONS_CONFLICT || error.code === INDEX_KEY_SPECS_CONFLICT))) throw error;
      for (const index of indexes) {
        if (!index.name?.startsWith(UNIQUE_PREFIX)) continue;
        await collection.dropIndex(index.name).catch((dropError: unknown) => {
          if (!(dropError instanceof MongoServerError && dropError.code === INDEX_NOT_FOUND)) throw dropError;
        });
      }
      await collection.createIndexes([...indexes]);
    }
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

