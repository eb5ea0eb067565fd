import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UniqueConstraintError,
  UnindexedQueryError,
  type CollectionDef,
  type Document,
  type FindOptions,
  type ReadCollection,
  type ReadStore,
} from './readStore';

export type ReadStoreContractHooks = Readonly<{
  /**
   * A store of the same adapter on the same data whose transactions run each body twice, the first run
   * abandoned (as MongoDB's withTransaction does after a transient error): e.g. an adapter option, or a
   * fault injected into the first commit. Required: the contract proves that the port's rule holds.
   */
  retryingStore: () => Promise<ReadStore>;
  /**
   * Cases a server under test cannot run, each with the reason (the server, what it lacks, how it was measured):
   * reported as skipped under a title that says so, never passed. Only for a test server standing in for a real one
   * (jongodb); the same case still runs against the real server.
   */
  skips?: Readonly<Partial<Record<ContractCase, string>>>;
  /** How many secondary indexes (declared, not unique, not the id's) collection `name` has on the server. */
  secondaryIndexCount: (store: ReadStore, name: string) => Promise<number>;
}>;

/** The contract's cases that depend on a server feature a test server may lack. */
export type ContractCase = 'dropIndexes' | 'writeConflicts' | 'insertConflicts';

/**
 * The ReadStore contract: every adapter (embedded SQLite, MongoDB) must pass it unchanged. It uses the port only,
 * and a fresh collection name per test so that one store serves the whole suite. Engine-specific checks (query
 * plans, files, connections) belong to each adapter's own tests.
 */
