/**
 * The ReadStore port: documents by id in named collections, shaped so that the embedded (SQLite) adapter and
 * a MongoDB adapter are interchangeable. Queries are deliberately narrow, and each one must be served by one
 * declared compound index (see IndexDef): equality on the index's keys, then one range and one order on its
 * sort key, cursor pages. A query that no declared index serves throws UnindexedQueryError, so a slow query
 * fails in the first test that makes it rather than in production at a million documents.
 */

export type Scalar = string | number | boolean | null;

export type Document = Readonly<{ id: string }> & Readonly<Record<string, unknown>>;

/**
 * One compound index, for one query shape: equality on every key of `equal` (in any order in the query), then
 * a range and/or order on `sort`, ties broken by id. An adapter builds it as (equal…, sort, id) — e.g. MongoDB
 * `{a: 1, b: 1, createdAt: 1, _id: 1}`. `sort` defaults to 'id' (the index is then (equal…, id)).
 */
export type IndexDef = Readonly<{ equal: readonly string[]; sort?: string }>;

export type CollectionDef = Readonly<{
  name: string;
  /** The query shapes this collection serves; every find/count must match one (see servingIndex). */
  indexes: readonly IndexDef[];
  /**
   * Top-level fields whose non-null values must be unique across the collection (a put that breaks it throws
   * UniqueConstraintError). Null or missing values are not indexed, so any number of documents may have them
   * (MongoDB: a unique index with a `partialFilterExpression` on the field's type). A unique field may also be
   * queried by equality alone without an IndexDef.
   */
  unique?: readonly string[];
  /**
   * A bulk load into a new, empty collection (a rebuild's shadow, projections/shadow.ts): the collection is created
   * with its unique indexes only, and written without its declared indexes, which are built once when it is
   * swapped in (`replaceCollections` with a `def`) or by the first write under its name without this flag —
   * one sort of the filled collection instead of every index maintained at every write (SQLite's advice for bulk
   * loads; MongoDB's too). Finds and counts on it still answer the same: inside a transaction the embedded adapter
   * builds the one index a query needs first; MongoDB scans.
   */
  indexesDeferred?: boolean;
}>;

export type Range = Readonly<{ key: string; gt?: Scalar; gte?: Scalar; lt?: Scalar; lte?: Scalar }>;

export type FindOptions = Readonly<{
  /** Equality on an index's `equal` keys; a value of null matches missing or null. */
  where?: Readonly<Record<string, Scalar>>;
  /** On the order key (orderBy.key, or 'id' without orderBy): a range is read in its index order. */
  range?: Range;
  /** Default: by id ascending. Ties are broken by id in the same direction. */
  orderBy?: Readonly<{ key: string; direction: 'asc' | 'desc' }>;
  /** 1..1000, default 50. */
  limit?: number;
  /** From a previous page's nextCursor, with the same where/range/orderBy. */
  cursor?: string;
}>;

export type Page<T> = Readonly<{ items: T[]; nextCursor: string | null }>;

export interface ReadCollection<T extends Document> {
  get(id: string): Promise<T | null>;
  find(options?: FindOptions): Promise<Page<T>>;
  /**
   * Documents matching `where`, served by an index whose `equal` keys are exactly where's keys (any sort key).
   * Without `where` it counts the whole collection: an adapter may take time proportional to its size.
   */
  count(where?: Readonly<Record<string, Scalar>>): Promise<number>;
}

export interface WriteCollection<T extends Document> extends ReadCollection<T> {
  /** Insert or replace the whole document. */
  put(doc: T): Promise<void>;
  delete(id: string): Promise<void>;
}

/**
 * A condition of ReadStore.putIf: every field listed must compare so with the stored document (`eq`: equal,
 * `lt`: less than; strings compare as strings, so ISO timestamps compare in time order).
 */
export type Condition = Readonly<Record<string, Readonly<{ eq: Scalar }> | Readonly<{ lt: Scalar }>>>;

export type PutCondition = Readonly<{
  /** The write happens when the stored document meets at least one of these. */
  anyOf: readonly Condition[];
  /** Also write when no document has this id (else absence fails the condition). */
  orAbsent: boolean;
}>;

/** One collection of a swap (ReadStore.replaceCollections): `from` takes the name `to`, declared by `def`. */
export type CollectionRename = Readonly<{ from: string; to: string; def?: CollectionDef }>;

export interface ReadStoreTransaction {
  collection<T extends Document>(def: CollectionDef): WriteCollection<T>;
  /** Positions are stored as decimal strings (see positionToString). */
  setCheckpoint(projection: string, position: string): Promise<void>;
  getCheckpoint(projection: string): Promise<string | null>;
}

