import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { CollectionDef, CollectionRename, Document, FindOptions, IndexDef, ReadCollection, ReadStore, ReadStoreTransaction, WriteCollection } from '../readStore';
import type { WalCheckpoint, WalCheckpointMode } from './walCheckpoint';
import { checkpointWal } from './walCheckpoint';
import { openWalDatabase } from './walDatabase';
import type { WriteLocking } from './writeLock';
import { noWriteLock } from './writeLock';
import { COLLECTION_NAME, Connection, expr, GLOBAL, indexName, indexPrefix, mapConstraintError, Mutex, quote } from './sqliteCollection';
import { SqlCollection, SqlWriteCollection, tableName, uniqueIndexName, validateDef } from './sqliteCollection';

/**
 * The embedded ReadStore: one SQLite file in WAL mode, one table `rm_<name>` (id, doc JSON) per collection with
 * one compound expression index per declared IndexDef: (json_extract(equal)…, json_extract(sort), id); see
 * sqliteCollection.ts for the queries. Expression indexes rather than STORED generated columns: in a probe of 100,000
 * outbound documents with their six indexes, both wrote (46-73 µs per document) and read a page (135-221 µs) alike
 * within the machine's noise, and generated columns take 10% more space and a table rebuild when a key is added. A file gets two connections: the writer, used only by transaction()
 * (serialised by an in-process mutex) and by drops, and the reader, used by reads outside transactions, so that
 * those see committed data only. ':memory:' uses a single connection (reads then see a running transaction).
 */

const SQL_GET_CHECKPOINT = 'SELECT position FROM checkpoints WHERE projection = ?';
const SQL_SET_CHECKPOINT =
  'INSERT INTO checkpoints (projection, position) VALUES (?, ?) ' +
  'ON CONFLICT (projection) DO UPDATE SET position = excluded.position';
const SQL_TABLE_EXISTS = "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?";

export class SqliteReadStore implements ReadStore {
  private readonly mutex = new Mutex();
  /** Committed tables: collection name → the names of the indexes created for it. */
  private readonly ensured = new Map<string, Set<string>>();
  /** Tables the reader has seen in sqlite_master (created by a commit or by another process). */
  private readonly readerTables = new Set<string>();
  private readonly readers = new WeakMap<CollectionDef, SqlCollection<Document>>();
  private closed = false;

  private constructor(
    private readonly writer: Connection,
    private readonly reader: Connection,
    private readonly writeLock: WriteLocking,
    private readonly rehearseTransactions = false,
  ) {}

  /**
   * `writeLock`: shared with the other threads of this process that write the same file (see writeLock.ts).
   * `autoCheckpoint: false`: commits never checkpoint the WAL; another thread calls `checkpointWal()` regularly.
   * `rehearseTransactions` (tests): every transaction body runs twice, the first run rolled back.
   * `verbose`: called with every statement the writer runs (bench/footprint.ts counts them).
   */
  static open(
    path: string,
    options: Readonly<{ writeLock?: WriteLocking; autoCheckpoint?: boolean; rehearseTransactions?: boolean; verbose?: (sql: string) => void }> = {},
  ): SqliteReadStore {
    const writeLock = options.writeLock ?? noWriteLock;
    const db = openWalDatabase(path, { synchronous: 'NORMAL', autoCheckpoint: options.autoCheckpoint, verbose: options.verbose });
    try {
      db.exec('CREATE TABLE IF NOT EXISTS checkpoints (projection TEXT PRIMARY KEY, position TEXT NOT NULL)');
    } catch (error) {
      db.close();
      throw error;
    }
    const writer = new Connection(db);
    const rehearse = options.rehearseTransactions ?? false;
    if (path === ':memory:' || path === '') return new SqliteReadStore(writer, writer, writeLock, rehearse);
    const readerDb = new Database(path, { fileMustExist: true });
    readerDb.pragma('busy_timeout = 5000');
    readerDb.pragma('query_only = ON');
    return new SqliteReadStore(writer, new Connection(readerDb), writeLock, rehearse);
  }

