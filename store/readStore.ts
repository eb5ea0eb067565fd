/**
 * The ReadStore port: documents by id in named collections, shaped so that the embedded (SQLite) adapter and
 * a MongoDB adapter are interchangeable. Queries are deliberately narrow: equality on declared indexes, one
 * range and one order on a single key, cursor pages.
 */

export type Scalar = string | number | boolean | null;

export type Document = Readonly<{ id: string }> & Readonly<Record<string, unknown>>;

export type CollectionDef = Readonly<{
  name: string;
  /** Top-level fields that may be used in `where`, `range` and `orderBy`. */
  indexes: readonly string[];
  /** Fields whose values must be unique across the collection (a put that breaks it throws UniqueConstraintError). */
  unique?: readonly string[];
}>;

export type Range = Readonly<{ key: string; gt?: Scalar; gte?: Scalar; lt?: Scalar; lte?: Scalar }>;

export type FindOptions = Readonly<{
  /** Equality on indexed fields; a value of null matches missing or null. */
  where?: Readonly<Record<string, Scalar>>;
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
  count(where?: Readonly<Record<string, Scalar>>): Promise<number>;
}

export interface WriteCollection<T extends Document> extends ReadCollection<T> {
  /** Insert or replace the whole document. */
  put(doc: T): Promise<void>;
  delete(id: string): Promise<void>;
}

export interface ReadStoreTransaction {
  collection<T extends Document>(def: CollectionDef): WriteCollection<T>;
  /** Positions are stored as decimal strings (see positionToString). */
  setCheckpoint(projection: string, position: string): Promise<void>;
  getCheckpoint(projection: string): Promise<string | null>;
}

export interface ReadStore {
  /** Reads see committed data only. */
  collection<T extends Document>(def: CollectionDef): ReadCollection<T>;
  /** Runs `work` atomically: every write inside it and the checkpoint commit together or not at all. */
  transaction<R>(work: (tx: ReadStoreTransaction) => Promise<R>): Promise<R>;
  getCheckpoint(projection: string): Promise<string | null>;
  /** Drops a collection's documents and index definitions (used by rebuilds and tests). */
  dropCollection(name: string): Promise<void>;
  /** Removes a projection checkpoint. */
  deleteCheckpoint(projection: string): Promise<void>;
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

export class UnindexedQueryError extends Error {
  constructor(
    readonly collection: string,
    readonly field: string,
  ) {
    super(`Field ${field} of ${collection} is not declared as an index`);
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