export interface ReadStore {
  /** Reads see committed data only. */
  collection<T extends Document>(def: CollectionDef): ReadCollection<T>;
  /**
   * Runs `work` atomically: every write inside it and the checkpoint commit together or not at all.
   * `work` may run more than once (MongoDB's `withTransaction` retries a body after a transient error): only
   * the last run's writes commit, and each run sees none of an earlier run's writes. So a body must have no
   * effect outside `tx` (no cache updates, no messages, no counters in memory) — do those after it resolves.
   * Indexes are created outside transactions where the engine demands it (MongoDB).
   */
  transaction<R>(work: (tx: ReadStoreTransaction) => Promise<R>): Promise<R>;
  getCheckpoint(projection: string): Promise<string | null>;
  /**
   * Optional: one atomic conditional write outside any transaction. Sets `doc`'s fields on the document with its
   * id when the stored document meets `condition` (or is absent and `condition.orAbsent`), creating it if absent;
   * fields not in `doc` are kept. Resolves to whether it wrote. An adapter that cannot do it atomically in one
   * call leaves it out; callers then use a transaction. MongoDB: one `findOneAndUpdate`.
   */
  putIf?<T extends Document>(def: CollectionDef, doc: T, condition: PutCondition): Promise<boolean>;
  /** Drops a collection's documents and index definitions (used by rebuilds and tests). */
  dropCollection(name: string): Promise<void>;
  /** Removes a projection checkpoint. */
  deleteCheckpoint(projection: string): Promise<void>;
  /**
   * Swaps rebuilt collections in (a zero-downtime rebuild, projections/rebuild.ts): each `to` is dropped and
   * `from` takes its name, with its documents and indexes; `finish` then runs in a transaction (checkpoints, the
   * progress document). The embedded adapter does all of it in one SQLite transaction, so readers see either the
   * old collections or the new ones. MongoDB renames each collection (`dropTarget`), then runs `finish`: a reader
   * may meet some collections renamed before others for the few milliseconds that takes. On a server without
   * `renameCollection` (jongodb) it copies the documents and runs `finish` in one transaction instead.
   * A rename's `def` (the declaration of `to`): every index it declares exists on `to` once the swap is seen,
   * including those `from` was loaded without (`indexesDeferred`). The embedded adapter builds them inside the
   * swap's transaction, MongoDB on `from` before it renames.
   */
  replaceCollections(renames: readonly CollectionRename[], finish: (tx: ReadStoreTransaction) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export class UniqueConstraintError extends Error {
  constructor(
    readonly collection: string,
    readonly field: string,
  ) {
    super(`Unique constraint on ${collection}.${field} violated`);
    this.name = 'UniqueConstraintError';
  }
}

/** A query that no declared index serves. `shape` is the index it would need. */
export class UnindexedQueryError extends Error {
  constructor(
    readonly collection: string,
    readonly shape: Readonly<{ equal: readonly string[]; sort: string }>,
    detail = '',
  ) {
    const equal = [...shape.equal].sort();
    super(
      `No declared index of ${collection} serves this query${detail ? ` (${detail})` : ''}: ` +
        `declare { equal: ${JSON.stringify(equal)}, sort: ${JSON.stringify(shape.sort)} }`,
    );
    this.name = 'UnindexedQueryError';
  }
}

/** A `cursor` that is malformed or was issued for a different `orderBy` (an API maps it to 400). */
export class InvalidCursorError extends Error {
  constructor(readonly collection: string) {
    super(`Invalid cursor for ${collection}`);
    this.name = 'InvalidCursorError';
  }
}

const sameKeys = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((key) => b.includes(key));

/**
 * The declared index that serves equality on `equalKeys` ordered (and ranged) by `sortKey`, or, for a count
 * (`sortKey` undefined), any index with exactly those equality keys. A lone equality on a unique field is
 * served by its unique index. Every adapter calls this before running a find or a count.
 */
export const servingIndex = (def: CollectionDef, equalKeys: readonly string[], sortKey: string | undefined): IndexDef | undefined => {
  const found = def.indexes.find((index) => sameKeys(index.equal, equalKeys) && (sortKey === undefined || (index.sort ?? 'id') === sortKey));
  if (found) return found;
  const [only] = equalKeys;
  if (equalKeys.length === 1 && only !== undefined && def.unique?.includes(only) && (sortKey === undefined || sortKey === 'id')) {
    return { equal: [only] };
  }
  if (equalKeys.length === 0 && (sortKey === undefined || sortKey === 'id')) return { equal: [] };
  return undefined;
};

/** Throws UnindexedQueryError unless one declared index serves `options` (a find) — the shared rule. */
export const assertServed = (def: CollectionDef, options: FindOptions): IndexDef => {
  const equal = Object.entries(options.where ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key]) => key);
  const sort = options.orderBy?.key ?? 'id';
  if (options.range && options.range.key !== sort) {
    throw new UnindexedQueryError(def.name, { equal, sort: options.range.key }, `a range on ${options.range.key} must be ordered by ${options.range.key}`);
  }
  const index = servingIndex(def, equal, sort);
  if (!index) throw new UnindexedQueryError(def.name, { equal, sort });
  return index;
};

/** Throws UnindexedQueryError unless an index has exactly `where`'s keys as its equality keys (a count). */
export const assertCountServed = (def: CollectionDef, where: Readonly<Record<string, Scalar>> | undefined): IndexDef => {
  const equal = Object.entries(where ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key]) => key);
  const index = servingIndex(def, equal, undefined);
  if (!index) throw new UnindexedQueryError(def.name, { equal, sort: 'id' }, 'count');
  return index;
};
