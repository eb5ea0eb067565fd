import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteReadStore } from './embedded/sqliteReadStore';
import { ReadCache } from './readCache';
import type { CollectionDef, Document, ReadCollection, ReadStore } from './readStore';

type App = { id: string; name: string; tags: string[] };
const apps: CollectionDef = { name: 'apps', indexes: [{ equal: ['name'] }] };
const other: CollectionDef = { name: 'other', indexes: [] };

describe('ReadCache', () => {
  let store: SqliteReadStore;
  let cache: ReadCache;
  const put = (doc: App, def = apps) => store.transaction(async (tx) => tx.collection<App>(def).put(doc));

  beforeEach(async () => {
    store = SqliteReadStore.open(':memory:');
    cache = new ReadCache(store, [apps]);
    await put({ id: 'a1', name: 'First', tags: ['x'] });
  });
  afterEach(() => store.close());

  it('answers from memory until the collection is invalidated, then reads again', async () => {
    const col = cache.collection<App>(apps);
    expect(await col.get('a1')).toEqual({ id: 'a1', name: 'First', tags: ['x'] });
    expect((await col.find({ where: { name: 'First' } })).items.map((a) => a.id)).toEqual(['a1']);
    await put({ id: 'a1', name: 'Renamed', tags: ['x'] });
    expect((await col.get('a1'))?.name).toBe('First');
    expect((await col.find({ where: { name: 'First' } })).items.map((a) => a.id)).toEqual(['a1']);

    cache.invalidate(['apps']);
    expect((await col.get('a1'))?.name).toBe('Renamed');
    expect((await col.find({ where: { name: 'First' } })).items).toEqual([]);
    expect((await col.find({ where: { name: 'Renamed' } })).items.map((a) => a.id)).toEqual(['a1']);
  });

  it('remembers a missing document as missing until a change', async () => {
    const col = cache.collection<App>(apps);
    expect(await col.get('a2')).toBeNull();
    await put({ id: 'a2', name: 'Second', tags: [] });
    expect(await col.get('a2')).toBeNull();
    cache.invalidate(['apps']);
    expect((await col.get('a2'))?.name).toBe('Second');
  });

  it('lets no caller change what the next one reads', async () => {
    const col = cache.collection<App>(apps);
    const first = await col.get('a1');
    expect(() => first?.tags.push('changed by a caller')).toThrow(TypeError);
    const page = await col.find({});
    expect(() => page.items.pop()).toThrow(TypeError);
    expect((await col.get('a1'))?.tags).toEqual(['x']);
    expect((await col.find({})).items).toHaveLength(page.items.length);
  });

  it('reads other collections straight from the store', async () => {
    await put({ id: 'o1', name: 'One', tags: [] }, other);
    const col = cache.collection<App>(other);
    expect((await col.get('o1'))?.name).toBe('One');
    await put({ id: 'o1', name: 'Two', tags: [] }, other);
    expect((await col.get('o1'))?.name).toBe('Two');
  });

  it('does not keep an answer read before a change it learns of meanwhile', async () => {
    // An adapter whose reads take a while (MongoDB): the invalidation lands while the read is out.
    let release: (doc: App) => void = () => {};
    const slow: ReadCollection<Document> = {
      get: () => new Promise((resolve) => (release = (doc) => resolve(doc))),
      find: async () => ({ items: [], nextCursor: null }),
      count: async () => 0,
    };
    const inner = { collection: () => slow } as unknown as ReadStore;
    const slowCache = new ReadCache(inner, [apps]);
    const col = slowCache.collection<App>(apps);
    const reading = col.get('a1');
    slowCache.invalidate(['apps']);
    release({ id: 'a1', name: 'Before the change', tags: [] });
    expect((await reading)?.name).toBe('Before the change');
    // The next read goes to the store again rather than answering what was read before the change.
    const again = col.get('a1');
    release({ id: 'a1', name: 'After the change', tags: [] });
    expect((await again)?.name).toBe('After the change');
  });
  it('when a commit it has not heard of is pending, catches up first and answers from memory what that did not change', async () => {
    // Another connection committed (isFresh false): catching up tells which collections changed.
    let fresh = true;
    let changedOnCatchUp: string[] = [];
    let catchUps = 0;
    let storeReads = 0;
    const counting = {
      ...store,
      collection: (def: CollectionDef) => {
        const inner = store.collection(def);
        return { ...inner, get: (id: string) => (storeReads++, inner.get(id)), find: inner.find.bind(inner), count: inner.count.bind(inner) };
      },
    } as unknown as ReadStore;
    const watched: ReadCache = new ReadCache(counting, [apps], 100, () => fresh, async () => {
      catchUps++;
      watched.invalidate(changedOnCatchUp);
      fresh = true;
    });
    const col = watched.collection<App>(apps);
    expect((await col.get('a1'))?.name).toBe('First');
    expect(storeReads).toBe(1);

    // A commit that did not touch `apps` (a projection batch of deliveries): one catch-up, no store read.
    fresh = false;
    changedOnCatchUp = ['outbound'];
    expect((await col.get('a1'))?.name).toBe('First');
    expect([catchUps, storeReads]).toEqual([1, 1]);

    // A commit that renamed it: the catch-up forgets `apps`, the lookup reads the new document.
    await put({ id: 'a1', name: 'Renamed', tags: ['x'] });
    fresh = false;
    changedOnCatchUp = ['apps'];
    expect((await col.get('a1'))?.name).toBe('Renamed');
    expect([catchUps, storeReads]).toEqual([2, 2]);
  });
});
