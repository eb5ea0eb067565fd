// The bounded search scan of the compat lists, against the real embedded read store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteReadStore } from '../../store/embedded/sqliteReadStore';
import type { CollectionDef } from '../../store/readStore';
import { scanPage, SCAN_BUDGET } from './wire';

type Doc = { id: string; name: string; kind: string; flag: boolean; createdAt: string };
const def: CollectionDef = { name: 'paging_docs', indexes: [{ equal: ['kind'] }, { equal: ['kind'], sort: 'createdAt' }, { equal: [], sort: 'createdAt' }] };

let store: SqliteReadStore;
const N = 2_600;

beforeAll(async () => {
  store = await SqliteReadStore.open(':memory:');
  await store.transaction(async (tx) => {
    const c = tx.collection<Doc>(def);
    for (let i = 0; i < N; i++) {
      const n = String(i).padStart(5, '0');
      // "needle" in two names only: one early, one past the scan budget
      const name = i === 5 || i === 2_500 ? `Needle ${n}` : `hay ${n}`;
      await c.put({ id: `d_${n}`, name, kind: i % 2 === 0 ? 'even' : 'odd', flag: i % 3 === 0, createdAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() });
    }
  });
});

afterAll(async () => {
  await store.close();
});

const shape = (d: Doc) => d.id;

describe('scanPage', () => {
  it('reads at most the budget, answers a short page with a cursor that carries on, and finds the rare match on the next page', async () => {
    const docs = store.collection<Doc>(def);
    const keep = (d: Doc) => d.name.toLowerCase().includes('needle');
    const first = await scanPage(docs, {}, 'asc', { limit: 10 }, keep, shape);
    expect(first.data).toEqual(['d_00005']);
    expect(first.pagination.hasMore).toBe(true);
    expect(SCAN_BUDGET).toBeLessThan(2_500);
    const second = await scanPage(docs, {}, 'asc', { limit: 10, cursor: first.pagination.nextCursor ?? '' }, keep, shape);
    expect(second.data).toEqual(['d_02500']);
    expect(second.pagination).toEqual({ hasMore: false, nextCursor: null });
  });

  it('pages exactly through an indexed filter, newest first', async () => {
    const docs = store.collection<Doc>(def);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await scanPage(docs, { kind: 'odd' }, 'desc', { limit: 100, cursor }, () => true, shape);
      seen.push(...(page.data as string[]));
      cursor = page.pagination.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(N / 2);
    expect(seen[0]).toBe(`d_${String(N - 1).padStart(5, '0')}`);
    expect(new Set(seen).size).toBe(seen.length);
  });
});

