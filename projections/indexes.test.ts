import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryLeases } from '../dispatcher/leases';
import type { CollectionDef, Document, FindOptions } from '../store/readStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { collections } from './readModels';

/**
 * Every declared index of every read model serves its query shape on the embedded store: the first page and a
 * page after a cursor are index seeks or in-order index scans, with no full SCAN of the table and no TEMP B-TREE
 * to sort (EXPLAIN QUERY PLAN of the very statements the adapter runs).
 */
const defs: CollectionDef[] = [...Object.values(collections), deliveryLeases];

describe('read model indexes on the embedded store', () => {
  let store: SqliteReadStore;
  beforeAll(() => {
    store = SqliteReadStore.open(':memory:');
  });
  afterAll(() => store.close());

  const shapes = defs.flatMap((def) => def.indexes.map((index) => ({ def, index })));

  it.each(shapes.map((s) => [`${s.def.name} (${s.index.equal.join(', ')}) by ${s.index.sort ?? 'id'}`, s] as const))('%s', async (_, { def, index }) => {
    const sort = index.sort ?? 'id';
    // Documents that match the equality keys, with a sort value each (and one that does not match).
    const doc = (i: number, value: string): Document => ({
      id: `d${i}`,
      ...Object.fromEntries(index.equal.map((key) => [key, value])),
      ...(sort === 'id' ? {} : { [sort]: `2026-01-0${i}T00:00:00.000Z` }),
    });
    await store.transaction(async (tx) => {
      const c = tx.collection(def);
      for (let i = 1; i <= 4; i++) await c.put(doc(i, i === 4 ? 'other' : 'v'));
    });
    const where = Object.fromEntries(index.equal.map((key) => [key, 'v']));
    const queries: FindOptions[] = [];
    for (const direction of ['asc', 'desc'] as const) {
      const base: FindOptions = { where, orderBy: { key: sort, direction }, limit: 1 };
      const first = await store.collection(def).find(base);
      expect(first.items).toHaveLength(1);
      expect(first.nextCursor).not.toBeNull();
      queries.push(base, { ...base, cursor: first.nextCursor ?? '' });
      if (sort !== 'id') queries.push({ ...base, range: { key: sort, gte: '2026-01-02', lte: '2026-12-31' } });
    }
    for (const query of queries) {
      for (const plan of store.explainFind(def, query)) {
        const text = plan.join('; ');
        expect(text, JSON.stringify(query)).not.toMatch(/TEMP B-TREE/);
        for (const line of plan) expect(line, JSON.stringify(query)).toMatch(/^(SEARCH|SCAN) \S+ USING (COVERING )?(INDEX|INTEGER PRIMARY KEY|PRIMARY KEY)/);
      }
    }
    await store.dropCollection(def.name);
  });
});
