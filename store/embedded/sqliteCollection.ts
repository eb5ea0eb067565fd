import Database from 'better-sqlite3';
import { assertCountServed, assertServed, InvalidCursorError, UniqueConstraintError } from '../readStore';
import type { CollectionDef, Document, FindOptions, IndexDef, Page, ReadCollection } from '../readStore';
import type { Scalar, WriteCollection } from '../readStore';

/**
 * The collections of the embedded ReadStore (sqliteReadStore.ts): one table `rm_<name>` (id, doc JSON) each, the
 * SQL of finds and counts, cursors, and the names and expressions of their indexes.
 */

export type SqlValue = string | number | null;
type Row = { id: string; doc: string; s?: SqlValue };
type Cursor = { k: string; d: 'a' | 'd'; v: SqlValue; id: string };

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;
export const COLLECTION_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;
/** Statement-cache scope of statements that do not belong to a collection. */
export const GLOBAL = '';

export const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;
export const tableName = (collection: string): string => `rm_${collection}`;
export const uniqueIndexName = (collection: string, field: string): string => `rm_${collection}__u__${field}`;
export const indexPrefix = (collection: string): string => `rm_${collection}__i__`;
/** The name says the shape, so a changed declaration gets a new index and the old one is dropped. */
export const indexName = (collection: string, index: IndexDef): string =>
  `${indexPrefix(collection)}${index.equal.join('.')}${index.sort && index.sort !== 'id' ? `__${index.sort}` : ''}`;
/** The one spelling of a key's expression: queries must repeat the indexed expression exactly. */
export const expr = (key: string): string => (key === 'id' ? 'id' : `json_extract(doc, '$.${key}')`);

export function validateDef(def: CollectionDef): void {
  if (!COLLECTION_NAME.test(def.name)) throw new TypeError(`Invalid collection name: ${def.name}`);
  const fields = [...def.indexes.flatMap((index) => [...index.equal, ...(index.sort ? [index.sort] : [])]), ...(def.unique ?? [])];
  for (const field of fields) {
    if (!FIELD_NAME.test(field)) throw new TypeError(`Invalid field name in ${def.name}: ${field}`);
  }
  for (const index of def.indexes) {
    if (index.sort !== undefined && index.equal.includes(index.sort)) throw new TypeError(`Index of ${def.name} sorts on an equality key: ${index.sort}`);
    if (index.equal.length === 0 && (index.sort ?? 'id') === 'id') throw new TypeError(`Empty index in ${def.name}: the id is indexed already`);
  }
}

function toSql(value: Scalar): SqlValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`Not a finite number: ${value}`);
  return value;
}

/** Prepared statements of one connection, cached per collection and SQL text (one text per query shape). */
export class Connection {
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

export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  lock(): Promise<() => void> {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => held);
    return previous.then(() => release);
  }
}