  collection<T extends Document>(def: CollectionDef): ReadCollection<T> {
    // Callers ask for the same definitions on every request: one collection object each.
    let collection = this.readers.get(def);
    if (!collection) {
      validateDef(def);
      collection = new SqlCollection<Document>(
        this.reader,
        def,
        () => {
          this.assertOpen();
          return this.readerHasTable(def.name);
        },
        undefined,
        // Another process dropped it (a reset, a rebuild's leftovers): what this one knew of the table is forgotten,
        // so that its next write creates it again as well.
        () => this.forget(def.name),
      );
      this.readers.set(def, collection);
    }
    return collection as unknown as ReadCollection<T>;
  }

  async transaction<R>(work: (tx: ReadStoreTransaction) => Promise<R>): Promise<R> {
    // The port lets an adapter run a body more than once (MongoDB's withTransaction does): the test hook
    // runs it once in a transaction that is rolled back, then for real.
    if (this.rehearseTransactions) await this.runTransaction(work, false);
    return this.runTransaction(work, true);
  }

  private runTransaction<R>(work: (tx: ReadStoreTransaction) => Promise<R>, commit: boolean): Promise<R> {
    return this.exclusive(async () => {
      const db = this.writer.db;
      // Without blocking this thread while another one writes the file.
      const release = await this.writeLock.acquireAsync();
      try {
        db.exec('BEGIN IMMEDIATE');
      } catch (error) {
        release();
        throw error;
      }
      const created = new Map<string, Set<string>>();
      let active = true;
      const ready = (): boolean => {
        if (!active) throw new Error('The transaction is over');
        return true;
      };
      const writers = new Map<CollectionDef, SqlWriteCollection<Document>>();
      const tx: ReadStoreTransaction = {
        collection: <T extends Document>(def: CollectionDef): WriteCollection<T> => {
          ready();
          let collection = writers.get(def);
          if (!collection) {
            validateDef(def);
            this.ensureTable(def, created);
            // A bulk load's query builds the one index it needs (on the filled part: a sort) and keeps it.
            const beforeQuery = def.indexesDeferred ? (index: IndexDef) => this.ensureIndex(def, index, created) : undefined;
            collection = new SqlWriteCollection<Document>(this.writer, def, ready, beforeQuery);
            writers.set(def, collection);
          }
          return collection as unknown as WriteCollection<T>;
        },
        setCheckpoint: async (projection, position) => {
          ready();
          this.writer.statement(GLOBAL, SQL_SET_CHECKPOINT).run(projection, position);
        },
        getCheckpoint: async (projection) => (ready() ? this.checkpoint(this.writer, projection) : null),
      };
      try {
        const result = await work(tx);
        active = false;
        if (!commit) {
          db.exec('ROLLBACK');
          for (const name of created.keys()) this.forget(name);
          return result;
        }
        db.exec('COMMIT');
        for (const [name, indexes] of created) this.ensured.set(name, indexes);
        return result;
      } catch (error) {
        active = false;
        if (db.inTransaction) db.exec('ROLLBACK');
        for (const name of created.keys()) this.forget(name);
        throw error;
      } finally {
        release();
      }
    });
  }

  /** SQLite's plan of each statement a find on `def` runs on the reader (embedded only: tests, bench). */
  explainFind(def: CollectionDef, options: FindOptions = {}): string[][] {
    this.collection(def);
    return (this.readers.get(def) as SqlCollection<Document>).explain(options);
  }

  /** See walCheckpoint.ts. */
  checkpointWal(mode: WalCheckpointMode = 'passive'): WalCheckpoint {
    return checkpointWal(this.writer.db, this.writeLock, mode, this.closed);
  }

  async getCheckpoint(projection: string): Promise<string | null> {
    this.assertOpen();
    return this.checkpoint(this.reader, projection);
  }

