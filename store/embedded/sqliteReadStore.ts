import Database from 'better-sqlite3';
import { InvalidCursorError, UniqueConstraintError, UnindexedQueryError } from '../readStore';
import type { CollectionDef, Document, FindOptions, Page, ReadCollection, ReadStore } from '../readStore';
import type { ReadStoreTransaction, Scalar, WriteCollection } from '../readStore';
import type { WalCheckpoint, WalCheckpointMode } from './walCheckpoint';
import { checkpointWal } from './walCheckpoint';
import type { WriteLocking } from './writeLock';
import { noWriteLock } from './writeLock';

/**
 * The embedded ReadStore: one SQLite file in WAL mode, one table `rm_<name>` (id, doc JSON) per collection with
 * an expression index per declared key. A file gets two connections: the writer, used only by transaction()
 * (serialised by an in-process mutex) and by drops, and the reader, used by reads outside transactions, so that
 * those see committed data only. ':memory:' uses a single connection (reads then see a running transaction).
 */

type SqlValue = string | number | null;
type Row = { id: string; doc: string; s?: SqlValue };
type Cursor = { k: string; d: 'a' | 'd'; v: SqlValue; id: string };

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;
const COLLECTION_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;
/** Statement-cache scope of statements that do not belong to a collection. */
const GLOBAL = '';

const SQL_GET_CHECKPOINT = 'SELECT position FROM checkpoints WHERE projection = ?';
const SQL_SET_CHECKPOINT =
  'INSERT INTO checkpoints (projection, position) VALUES (?, ?) ' +
  'ON CONFLICT (projection) DO UPDATE SET position = excluded.position';
const SQL_TABLE_EXISTS = "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?";

const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;
const tableName = (collection: string): string => `rm_${collection}`;
const uniqueIndexName = (collection: string, field: string): string => `rm_${collection}__u__${field}`;
const indexName = (collection: string, field: string): string => `rm_${collection}__i__${field}`;
/** The one spelling of a key's expression: queries must repeat the indexed expression exactly. */
const expr = (key: string): string => (key === 'id' ? 'id' : `json_extract(doc, '$.${key}')`);

function validateDef(def: CollectionDef): void {
  if (!COLLECTION_NAME.test(def.name)) throw new TypeError(`Invalid collection name: ${def.name}`);
  for (const field of [...def.indexes, ...(def.unique ?? [])]) {
    if (!FIELD_NAME.test(field)) throw new TypeError(`Invalid field name in ${def.name}: ${field}`);
  }
}

function toSql(value: Scalar): SqlValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`Not a finite number: ${value}`);
  return value;
}

/** Prepared statements of one connection, cached per collection and SQL text (one text per query shape). */
class Connection {
  private readonly statements = new Map<string, Map<string, Database.Statement<SqlValue[]>>>();

  constructor(readonly db: Database.Database) {}

  statement(scope: string, sql: string): Database.Statement<SqlValue[]> {
    let byShape = this.statements.get(scope);
    if (!byShape) this.statements.set(scope, (byShape = new Map()));
    let statement = byShape.get(sql);
    if (!statement) byShape.set(sql, (statement = this.db.prepare<SqlValue[]>(sql)));
    return statement;
  }

  forget(scope: string): void {
    this.statements.delete(scope);
  }
}

class Mutex {
  private tail: Promise<void> = Promise.resolve();

  lock(): Promise<() => void> {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => held);
    return previous.then(() => release);
  }
}

function mapConstraintError(def: CollectionDef, error: unknown): unknown {
  if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
    const prefix = uniqueIndexName(def.name, '');
    const index = /index '([^']+)'/.exec(error.message)?.[1];
    if (index?.startsWith(prefix)) return new UniqueConstraintError(def.name, index.slice(prefix.length));
  }
  return error;
}

type Segment = { condition?: string; params: SqlValue[]; order: string };

