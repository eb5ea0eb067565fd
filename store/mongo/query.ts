import type { Filter, Sort } from 'mongodb';
import { InvalidCursorError, assertServed } from '../readStore';
import type { CollectionDef, FindOptions, IndexDef, Range, Scalar } from '../readStore';

/**
 * The MongoDB queries of the ReadStore port, built as plain objects (no driver call) so that each can be checked
 * on its own. Documents keep the port's `id` as `_id`; every declared index is (equal…, sort, _id).
 * Ordering matches the embedded store: null and missing first (MongoDB's own order), ties by id in the same
 * direction. A page after a cursor is one or two queries, read in turn: the non-null values after the cursor
 * use a range on the sort key (MongoDB compares only within a type, so a range never reaches the nulls), and
 * the nulls, which all tie, are ordered by id alone. A key holds one type of non-null value (strings or numbers).
 */

export type MongoDoc = { _id: string } & Record<string, unknown>;

export type Cursor = Readonly<{ k: string; d: 'a' | 'd'; v: string | number | null; id: string }>;

/** One query of a page: read in order until the page is full. */
export type Segment = Readonly<{ filter: Filter<MongoDoc>; sort: Sort }>;

export type FindPlan = Readonly<{ segments: readonly Segment[]; limit: number; key: string; direction: 'asc' | 'desc' }>;

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

const field = (key: string): string => (key === 'id' ? '_id' : key);

/** Equality on the index's keys: null matches null or missing, as `{k: null}` does in MongoDB. */
export const whereFilter = (where: FindOptions['where']): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(where ?? {})) {
    if (value === undefined) continue;
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`Not a finite number: ${value}`);
    out[field(key)] = value;
  }
  return out;
};

const rangeFilter = (range: Range): Record<string, Scalar> => {
  const ops: Record<string, Scalar> = {};
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    const value = range[op];
    if (value === undefined) continue;
    if (value === null) throw new TypeError(`Range bound ${op} must not be null`);
    ops[`$${op}`] = value;
  }
  return ops;
};

export const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');

export const decodeCursor = (collection: string, text: string, key: string, direction: 'asc' | 'desc'): Cursor => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(collection);
  }
  const c = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Partial<Cursor>;
  const value = c.v === null || typeof c.v === 'string' || typeof c.v === 'number';
  if (c.k === key && c.d === direction[0] && typeof c.id === 'string' && value) return c as Cursor;
  throw new InvalidCursorError(collection);
};

const and = (base: Record<string, unknown>, extra: Record<string, unknown>): Filter<MongoDoc> =>
  (Object.keys(base).length === 0 ? extra : Object.keys(extra).length === 0 ? base : { $and: [base, extra] }) as Filter<MongoDoc>;

/** The queries after `cursor` (or from the start), in page order. */
export const segments = (base: Record<string, unknown>, key: string, direction: 'asc' | 'desc', cursor: Cursor | undefined, hasRange = false): Segment[] => {
  const dir = direction === 'asc' ? 1 : -1;
  const after = direction === 'asc' ? '$gt' : '$lt';
  const byId: Sort = { _id: dir };
  if (key === 'id') return [{ filter: and(base, cursor ? { _id: { [after]: cursor.id } } : {}), sort: byId }];
  const byKey: Sort = { [key]: dir, _id: dir };
  if (!cursor) {
    // The nulls (null or missing, which all tie) by id, and the values, apart: one sort over both would rely on
    // the server ordering a missing field as null, which jongodb does not (it puts missing first).
    if (hasRange) return [{ filter: and(base, {}), sort: byKey }];
    const allNulls: Segment = { filter: and(base, { [key]: null }), sort: byId };
    const values: Segment = { filter: and(base, { [key]: { $ne: null } }), sort: byKey };
    return direction === 'asc' ? [allNulls, values] : [values, allNulls];
  }
  const nulls: Segment = { filter: and(base, { [key]: null, _id: { [after]: cursor.id } }), sort: byId };
  if (cursor.v === null) {
    // Ascending, the non-null values all come after the nulls; descending, nothing does.
    return direction === 'desc' ? [nulls] : [nulls, { filter: and(base, { [key]: { $ne: null } }), sort: byKey }];
  }
  const orEqual = direction === 'asc' ? '$gte' : '$lte';
  const rest = and(base, { [key]: { [orEqual]: cursor.v }, $or: [{ [key]: { [after]: cursor.v } }, { _id: { [after]: cursor.id } }] });
  const next: Segment = { filter: rest, sort: byKey };
  return direction === 'asc' ? [next] : [next, { filter: and(base, { [key]: null }), sort: byId }];
};