export function readStoreContract(name: string, factory: () => Promise<ReadStore>, hooks: ReadStoreContractHooks): void {
  describe(`ReadStore contract: ${name}`, () => {
    let store: ReadStore;
    let seq = 0;
    const run = Math.random().toString(36).slice(2, 8);
    const fresh = (prefix: string): string => `${prefix}_${run}_${seq++}`;
    /** A case that a test server may lack the feature for: skipped under a title with the reason. */
    const needs = (feature: ContractCase, title: string, body: () => Promise<void>): void => {
      const reason = hooks.skips?.[feature];
      if (reason) it.skip(`${title} — SKIPPED ${reason}`, body);
      else it(title, body);
    };

    type Item = Document & { status?: string | null; n?: number | null; flag?: boolean; tag?: string | null };
    const itemIndexes: CollectionDef['indexes'] = [
      { equal: ['status'] },
      { equal: ['n'] },
      { equal: ['flag'] },
      { equal: ['tag'] },
      { equal: ['status', 'flag'] },
      { equal: ['status', 'n'] },
      { equal: ['status', 'n', 'tag'] },
      { equal: [], sort: 'n' },
      { equal: [], sort: 'status' },
      { equal: [], sort: 'tag' },
      { equal: ['status', 'flag'], sort: 'n' },
    ];
    const itemDef = (prefix: string): CollectionDef => ({ name: fresh(prefix), indexes: itemIndexes });

    const putAll = async (def: CollectionDef, docs: readonly Document[]): Promise<void> => {
      await store.transaction(async (tx) => {
        const c = tx.collection(def);
        for (const doc of docs) await c.put(doc);
      });
    };
    const ids = (docs: readonly Document[]): string[] => docs.map((d) => d.id);
    const pad = (i: number): string => `d${String(i).padStart(4, '0')}`;

    /** Follows nextCursor to the end, checking the page size; returns every item in visiting order. */
    const allPages = async <T extends Document>(
      c: ReadCollection<T>,
      options: FindOptions,
      limit: number,
    ): Promise<T[]> => {
      const seen: T[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 1000; page++) {
        const result = await c.find({ ...options, limit, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...result.items);
        if (result.nextCursor === null) {
          expect(result.items.length).toBeLessThanOrEqual(limit);
          return seen;
        }
        expect(result.items.length).toBe(limit);
        cursor = result.nextCursor;
      }
      throw new Error('pagination does not end');
    };

    /** Expected order: by key (null/missing first, numbers numerically), ties by id, reversed for desc. */
    const sorted = <T extends Document>(docs: readonly T[], key: string, direction: 'asc' | 'desc'): T[] => {
      const value = (d: T): number | string | null => (d[key] ?? null) as number | string | null;
      const rank = (v: number | string | null): number => (v === null ? 0 : typeof v === 'number' ? 1 : 2);
      const cmp = (a: T, b: T): number => {
        const va = value(a);
        const vb = value(b);
        if (rank(va) !== rank(vb)) return rank(va) - rank(vb);
        if (va !== null && vb !== null && va !== vb) return va < vb ? -1 : 1;
        return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      };
      const out = [...docs].sort(cmp);
      return direction === 'asc' ? out : out.reverse();
    };

    beforeAll(async () => {
      store = await factory();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('puts, gets and deletes documents', async () => {
      const def = itemDef('crud');
      const c = store.collection<Item>(def);
      expect(await c.get('a')).toBeNull();
      await putAll(def, [{ id: 'a', status: 'new', nested: { x: [1, 2] } }, { id: 'b', status: 'old' }]);
      expect(await c.get('a')).toEqual({ id: 'a', status: 'new', nested: { x: [1, 2] } });
      expect(await c.count()).toBe(2);
      await store.transaction(async (tx) => {
        await tx.collection(def).delete('a');
        await tx.collection(def).delete('missing');
      });
      expect(await c.get('a')).toBeNull();
      expect(ids((await c.find()).items)).toEqual(['b']);
    });

    it('replaces the whole document on put', async () => {
      const def = itemDef('replace');
      const c = store.collection<Item>(def);
      await putAll(def, [{ id: 'a', status: 'new', n: 1, extra: 'x' }]);
      await putAll(def, [{ id: 'a', status: 'done' }]);
      expect(await c.get('a')).toEqual({ id: 'a', status: 'done' });
      expect(await c.count({ status: 'new' })).toBe(0);
      expect(await c.count({ status: 'done' })).toBe(1);
      expect(await c.count({ n: 1 })).toBe(0);
      expect(await c.count()).toBe(1);
    });

    it('filters by equality on strings, numbers, booleans and null', async () => {
      const def = itemDef('where');
      const c = store.collection<Item>(def);
      await putAll(def, [
        { id: 'a', status: 'new', n: 1, flag: true, tag: 'x' },
        { id: 'b', status: 'new', n: 2, flag: false, tag: null },
        { id: 'c', status: 'old', n: 1, flag: true },
        { id: 'd', status: '1', n: 10, flag: false, tag: 'x' },
        { id: 'e', n: 0, tag: 'y' },
      ]);
      const where = async (w: Record<string, string | number | boolean | null>): Promise<string[]> =>
        ids((await c.find({ where: w })).items);
      expect(await where({ status: 'new' })).toEqual(['a', 'b']);
      expect(await where({ status: '1' })).toEqual(['d']);
      expect(await where({ n: 1 })).toEqual(['a', 'c']);
      expect(await where({ n: 10 })).toEqual(['d']);
      expect(await where({ flag: true })).toEqual(['a', 'c']);
      expect(await where({ flag: false })).toEqual(['b', 'd']);
      expect(await where({ tag: null })).toEqual(['b', 'c']);
      expect(await where({ status: null })).toEqual(['e']);
      expect(await where({ status: 'new', flag: false })).toEqual(['b']);
      expect(await where({ status: 'new', n: 1, tag: 'x' })).toEqual(['a']);
      expect(await where({ status: 'nope' })).toEqual([]);
      expect(await c.count({ flag: true })).toBe(2);
      expect(await c.count({ tag: null })).toBe(2);
      expect(await c.count({ status: 'new', n: 2 })).toBe(1);
    });

    it('filters by range with gt, gte, lt and lte; numbers order numerically', async () => {
      const def = itemDef('range');
      const c = store.collection<Item>(def);
      const ns = [2, 10, 100, 3, 25, -1, 1.5];
      await putAll(def, [
        ...ns.map((n, i) => ({ id: `n${i}`, n, status: `2024-01-${String(10 + i)}` })),
        { id: 'none', status: 'zzz' },
      ]);
      const values = async (range: FindOptions['range'], key = 'n'): Promise<unknown[]> =>
        (await c.find({ range, orderBy: { key, direction: 'asc' } })).items.map((d) => d[key]);
      expect(await values({ key: 'n', gt: 3 })).toEqual([10, 25, 100]);
      expect(await values({ key: 'n', gte: 3 })).toEqual([3, 10, 25, 100]);
      expect(await values({ key: 'n', lt: 3 })).toEqual([-1, 1.5, 2]);
      expect(await values({ key: 'n', lte: 3 })).toEqual([-1, 1.5, 2, 3]);
      expect(await values({ key: 'n', gt: 2, lte: 25 })).toEqual([3, 10, 25]);
      expect(await values({ key: 'n', gte: 1.5, lt: 10 })).toEqual([1.5, 2, 3]);
      expect(await values({ key: 'status', gte: '2024-01-12', lt: '2024-01-15' }, 'status')).toEqual([
        '2024-01-12',
        '2024-01-13',
        '2024-01-14',
      ]);
      expect(await values({ key: 'status', gt: '2024-01-15' }, 'status')).toEqual(['2024-01-16', 'zzz']);
      expect((await c.find({ range: { key: 'n', gt: 1000 }, orderBy: { key: 'n', direction: 'desc' } })).items).toEqual([]);
    });

    it('orders by a key ascending and descending, ties broken by id in the same direction', async () => {
      const def = itemDef('order');
      const c = store.collection<Item>(def);
      const ns: Record<string, number> = { e: 5, b: 1, a: 5, d: 20, c: 1, f: 3, g: 5 };
      await putAll(def, Object.entries(ns).map(([id, n]) => ({ id, n })));
      const order = async (key: string, direction: 'asc' | 'desc'): Promise<string> =>
        ids((await c.find({ orderBy: { key, direction } })).items).join('');
      expect(await order('n', 'asc')).toBe('bcfaegd');
      expect(await order('n', 'desc')).toBe('dgeafcb');
      expect(ids((await c.find()).items).join('')).toBe('abcdefg');
      expect(await order('id', 'desc')).toBe('gfedcba');
      expect(ids((await c.find({ orderBy: { key: 'n', direction: 'asc' }, limit: 2 })).items)).toEqual(['b', 'c']);
    });

    it('returns 50 documents by default, and nextCursor null on the last page', async () => {
      const def = itemDef('limit');
      const c = store.collection<Item>(def);
      await putAll(def, Array.from({ length: 60 }, (_, i) => ({ id: pad(i), n: i })));
      const first = await c.find();
      expect(ids(first.items)).toEqual(Array.from({ length: 50 }, (_, i) => pad(i)));
      expect(first.nextCursor).not.toBeNull();
      const second = await c.find({ cursor: first.nextCursor ?? '' });
      expect(ids(second.items)).toEqual(Array.from({ length: 10 }, (_, i) => pad(50 + i)));
      expect(second.nextCursor).toBeNull();
      const exact = await c.find({ limit: 60 });
      expect(exact.items).toHaveLength(60);
      expect(exact.nextCursor).toBeNull();
    });

    it('paginates over 123 documents with where and range, each exactly once, both directions', async () => {
      const def = itemDef('pages');
      const c = store.collection<Item>(def);
      const docs: Item[] = Array.from({ length: 400 }, (_, i) => ({
        id: pad((i * 7919) % 400),
        n: i % 41,
        status: i % 3 === 0 ? 'skip' : 'keep',
        flag: i % 2 === 0,
      }));
      await putAll(def, docs);
      const options = { where: { status: 'keep', flag: true }, range: { key: 'n', gte: 2, lt: 40 } } as const;
      const matching = docs.filter((d) => d.status === 'keep' && d.flag === true && (d.n ?? 0) >= 2 && (d.n ?? 0) < 40);
      expect(matching).toHaveLength(123);
      expect(await c.count(options.where)).toBe(docs.filter((d) => d.status === 'keep' && d.flag).length);
      for (const direction of ['asc', 'desc'] as const) {
        for (const limit of [10, 41, 123, 200]) {
          const seen = await allPages(c, { ...options, orderBy: { key: 'n', direction } }, limit);
          expect(ids(seen)).toEqual(ids(sorted(matching, 'n', direction)));
          expect(new Set(ids(seen)).size).toBe(123);
        }
        const byId = await allPages(c, { where: options.where, orderBy: { key: 'id', direction } }, 10);
        const keptFlagged = docs.filter((d) => d.status === 'keep' && d.flag === true);
        expect(ids(byId)).toEqual(ids(sorted(keptFlagged, 'id', direction)));
      }
    });

    it('paginates over a key with null, missing and tied values in both directions', async () => {
      const def = itemDef('nullpages');
      const c = store.collection<Item>(def);
      const docs: Item[] = Array.from({ length: 57 }, (_, i) => {
        const doc: Item = { id: pad(i) };
        if (i % 5 === 1) return { ...doc, tag: null };
        if (i % 5 === 2) return doc;
        return { ...doc, tag: `t${i % 4}` };
      });
      await putAll(def, docs);
      for (const direction of ['asc', 'desc'] as const) {
        for (const limit of [1, 4, 10]) {
          const seen = await allPages(c, { orderBy: { key: 'tag', direction } }, limit);
          expect(ids(seen)).toEqual(ids(sorted(docs, 'tag', direction)));
        }
      }
    });

    it('counts documents', async () => {
      const def = itemDef('count');
      const c = store.collection<Item>(def);
      expect(await c.count()).toBe(0);
      await putAll(def, Array.from({ length: 17 }, (_, i) => ({ id: pad(i), status: i % 2 ? 'odd' : 'even' })));
      expect(await c.count()).toBe(17);
      expect(await c.count({ status: 'odd' })).toBe(8);
      expect(await c.count({ status: 'even' })).toBe(9);
    });

    it('rejects a put that breaks a unique field with UniqueConstraintError', async () => {
      const def: CollectionDef = { name: fresh('unique'), indexes: [], unique: ['email'] };
      const c = store.collection(def);
      await putAll(def, [{ id: 'a', email: 'x@example.com' }, { id: 'b', email: 'y@example.com' }]);
      await putAll(def, [{ id: 'a', email: 'x@example.com', name: 'again' }]);
      const failing = putAll(def, [{ id: 'c', email: 'x@example.com' }]);
      await expect(failing).rejects.toBeInstanceOf(UniqueConstraintError);
      await expect(failing).rejects.toMatchObject({ collection: def.name, field: 'email' });
      await expect(putAll(def, [{ id: 'b', email: 'x@example.com' }])).rejects.toBeInstanceOf(UniqueConstraintError);
      expect(await c.get('a')).toEqual({ id: 'a', email: 'x@example.com', name: 'again' });
      expect(await c.get('b')).toEqual({ id: 'b', email: 'y@example.com' });
      expect(await c.get('c')).toBeNull();
      await putAll(def, [{ id: 'a', email: 'z@example.com' }, { id: 'c', email: 'x@example.com' }]);
      expect(await c.count({ email: 'x@example.com' })).toBe(1);
    });

    it('serves each find and count by one declared index, and rejects any other query with UnindexedQueryError', async () => {
      const def = itemDef('unindexed');
      const c = store.collection<Item>(def);
      await putAll(def, [{ id: 'a', status: 'new', n: 1, flag: true, tag: 'x', other: 1 }]);
      const refused = async (query: Promise<unknown>): Promise<void> => {
        await expect(query).rejects.toBeInstanceOf(UnindexedQueryError);
      };
      // Undeclared fields.
      await refused(c.find({ where: { other: 1 } }));
      await refused(c.find({ range: { key: 'other', gt: 0 }, orderBy: { key: 'other', direction: 'asc' } }));
      await refused(c.find({ orderBy: { key: 'other', direction: 'asc' } }));
      await expect(c.count({ other: 1 })).rejects.toMatchObject({ name: 'UnindexedQueryError', shape: { equal: ['other'] } });
      // Declared fields in a shape no index has: a sort key the equality keys do not lead to, a subset or a
      // superset of an index's equality keys, a range on another key than the order.
      await refused(c.find({ where: { status: 'new' }, orderBy: { key: 'n', direction: 'asc' } }));
      await refused(c.find({ where: { flag: true }, orderBy: { key: 'n', direction: 'asc' } }));
      await refused(c.find({ where: { status: 'new', flag: true, tag: 'x' } }));
      await refused(c.find({ where: { n: 1 }, orderBy: { key: 'status', direction: 'asc' } }));
      await refused(c.find({ range: { key: 'n', gt: 0 } }));
      await refused(c.find({ range: { key: 'n', gt: 0 }, orderBy: { key: 'status', direction: 'asc' } }));
      await refused(c.count({ status: 'new', tag: 'x' }));
      // The same shapes with an index: equality keys in any order, then the sort key.
      expect(await c.count({ flag: true, status: 'new' })).toBe(1);
      expect(await c.count({ tag: 'x', n: 1, status: 'new' })).toBe(1);
      const served = await c.find({ where: { flag: true, status: 'new' }, range: { key: 'n', gte: 1 }, orderBy: { key: 'n', direction: 'desc' } });
      expect(ids(served.items)).toEqual(['a']);
      const never = store.collection({ name: fresh('never'), indexes: [] });
      await refused(never.find({ where: { x: 1 } }));
      expect(await never.count()).toBe(0);
      expect((await never.find()).items).toEqual([]);
      await store.transaction(async (tx) => {
        await expect(tx.collection(def).find({ where: { other: 1 } })).rejects.toBeInstanceOf(UnindexedQueryError);
        await expect(tx.collection(def).count({ status: 'new', tag: 'x' })).rejects.toBeInstanceOf(UnindexedQueryError);
      });
    });

    it('allows any number of null or missing values on a unique field, and refuses a duplicate non-null one', async () => {
      const def: CollectionDef = { name: fresh('uniquenull'), indexes: [{ equal: ['uid'] }], unique: ['uid'] };
      const c = store.collection(def);
      const docs = [
        ...Array.from({ length: 5 }, (_, i) => ({ id: `null${i}`, uid: null })),
        ...Array.from({ length: 5 }, (_, i) => ({ id: `missing${i}` })),
        { id: 'u1', uid: 'one' },
        { id: 'u2', uid: 'two' },
      ];
      await putAll(def, docs);
      expect(await c.count()).toBe(12);
      expect(await c.count({ uid: null })).toBe(10);
      expect(ids((await c.find({ where: { uid: 'one' } })).items)).toEqual(['u1']);
      // A null document takes a value that is free, and gives one up.
      await putAll(def, [{ id: 'null0', uid: 'three' }, { id: 'u1', uid: null }]);
      const duplicate = putAll(def, [{ id: 'null1', uid: 'two' }]);
      await expect(duplicate).rejects.toBeInstanceOf(UniqueConstraintError);
      await expect(duplicate).rejects.toMatchObject({ collection: def.name, field: 'uid' });
      expect(await c.get('null1')).toEqual({ id: 'null1', uid: null });
      expect(await c.count({ uid: null })).toBe(10);
      expect(ids((await c.find({ where: { uid: 'three' } })).items)).toEqual(['null0']);
    });

    it('commits a transaction atomically: a throw inside writes nothing and keeps the checkpoint', async () => {
      const def = itemDef('atomic');
      const projection = fresh('proj');
      const c = store.collection<Item>(def);
      await store.transaction(async (tx) => {
        await tx.collection(def).put({ id: 'a', status: 'kept' });
        await tx.setCheckpoint(projection, '5');
      });
      const boom = new Error('boom');
      await expect(
        store.transaction(async (tx) => {
          const w = tx.collection<Item>(def);
          await w.put({ id: 'b', status: 'new' });
          await w.put({ id: 'a', status: 'changed' });
          await tx.setCheckpoint(projection, '9');
          expect(await tx.getCheckpoint(projection)).toBe('9');
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await c.get('b')).toBeNull();
      expect(await c.get('a')).toEqual({ id: 'a', status: 'kept' });
      expect(await store.getCheckpoint(projection)).toBe('5');
      const fresher = itemDef('atomicnew');
      await expect(
        store.transaction(async (tx) => {
          await tx.collection(fresher).put({ id: 'x' });
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await store.collection(fresher).count()).toBe(0);
      expect(await store.transaction(async () => 42)).toBe(42);
    });

    it('shows a transaction its own writes and hides them from reads outside until commit', async () => {
      const def = itemDef('isolation');
      const created = itemDef('isolationnew');
      const projection = fresh('proj');
      const outside = store.collection<Item>(def);
      await putAll(def, [{ id: 'a', status: 'old', n: 1 }]);
      await store.transaction(async (tx) => {
        const w = tx.collection<Item>(def);
        await w.put({ id: 'b', status: 'new', n: 2 });
        await w.put({ id: 'a', status: 'new', n: 3 });
        await tx.collection(created).put({ id: 'z' });
        await tx.setCheckpoint(projection, '7');
        expect(await w.get('b')).toEqual({ id: 'b', status: 'new', n: 2 });
        expect(await w.count({ status: 'new' })).toBe(2);
        expect(ids((await w.find({ orderBy: { key: 'n', direction: 'desc' } })).items)).toEqual(['a', 'b']);
        await w.delete('b');
        expect(await w.get('b')).toBeNull();
        expect(await tx.getCheckpoint(projection)).toBe('7');

        expect(await outside.get('b')).toBeNull();
        expect(await outside.get('a')).toEqual({ id: 'a', status: 'old', n: 1 });
        expect(await outside.count({ status: 'new' })).toBe(0);
        expect(ids((await outside.find({ where: { status: 'old' } })).items)).toEqual(['a']);
        expect(await store.collection(created).get('z')).toBeNull();
        expect(await store.getCheckpoint(projection)).toBeNull();
      });
      expect(await outside.get('a')).toEqual({ id: 'a', status: 'new', n: 3 });
      expect(await outside.count()).toBe(1);
      expect(await store.collection(created).get('z')).toEqual({ id: 'z' });
      expect(await store.getCheckpoint(projection)).toBe('7');
    });

    it('leaves exactly one run\'s effect when a transaction body runs twice (a retried withTransaction)', async () => {
      const retrying = await hooks.retryingStore();
      try {
        const def = itemDef('retried');
        const created = itemDef('retriednew');
        const projection = fresh('proj');
        await retrying.transaction(async (tx) => tx.collection(def).put({ id: 'counter', n: 1 }));
        let runs = 0;
        const result = await retrying.transaction(async (tx) => {
          runs += 1;
          const c = tx.collection<Item>(def);
          // Each run starts from the committed state: none of an earlier run's writes.
          expect(await c.get('run1')).toBeNull();
          expect(await tx.getCheckpoint(projection)).toBeNull();
          const current = await c.get('counter');
          await c.put({ id: 'counter', n: (current?.n ?? 0) + 1 });
          await c.put({ id: `run${runs}`, n: runs });
          await tx.collection(created).put({ id: `made${runs}` });
          await tx.setCheckpoint(projection, String(runs));
          return current?.n;
        });
        // At least the abandoned run and the last one (an adapter may abandon more, e.g. to create indexes first).
        expect(runs).toBeGreaterThanOrEqual(2);
        expect(result).toBe(1);
        const c = retrying.collection<Item>(def);
        expect(await c.get('counter')).toEqual({ id: 'counter', n: 2 });
        for (let earlier = 1; earlier < runs; earlier++) expect(await c.get(`run${earlier}`)).toBeNull();
        expect(await c.get(`run${runs}`)).toEqual({ id: `run${runs}`, n: runs });
        expect(ids((await retrying.collection(created).find()).items)).toEqual([`made${runs}`]);
        expect(await retrying.getCheckpoint(projection)).toBe(String(runs));
      } finally {
        await retrying.close();
      }
    });

    it('stores, moves and deletes checkpoints', async () => {
      const projection = fresh('proj');
      expect(await store.getCheckpoint(projection)).toBeNull();
      await store.transaction((tx) => tx.setCheckpoint(projection, '12'));
      expect(await store.getCheckpoint(projection)).toBe('12');
      await store.transaction(async (tx) => {
        expect(await tx.getCheckpoint(projection)).toBe('12');
        await tx.setCheckpoint(projection, '18446744073709551615');
      });
      expect(await store.getCheckpoint(projection)).toBe('18446744073709551615');
      expect(await store.getCheckpoint(fresh('other'))).toBeNull();
      await store.deleteCheckpoint(projection);
      expect(await store.getCheckpoint(projection)).toBeNull();
      await store.deleteCheckpoint(projection);
    });

    needs('dropIndexes', 'drops a collection with its documents and index definitions', async () => {
      const name = fresh('drop');
      const def: CollectionDef = { name, indexes: [{ equal: ['email'] }], unique: ['email'] };
      const c = store.collection(def);
      await putAll(def, [{ id: 'a', email: 'x' }, { id: 'b', email: 'y' }]);
      await store.dropCollection(name);
      expect(await c.get('a')).toBeNull();
      expect(await c.count()).toBe(0);
      expect(await c.find()).toEqual({ items: [], nextCursor: null });
      const relaxed: CollectionDef = { name, indexes: [{ equal: ['email'] }] };
      await putAll(relaxed, [{ id: 'c', email: 'x' }, { id: 'd', email: 'x' }]);
      expect(ids((await store.collection(relaxed).find({ where: { email: 'x' } })).items)).toEqual(['c', 'd']);
      await store.dropCollection(name);
      await store.dropCollection(fresh('neverexisted'));
    });

    it('leaves out undefined fields and turns undefined array items into null, as JSON does, on every adapter', async () => {
      const def = itemDef('undefined');
      const c = store.collection<Item>(def);
      const written = { id: 'a', status: 'x', gone: undefined, nested: { kept: 1, gone: undefined }, list: [1, undefined, 2] };
      await putAll(def, [written]);
      const expected = { id: 'a', status: 'x', nested: { kept: 1 }, list: [1, null, 2] };
      // toStrictEqual: a field holding null (or undefined) is not a missing one.
      expect(await c.get('a')).toStrictEqual(expected);
      expect((await c.find({ where: { status: 'x' } })).items).toStrictEqual([expected]);
      expect(await c.count({ status: null })).toBe(0);
      await store.transaction(async (tx) => {
        const w = tx.collection<Item>(def);
        await w.put({ ...written, id: 'b' });
        expect(await w.get('b')).toStrictEqual({ ...expected, id: 'b' });
      });
      expect(await c.get('b')).toStrictEqual({ ...expected, id: 'b' });
    });

    needs('insertConflicts', 'commits both of two transactions that create the same new document at once, one after the other', async () => {
      const def = itemDef('createrace');
      const outcomes = await Promise.allSettled(
        [1, 2].map((n) =>
          store.transaction(async (tx) => {
            const c = tx.collection<Item>(def);
            const current = await c.get('one');
            await new Promise((resolve) => setTimeout(resolve, 30));
            await c.put({ id: 'one', n: (current?.n ?? 0) + 1, tag: String(n) });
          }),
        ),
      );
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      // The second ran (again) after the first: no increment lost.
      expect((await store.collection<Item>(def).get('one'))?.n).toBe(2);
    });

    needs('writeConflicts', 'loses no update when two transactions read and write the same document at once', async () => {
      const def = itemDef('conflict');
      await putAll(def, [{ id: 'counter', n: 0 }]);
      let arrived = 0;
      let release = (): void => {};
      const bothRead = new Promise<void>((resolve) => (release = resolve));
      const increment = (): Promise<void> =>
        store.transaction(async (tx) => {
          const c = tx.collection<Item>(def);
          const current = await c.get('counter');
          arrived += 1;
          if (arrived >= 2) release();
          // Both read before either writes (an adapter that runs one transaction at a time goes on after 300 ms).
          await Promise.race([bothRead, new Promise((resolve) => setTimeout(resolve, 300))]);
          await c.put({ id: 'counter', n: (current?.n ?? 0) + 1 });
        });
      await Promise.all([increment(), increment()]);
      expect(await store.collection<Item>(def).get('counter')).toEqual({ id: 'counter', n: 2 });
    });

    it('loads a collection without its declared indexes (indexesDeferred), answering the same, and a swap with its declaration builds them', async () => {
      const live: CollectionDef = { name: fresh('bulklive'), indexes: [{ equal: ['status'], sort: 'n' }, { equal: ['flag'] }], unique: ['tag'] };
      const shadow: CollectionDef = { ...live, name: fresh('bulkshadow'), indexesDeferred: true };
      await putAll(live, [{ id: 'old', status: 'x', n: 9, flag: true }]);
      await putAll(shadow, [
        { id: 'a', status: 'x', n: 2, tag: 't1', flag: true },
        { id: 'b', status: 'x', n: 1, tag: 't2', flag: false },
        { id: 'c', status: 'y', n: 0, flag: true },
      ]);
      expect(await hooks.secondaryIndexCount(store, shadow.name)).toBe(0);
      // Unique fields hold while loading.
      await expect(putAll(shadow, [{ id: 'd', tag: 't1' }])).rejects.toBeInstanceOf(UniqueConstraintError);
      // A projection reading what it loads (inside its transaction) gets the same answers.
      const inTransaction = await store.transaction(async (tx) => {
        const c = tx.collection<Item>(shadow);
        await c.put({ id: 'e', status: 'x', n: 3, flag: true });
        return { page: ids((await c.find({ where: { status: 'x' }, orderBy: { key: 'n', direction: 'desc' }, limit: 2 })).items), flagged: await c.count({ flag: true }) };
      });
      expect(inTransaction).toEqual({ page: ['e', 'a'], flagged: 3 });
      await store.replaceCollections([{ from: shadow.name, to: live.name, def: live }], async () => {});
      expect(await hooks.secondaryIndexCount(store, live.name)).toBe(2);
      const reads = store.collection<Item>(live);
      expect(await reads.get('old')).toBeNull();
      expect(ids((await reads.find({ where: { status: 'x' }, orderBy: { key: 'n', direction: 'asc' } })).items)).toEqual(['b', 'a', 'e']);
      expect(await reads.count({ flag: true })).toBe(3);
      await expect(putAll(live, [{ id: 'dup', tag: 't2' }])).rejects.toBeInstanceOf(UniqueConstraintError);
      await store.dropCollection(live.name);
    });

    it('replaces collections by renamed ones, indexes and unique fields included, with the finishing writes', async () => {
      const live: CollectionDef = { name: fresh('live'), indexes: [{ equal: ['status'], sort: 'n' }], unique: ['tag'] };
      const shadow: CollectionDef = { ...live, name: fresh('shadow') };
      const gone: CollectionDef = { ...live, name: fresh('gone') };
      const neverWritten = fresh('nevershadow');
      const projection = fresh('proj');
      await putAll(live, [{ id: 'old', status: 'a', n: 1, tag: 't1' }]);
      await putAll(gone, [{ id: 'stale', status: 'a', n: 1 }]);
      await putAll(shadow, [
        { id: 'new1', status: 'a', n: 2, tag: 't1' },
        { id: 'new2', status: 'a', n: 1, tag: 't2' },
      ]);
      const liveReads = store.collection<Item>(live);
      expect(await liveReads.get('old')).not.toBeNull();
      await store.replaceCollections(
        [
          { from: shadow.name, to: live.name },
          { from: neverWritten, to: gone.name },
        ],
        (tx) => tx.setCheckpoint(projection, '42'),
      );
      expect(await store.getCheckpoint(projection)).toBe('42');
      expect(await liveReads.get('old')).toBeNull();
      expect(ids((await liveReads.find({ where: { status: 'a' }, orderBy: { key: 'n', direction: 'asc' } })).items)).toEqual(['new2', 'new1']);
      expect(await store.collection(shadow).count()).toBe(0);
      expect(await store.collection(gone).count()).toBe(0);
      // The unique field still holds under the live name, and writes go on there.
      await expect(putAll(live, [{ id: 'dup', tag: 't2' }])).rejects.toBeInstanceOf(UniqueConstraintError);
      await putAll(live, [{ id: 'new3', status: 'a', n: 0, tag: 't3' }]);
      expect(ids((await liveReads.find({ where: { status: 'a' }, orderBy: { key: 'n', direction: 'asc' } })).items)).toEqual(['new3', 'new2', 'new1']);
      await store.dropCollection(live.name);
      await store.deleteCheckpoint(projection);
    });
  });
}