export function mapConstraintError(def: CollectionDef, error: unknown): unknown {
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

export class SqlCollection<T extends Document> implements ReadCollection<T> {
  protected readonly table: string;
  /** Built once: the statement cache is keyed by the text, and a string reused keeps its hash. */
  private readonly getSql: string;

  /**
   * `ready` throws when the store or transaction is closed, and tells whether the table exists. `beforeQuery` is
   * told the declared index serving each find or count before it runs (a bulk load builds it then). `tableGone`
   * (a reader's): the table `ready` had seen was dropped by another connection since; forget it, and the read
   * answers as `ready` then says (empty, or the table made anew).
   */
  constructor(
    protected readonly conn: Connection,
    protected readonly def: CollectionDef,
    protected readonly ready: () => boolean,
    private readonly beforeQuery?: (index: IndexDef) => void,
    private readonly tableGone?: () => void,
  ) {
    this.table = quote(tableName(def.name));
    this.getSql = `SELECT json(doc) AS doc FROM ${this.table} WHERE id = ?`;
  }

  async get(id: string): Promise<T | null> {
    return this.reading(null, () => {
      const row = this.run(this.getSql).get(id) as Pick<Row, 'doc'> | undefined;
      return row ? (JSON.parse(row.doc) as T) : null;
    });
  }

  async count(where?: Readonly<Record<string, Scalar>>): Promise<number> {
    const index = assertCountServed(this.def, where);
    const conditions: string[] = [];
    const params: SqlValue[] = [];
    this.where(where, conditions, params);
    const sql = `SELECT count(*) AS n FROM ${this.table}${whereSql(conditions)}`;
    return this.reading(0, () => {
      this.beforeQuery?.(index);
      return (this.run(sql).get(...params) as { n: number }).n;
    });
  }

  async find(options: FindOptions = {}): Promise<Page<T>> {
    const query = this.compile(options);
    return this.reading({ items: [], nextCursor: null }, () => this.findPage(query));
  }

  private findPage(query: ReturnType<SqlCollection<T>['compile']>): Page<T> {
    this.beforeQuery?.(query.index);
    const { key, dir, limit } = query;
    const rows: Row[] = [];
    for (const { sql, params } of query.parts) {
      rows.push(...(this.run(sql).all(...params, limit + 1 - rows.length) as Row[]));
      if (rows.length > limit) break;
    }
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    const items = rows.map((row) => JSON.parse(row.doc) as T);
    if (!more || !last) return { items, nextCursor: null };
    return { items, nextCursor: encode({ k: key, d: dir === 'asc' ? 'a' : 'd', v: last.s ?? null, id: last.id }) };
  }

  /** SQLite's plan of each statement `find(options)` may run (for tests and the bench). */
  explain(options: FindOptions = {}): string[][] {
    const query = this.compile(options);
    if (!this.ready()) return [];
    return query.parts.map(({ sql, params }) =>
      (this.conn.db.prepare<SqlValue[]>(`EXPLAIN QUERY PLAN ${sql}`).all(...params, query.limit + 1) as { detail: string }[]).map((r) => r.detail),
    );
  }

  /** The statements of a find, in the order they are read: one or two index ranges (see segments). */
  private compile(options: FindOptions): { index: IndexDef; key: string; dir: 'asc' | 'desc'; limit: number; parts: { sql: string; params: SqlValue[] }[] } {
    const index = assertServed(this.def, options);
    const conditions: string[] = [];
    const params: SqlValue[] = [];
    this.where(options.where, conditions, params);
    if (options.range) this.range(options.range, conditions, params);
    const key = options.orderBy?.key ?? 'id';
    const dir = options.orderBy?.direction ?? 'asc';
    if (dir !== 'asc' && dir !== 'desc') throw new TypeError(`Invalid direction: ${String(dir)}`);
    const cursor = options.cursor === undefined ? undefined : this.decode(options.cursor, key, dir);
    const requested = options.limit ?? DEFAULT_LIMIT;
    const limit = Number.isFinite(requested) ? Math.min(MAX_LIMIT, Math.max(1, Math.floor(requested))) : DEFAULT_LIMIT;
    const select = key === 'id' ? 'id, json(doc) AS doc' : `id, json(doc) AS doc, ${expr(key)} AS s`;
    const parts = segments(key, dir, cursor).map((segment) => {
      const where = whereSql(segment.condition ? [...conditions, segment.condition] : conditions);
      return { sql: `SELECT ${select} FROM ${this.table}${where} ORDER BY ${segment.order} LIMIT ?`, params: [...params, ...segment.params] };
    });
    return { index, key, dir, limit, parts };
  }

  /** `read` when the table exists, else `empty`; once more after a drop by another connection (see `tableGone`). */
  private reading<R>(empty: R, read: () => R): R {
    if (!this.ready()) return empty;
    try {
      return read();
    } catch (error) {
      if (!this.tableGone || !(error instanceof Error) || !error.message.startsWith('no such table')) throw error;
      this.tableGone();
      return this.ready() ? read() : empty;
    }
  }

  protected run(sql: string): Database.Statement<SqlValue[]> {
    return this.conn.statement(this.def.name, sql);
  }

  private where(where: FindOptions['where'], conditions: string[], params: SqlValue[]): void {
    for (const [key, value] of Object.entries(where ?? {})) {
      if (value === undefined) continue;
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

export class SqlWriteCollection<T extends Document> extends SqlCollection<T> implements WriteCollection<T> {
  // An upsert on id, not INSERT OR REPLACE: REPLACE would also delete the rows a unique index conflicts with.
  private readonly putSql = `INSERT INTO ${this.table} (id, doc) VALUES (?, jsonb(?)) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`;
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