/**
 * The rows after a cursor in (key, id) order, as one or two index ranges read in turn. NULL (or missing) sorts
 * first, as in MongoDB; the NULL rows get a query of their own because an OR across them and the other rows
 * would make SQLite scan the whole index instead of seeking to the cursor.
 */
function segments(key: string, dir: 'asc' | 'desc', cursor: Cursor | undefined): Segment[] {
  const op = dir === 'asc' ? '>' : '<';
  const byId = `id ${dir}`;
  if (key === 'id') {
    return [cursor ? { condition: `id ${op} ?`, params: [cursor.id], order: byId } : { params: [], order: byId }];
  }
  const e = expr(key);
  const byKey = `${e} ${dir}, ${byId}`;
  if (!cursor) return [{ params: [], order: byKey }];
  const nulls: Segment = { condition: `${e} IS NULL AND id ${op} ?`, params: [cursor.id], order: byId };
  if (cursor.v === null) {
    return op === '<' ? [nulls] : [nulls, { condition: `${e} IS NOT NULL`, params: [], order: byKey }];
  }
  const condition = `${e} ${op}= ? AND (${e} ${op} ? OR id ${op} ?)`;
  const after: Segment = { condition, params: [cursor.v, cursor.v, cursor.id], order: byKey };
  return op === '>' ? [after] : [after, { condition: `${e} IS NULL`, params: [], order: byId }];
}

class SqlCollection<T extends Document> implements ReadCollection<T> {
  protected readonly table: string;
  /** Built once: the statement cache is keyed by the text, and a string reused keeps its hash. */
  private readonly getSql: string;

  /** `ready` throws when the store or transaction is closed, and tells whether the table exists. */
  constructor(
    protected readonly conn: Connection,
    protected readonly def: CollectionDef,
    protected readonly ready: () => boolean,
  ) {
    this.table = quote(tableName(def.name));
    this.getSql = `SELECT doc FROM ${this.table} WHERE id = ?`;
  }

  async get(id: string): Promise<T | null> {
    if (!this.ready()) return null;
    const row = this.run(this.getSql).get(id) as Pick<Row, 'doc'> | undefined;
    return row ? (JSON.parse(row.doc) as T) : null;
  }

  async count(where?: Readonly<Record<string, Scalar>>): Promise<number> {
    const conditions: string[] = [];
    const params: SqlValue[] = [];
    this.where(where, conditions, params);
    if (!this.ready()) return 0;
    const sql = `SELECT count(*) AS n FROM ${this.table}${whereSql(conditions)}`;
    return (this.run(sql).get(...params) as { n: number }).n;
  }

  async find(options: FindOptions = {}): Promise<Page<T>> {
    const conditions: string[] = [];
    const params: SqlValue[] = [];
    this.where(options.where, conditions, params);
    if (options.range) this.range(options.range, conditions, params);
    const key = options.orderBy?.key ?? 'id';
    const dir = options.orderBy?.direction ?? 'asc';
    if (dir !== 'asc' && dir !== 'desc') throw new TypeError(`Invalid direction: ${String(dir)}`);
    this.checkKey(key);
    const cursor = options.cursor === undefined ? undefined : this.decode(options.cursor, key, dir);
    const requested = options.limit ?? DEFAULT_LIMIT;
    const limit = Number.isFinite(requested) ? Math.min(MAX_LIMIT, Math.max(1, Math.floor(requested))) : DEFAULT_LIMIT;
    if (!this.ready()) return { items: [], nextCursor: null };

    const select = key === 'id' ? 'id, doc' : `id, doc, ${expr(key)} AS s`;
    const rows: Row[] = [];
    for (const segment of segments(key, dir, cursor)) {
      const where = whereSql(segment.condition ? [...conditions, segment.condition] : conditions);
      const sql = `SELECT ${select} FROM ${this.table}${where} ORDER BY ${segment.order} LIMIT ?`;
      rows.push(...(this.run(sql).all(...params, ...segment.params, limit + 1 - rows.length) as Row[]));
      if (rows.length > limit) break;
    }
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    const items = rows.map((row) => JSON.parse(row.doc) as T);
    if (!more || !last) return { items, nextCursor: null };
    return { items, nextCursor: encode({ k: key, d: dir === 'asc' ? 'a' : 'd', v: last.s ?? null, id: last.id }) };
  }