/**
 * The plan of a find: refuses a query no declared index serves (UnindexedQueryError, the port's shared rule),
 * validates the cursor against the order, clamps the limit.
 */
export const planFind = (def: CollectionDef, options: FindOptions = {}): FindPlan => {
  assertServed(def, options);
  const key = options.orderBy?.key ?? 'id';
  const direction = options.orderBy?.direction ?? 'asc';
  if (direction !== 'asc' && direction !== 'desc') throw new TypeError(`Invalid direction: ${String(direction)}`);
  const cursor = options.cursor === undefined ? undefined : decodeCursor(def.name, options.cursor, key, direction);
  const base = whereFilter(options.where);
  if (options.range) {
    const k = field(options.range.key);
    base[k] = { ...(typeof base[k] === 'object' && base[k] !== null ? base[k] : {}), ...rangeFilter(options.range) };
  }
  const requested = options.limit ?? DEFAULT_LIMIT;
  const limit = Number.isFinite(requested) ? Math.min(MAX_LIMIT, Math.max(1, Math.floor(requested))) : DEFAULT_LIMIT;
  return { segments: segments(base, key, direction, cursor, options.range !== undefined), limit, key, direction };
};

/** The cursor after the last item of a full page. */
export const cursorAfter = (plan: FindPlan, last: MongoDoc): string => {
  const raw = plan.key === 'id' ? null : last[plan.key];
  const v = typeof raw === 'string' || typeof raw === 'number' ? raw : null;
  return encodeCursor({ k: plan.key, d: plan.direction === 'asc' ? 'a' : 'd', v, id: last._id });
};

/** The MongoDB key of a declared index: (equal…, sort, _id). */
export const indexKey = (index: IndexDef): Record<string, 1> => {
  const key: Record<string, 1> = {};
  for (const k of index.equal) key[field(k)] = 1;
  const sort = index.sort ?? 'id';
  if (sort !== 'id') key[sort] = 1;
  key._id = 1;
  return key;
};

/**
 * A unique field's index ignores null and missing values (a plain unique index allows one null): partial, on the
 * field being a string, a number or a boolean. Written as `$or` of single `$type`s (MongoDB 7.0 and later accept
 * `$or` in a partial filter), not `$type: [...]`: jongodb, the test suite's wire server, drops the connection on
 * the array form.
 */
export const uniqueIndex = (fieldName: string): Readonly<{ key: Record<string, 1>; partialFilterExpression: Record<string, unknown> }> => ({
  key: { [fieldName]: 1 },
  partialFilterExpression: { $or: ['string', 'number', 'bool'].map((type) => ({ [fieldName]: { $type: type } })) },
});

/**
 * A value as JSON keeps it, which is what the embedded store answers: an undefined field is left out, an undefined
 * array element becomes null. (The driver would store an undefined field as null: its `ignoreUndefined` is off.)
 */
const asJsonKeeps = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : asJsonKeeps(item)));
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = asJsonKeeps(item);
  return out;
};

export const toMongo = (doc: Readonly<{ id: string }> & Readonly<Record<string, unknown>>): MongoDoc => {
  const { id, ...rest } = doc;
  return { ...(asJsonKeeps(rest) as Record<string, unknown>), _id: id };
};

export const fromMongo = <T>(doc: MongoDoc): T => {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest } as T;
};
