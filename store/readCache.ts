import type { CollectionDef, CollectionRename, Document, FindOptions, Page, ReadCollection, ReadStore, ReadStoreTransaction, Scalar } from './readStore';

/**
 * A ReadStore that keeps the answers of a few small, rarely changing collections in memory (every send reads its
 * application, its event type and the application's endpoints). Correct only where this process hears of every
 * change: `invalidate` is called with the collections each projection batch touched before the commands waiting
 * for that batch are answered, so a command still reads its own writes. Where other processes write the read
 * models, `isFresh` says before each answer whether the cache heard of every change committed so far (on the
 * embedded store a look at SQLite's data_version); when it has not, the answer is read from the store and not
 * kept. Answers are deep-frozen and shared: no caller can change what the next one gets (an attempt throws a
 * TypeError), and no read pays for a copy.
 */
export class ReadCache implements ReadStore {
  private readonly cached = new Map<string, CachedCollection<Document>>();

  constructor(
    private readonly inner: ReadStore,
    collections: readonly CollectionDef[],
    private readonly maxEntriesPerCollection = 10_000,
    isFresh: () => boolean = () => true,
  ) {
    for (const def of collections) this.cached.set(def.name, new CachedCollection(inner.collection(def), maxEntriesPerCollection, isFresh));
  }

  collection<T extends Document>(def: CollectionDef): ReadCollection<T> {
    return (this.cached.get(def.name) as CachedCollection<T> | undefined) ?? this.inner.collection<T>(def);
  }

  /** Forgets what is kept of these collections (they changed). */
  /** The store behind the cache. */
  get uncached(): ReadStore {
    return this.inner;
  }

  invalidate(collections: Iterable<string>): void {
    for (const name of collections) this.cached.get(name)?.clear();
  }

  transaction<R>(work: (tx: ReadStoreTransaction) => Promise<R>): Promise<R> {
    return this.inner.transaction(work);
  }

  getCheckpoint(projection: string): Promise<string | null> {
    return this.inner.getCheckpoint(projection);
  }

  async dropCollection(name: string): Promise<void> {
    await this.inner.dropCollection(name);
    this.invalidate([name]);
  }

  async replaceCollections(renames: readonly CollectionRename[], finish: (tx: ReadStoreTransaction) => Promise<void>): Promise<void> {
    await this.inner.replaceCollections(renames, finish);
    this.invalidate(renames.map((r) => r.to));
  }

  deleteCheckpoint(projection: string): Promise<void> {
    return this.inner.deleteCheckpoint(projection);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

class CachedCollection<T extends Document> implements ReadCollection<T> {
  private readonly docs = new Map<string, T | null>();
  private readonly pages = new Map<string, Page<T>>();
  /** Bumped by clear(): an answer read before a change is not kept after it. */
  private generation = 0;

  constructor(
    private readonly inner: ReadCollection<T>,
    private readonly maxEntries: number,
    private readonly isFresh: () => boolean,
  ) {}

  get(id: string): Promise<T | null> {
    return this.through(this.docs, id, () => this.inner.get(id));
  }

  find(options: FindOptions = {}): Promise<Page<T>> {
    return this.through(this.pages, JSON.stringify(options), () => this.inner.find(options));
  }

  /** The kept answer for `key`, or `read` it, freeze it and keep it unless a change came meanwhile. */
  private async through<V>(map: Map<string, V>, key: string, read: () => Promise<V>): Promise<V> {
    // Something was committed that this cache has not heard of yet: answer from the store, keep nothing.
    if (!this.isFresh()) return deepFreeze(await read());
    let value = map.get(key);
    if (value === undefined) {
      const generation = this.generation;
      value = deepFreeze(await read());
      if (generation === this.generation) remember(map, key, value, this.maxEntries);
    }
    return value;
  }

  count(where?: Readonly<Record<string, Scalar>>): Promise<number> {
    return this.inner.count(where);
  }

  clear(): void {
    this.generation += 1;
    this.docs.clear();
    this.pages.clear();
  }
}

/** The oldest entry goes first once the map is full. */
const remember = <V>(map: Map<string, V>, key: string, value: V, maxEntries: number): void => {
  if (map.size >= maxEntries) map.delete(map.keys().next().value as string);
  map.set(key, value);
};

/** Freezes a value read from the store (plain JSON: objects, arrays, scalars) and everything in it. */
const deepFreeze = <V>(value: V): V => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
};