  protected run(sql: string): Database.Statement<SqlValue[]> {
    return this.conn.statement(this.def.name, sql);
  }

  private checkKey(key: string): void {
    if (key !== 'id' && !this.def.indexes.includes(key)) throw new UnindexedQueryError(this.def.name, key);
  }

  private where(where: FindOptions['where'], conditions: string[], params: SqlValue[]): void {
    for (const [key, value] of Object.entries(where ?? {})) {
      if (value === undefined) continue;
      this.checkKey(key);
      const e = expr(key);
      if (value === null) conditions.push(`${e} IS NULL`);
      // json_extract gives 1/0 for true/false: the json_type test keeps the numbers 1 and 0 out.
      else if (typeof value === 'boolean') {
        conditions.push(`${e} = ${value ? 1 : 0} AND json_type(doc, '$.${key}') = '${value}'`);
      } else {
        conditions.push(`${e} = ?`);
        params.push(toSql(value));
      }
    }
  }

  private range(range: NonNullable<FindOptions['range']>, conditions: string[], params: SqlValue[]): void {
    this.checkKey(range.key);
    const e = expr(range.key);
    const { gt, gte, lt, lte } = range;
    const bounds = [['gt', '>', gt], ['gte', '>=', gte], ['lt', '<', lt], ['lte', '<=', lte]] as const;
    let lower: Scalar | undefined;
    let upper: Scalar | undefined;
    for (const [name, op, value] of bounds) {
      if (value === undefined) continue;
      if (value === null) throw new TypeError(`Range bound ${name} must not be null`);
      conditions.push(`${e} ${op} ?`);
      params.push(toSql(value));
      if (op[0] === '>') lower = value;
      else upper = value;
    }
    // Bracket by type as MongoDB does (SQLite orders NULL < numbers < text): a numeric lower bound alone
    // must not match strings, a string upper bound alone must not match numbers. Both stay index ranges.
    if (lower !== undefined && typeof lower !== 'string' && upper === undefined) conditions.push(`${e} < ''`);
    if (upper !== undefined && typeof upper === 'string' && lower === undefined) conditions.push(`${e} >= ''`);
  }

  private decode(text: string, key: string, dir: 'asc' | 'desc'): Cursor {
    let cursor: unknown;
    try {
      cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidCursorError(this.def.name);
    }
    const c = (typeof cursor === 'object' && cursor !== null ? cursor : {}) as Partial<Cursor>;
    const value = c.v === null || typeof c.v === 'string' || typeof c.v === 'number';
    if (c.k === key && c.d === dir[0] && typeof c.id === 'string' && value) return c as Cursor;
    throw new InvalidCursorError(this.def.name);
  }
}

class SqlWriteCollection<T extends Document> extends SqlCollection<T> implements WriteCollection<T> {
  // An upsert on id, not INSERT OR REPLACE: REPLACE would also delete the rows a unique index conflicts with.
  private readonly putSql = `INSERT INTO ${this.table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`;
  private readonly deleteSql = `DELETE FROM ${this.table} WHERE id = ?`;

  async put(doc: T): Promise<void> {
    this.ready();
    if (typeof doc.id !== 'string' || doc.id === '') throw new TypeError('A document needs a non-empty string id');
    try {
      this.run(this.putSql).run(doc.id, JSON.stringify(doc));
    } catch (error) {
      throw mapConstraintError(this.def, error);
    }
  }

  async delete(id: string): Promise<void> {
    this.ready();
    this.run(this.deleteSql).run(id);
  }
}

const whereSql = (conditions: string[]): string => (conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '');
const encode = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');