  deleteCheckpoint(projection: string): Promise<void> {
    return this.exclusive(async () => {
      const statement = this.writer.statement(GLOBAL, 'DELETE FROM checkpoints WHERE projection = ?');
      this.writeLock.run(() => statement.run(projection));
    });
  }

  async dropCollection(name: string): Promise<void> {
    if (!COLLECTION_NAME.test(name)) throw new TypeError(`Invalid collection name: ${name}`);
    await this.exclusive(async () => {
      this.forget(name);
      this.writeLock.run(() => this.writer.db.exec(`DROP TABLE IF EXISTS ${quote(tableName(name))}`));
    });
  }

  async replaceCollections(renames: readonly CollectionRename[], finish: (tx: ReadStoreTransaction) => Promise<void>): Promise<void> {
    for (const { from, to } of renames) {
      if (!COLLECTION_NAME.test(from) || !COLLECTION_NAME.test(to)) throw new TypeError(`Invalid collection name: ${from} or ${to}`);
    }
    // One transaction: the renames, the indexes under their new names and `finish` commit together.
    await this.transaction(async (tx) => {
      const db = this.writer.db;
      for (const { from, to } of renames) {
        db.exec(`DROP TABLE IF EXISTS ${quote(tableName(to))}`);
        if (!this.writer.statement(GLOBAL, SQL_TABLE_EXISTS).get(tableName(from))) continue;
        db.exec(`ALTER TABLE ${quote(tableName(from))} RENAME TO ${quote(tableName(to))}`);
        // SQLite cannot rename an index: each is created again under the name the live collection's declaration
        // gives it (a cost proportional to the collection, paid inside the swap).
        const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").all(tableName(to)) as { name: string; sql: string }[];
        for (const index of indexes) {
          const prefix = index.name.startsWith(indexPrefix(from)) ? indexPrefix(from) : uniqueIndexName(from, '');
          if (!index.name.startsWith(prefix)) continue;
          const renamed = (prefix === indexPrefix(from) ? indexPrefix(to) : uniqueIndexName(to, '')) + index.name.slice(prefix.length);
          db.exec(`DROP INDEX ${quote(index.name)}`);
          db.exec(index.sql.replace(quote(index.name), quote(renamed)).replace(`INDEX ${index.name} `, `INDEX ${quote(renamed)} `));
          // Each index of a large collection takes a while: let this thread's timers (the lease's renewal) run.
          await yieldToEventLoop();
        }
      }
      for (const { from, to } of renames) {
        this.forget(from);
        this.forget(to);
      }
      // The indexes a bulk load left out (indexesDeferred), built on the filled tables: one sort each.
      for (const { to, def } of renames) {
        if (!def || !this.writer.statement(GLOBAL, SQL_TABLE_EXISTS).get(tableName(to))) continue;
        await this.buildIndexes({ ...def, name: to, indexesDeferred: false });
        this.forget(to);
      }
      await finish(tx);
    });
    for (const { from, to } of renames) {
      this.forget(from);
      this.forget(to);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const release = await this.mutex.lock();
    try {
      if (this.closed) return;
      this.closed = true;
      if (this.reader !== this.writer) this.reader.db.close();
      this.writer.db.close();
    } finally {
      release();
    }
  }

  /** Runs `action` alone on the writer: after the running transaction, before the next one. */
  private async exclusive<R>(action: () => Promise<R>): Promise<R> {
    this.assertOpen();
    const release = await this.mutex.lock();
    try {
      this.assertOpen();
      return await action();
    } finally {
      release();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The read store is closed');
  }

  private checkpoint(conn: Connection, projection: string): string | null {
    const row = conn.statement(GLOBAL, SQL_GET_CHECKPOINT).get(projection) as { position: string } | undefined;
    return row?.position ?? null;
  }

  private readerHasTable(name: string): boolean {
    if (this.ensured.has(name) || this.readerTables.has(name)) return true;
    if (!this.reader.statement(GLOBAL, SQL_TABLE_EXISTS).get(tableName(name))) return false;
    this.readerTables.add(name);
    return true;
  }

  /**
   * In the running transaction: `def`'s missing indexes, one at a time, letting this thread's timers (a lease's
   * renewal) run between two (each is a sort of the whole table).
   */
  private async buildIndexes(def: CollectionDef): Promise<void> {
    const table = quote(tableName(def.name));
    for (const index of def.indexes) {
      this.writer.db.exec(`CREATE INDEX IF NOT EXISTS ${quote(indexName(def.name, index))} ON ${table} (${indexColumns(index)})`);
      await yieldToEventLoop();
    }
  }

  /** A bulk load's query (indexesDeferred): the declared index serving it, created in the running transaction. */
  private ensureIndex(def: CollectionDef, index: IndexDef, created: Map<string, Set<string>>): void {
    // Unique fields and the id have their indexes already.
    if (!def.indexes.includes(index)) return;
    const name = indexName(def.name, index);
    const have = created.get(def.name) ?? this.ensured.get(def.name) ?? new Set<string>();
    if (have.has(name)) return;
    this.writer.db.exec(`CREATE INDEX IF NOT EXISTS ${quote(name)} ON ${quote(tableName(def.name))} (${indexColumns(index)})`);
    created.set(def.name, new Set([...have, name]));
  }

  /**
   * Creates the table and any missing index inside the running transaction, and drops the indexes of this
   * collection that are no longer declared (each costs every write); `created` commits with it. A bulk load
   * (`indexesDeferred`) gets its table and unique indexes only, and drops nothing.
   */
  private ensureTable(def: CollectionDef, created: Map<string, Set<string>>): void {
    const wanted = new Map<string, string>();
    const deferred = def.indexesDeferred === true;
    for (const index of deferred ? [] : def.indexes) wanted.set(indexName(def.name, index), indexColumns(index));
    for (const key of def.unique ?? []) if (key !== 'id') wanted.set(uniqueIndexName(def.name, key), '');
    const have = created.get(def.name) ?? this.ensured.get(def.name);
    if (have && [...wanted.keys()].every((name) => have.has(name))) return;
    const table = quote(tableName(def.name));
    const db = this.writer.db;
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID`);
    // Stale indexes go the first time this process writes the collection only: two definitions of one collection
    // in one process then add up instead of dropping each other's indexes at every transaction.
    const existing = have || deferred ? [] : (db.prepare('SELECT name FROM sqlite_master WHERE type = ? AND tbl_name = ?').all('index', tableName(def.name)) as { name: string }[]);
    for (const { name } of existing) {
      if (name.startsWith(indexPrefix(def.name)) && !wanted.has(name)) db.exec(`DROP INDEX ${quote(name)}`);
    }
    for (const [name, columns] of wanted) {
      if (have?.has(name)) continue;
      try {
        if (columns) db.exec(`CREATE INDEX IF NOT EXISTS ${quote(name)} ON ${table} (${columns})`);
        else {
          // Partial: null or missing values are not indexed, so any number of documents may have them.
          const e = expr(name.slice(uniqueIndexName(def.name, '').length));
          db.exec(`CREATE UNIQUE INDEX IF NOT EXISTS ${quote(name)} ON ${table} (${e}) WHERE ${e} IS NOT NULL`);
        }
      } catch (error) {
        throw mapConstraintError(def, error);
      }
    }
    created.set(def.name, new Set([...(have ?? []), ...wanted.keys()]));
  }

  /** Forgets what is cached about a collection: created tables, and statements prepared against them. */
  private forget(name: string): void {
    this.ensured.delete(name);
    this.readerTables.delete(name);
    this.writer.forget(name);
    this.reader.forget(name);
  }
}

/** (equal…, sort, id) serves `WHERE equal… ORDER BY sort, id` and the seek to a cursor from the index alone. */
const indexColumns = (index: IndexDef): string => {
  const sort = index.sort && index.sort !== 'id' ? [expr(index.sort)] : [];
  return [...index.equal.map(expr), ...sort, 'id'].join(', ');
};