export class SqliteReadStore implements ReadStore {
  private readonly mutex = new Mutex();
  /** Committed tables: collection name → the index signatures ('i:key', 'u:key') created for it. */
  private readonly ensured = new Map<string, Set<string>>();
  /** Tables the reader has seen in sqlite_master (created by a commit or by another process). */
  private readonly readerTables = new Set<string>();
  private readonly readers = new WeakMap<CollectionDef, SqlCollection<Document>>();
  private closed = false;

  private constructor(
    private readonly writer: Connection,
    private readonly reader: Connection,
    private readonly writeLock: WriteLocking,
  ) {}

  /**
   * `writeLock`: shared with the other threads of this process that write the same file (see writeLock.ts).
   * `autoCheckpoint: false`: commits never checkpoint the WAL; another thread calls `checkpointWal()` regularly.
   */
  static open(path: string, options: Readonly<{ writeLock?: WriteLocking; autoCheckpoint?: boolean }> = {}): SqliteReadStore {
    const writeLock = options.writeLock ?? noWriteLock;
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      if (options.autoCheckpoint === false) db.pragma('wal_autocheckpoint = 0');
      db.exec('CREATE TABLE IF NOT EXISTS checkpoints (projection TEXT PRIMARY KEY, position TEXT NOT NULL)');
    } catch (error) {
      db.close();
      throw error;
    }
    const writer = new Connection(db);
    if (path === ':memory:' || path === '') return new SqliteReadStore(writer, writer, writeLock);
    const readerDb = new Database(path, { fileMustExist: true });
    readerDb.pragma('busy_timeout = 5000');
    readerDb.pragma('query_only = ON');
    return new SqliteReadStore(writer, new Connection(readerDb), writeLock);
  }

  collection<T extends Document>(def: CollectionDef): ReadCollection<T> {
    // Callers ask for the same definitions on every request: one collection object each.
    let collection = this.readers.get(def);
    if (!collection) {
      validateDef(def);
      collection = new SqlCollection<Document>(this.reader, def, () => {
        this.assertOpen();
        return this.readerHasTable(def.name);
      });
      this.readers.set(def, collection);
    }
    return collection as unknown as ReadCollection<T>;
  }

  transaction<R>(work: (tx: ReadStoreTransaction) => Promise<R>): Promise<R> {
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
            collection = new SqlWriteCollection<Document>(this.writer, def, ready);
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

  /** Creates the table and any missing index inside the running transaction; `created` commits with it. */
  private ensureTable(def: CollectionDef, created: Map<string, Set<string>>): void {
    const indexes = [...def.indexes.map((key) => `i:${key}`), ...(def.unique ?? []).map((key) => `u:${key}`)].filter(
      (index) => index.slice(2) !== 'id',
    );
    const have = created.get(def.name) ?? this.ensured.get(def.name);
    if (have && indexes.every((index) => have.has(index))) return;
    const table = quote(tableName(def.name));
    const db = this.writer.db;
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`);
    for (const index of indexes) {
      if (have?.has(index)) continue;
      const key = index.slice(2);
      try {
        // (key, id) serves `ORDER BY key, id` and the seek to a cursor from the index alone.
        const [unique, name, columns] = index.startsWith('u:')
          ? ['UNIQUE ', uniqueIndexName(def.name, key), expr(key)]
          : ['', indexName(def.name, key), `${expr(key)}, id`];
        db.exec(`CREATE ${unique}INDEX IF NOT EXISTS ${quote(name)} ON ${table} (${columns})`);
      } catch (error) {
        throw mapConstraintError(def, error);
      }
    }
    created.set(def.name, new Set([...(have ?? []), ...indexes]));
  }

  /** Forgets what is cached about a collection: created tables, and statements prepared against them. */
  private forget(name: string): void {
    this.ensured.delete(name);
    this.readerTables.delete(name);
    this.writer.forget(name);
    this.reader.forget(name);
  }
}
