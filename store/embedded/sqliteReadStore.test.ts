import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidCursorError, type CollectionDef, type Document, type FindOptions } from '../readStore';
import { readStoreContract } from '../readStore.contract';
import { SqliteReadStore } from './sqliteReadStore';

const files: string[] = [];
const tempFile = (): string => {
  const file = join(tmpdir(), `hookbase-readstore-${randomBytes(6).toString('hex')}.sqlite`);
  files.push(file);
  return file;
};

afterAll(() => {
  for (const file of files) for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
});

let contractFile: string | null = null;
readStoreContract('embedded SQLite (file)', async () => SqliteReadStore.open((contractFile = tempFile())), {
  retryingStore: async () => SqliteReadStore.open(contractFile ?? tempFile(), { rehearseTransactions: true }),
  secondaryIndexCount: async (_store, name) => {
    const db = new Database(contractFile ?? '', { readonly: true });
    try {
      return (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND name GLOB ?").get(`rm_${name}__i__*`) as { n: number }).n;
    } finally {
      db.close();
    }
  },
});

type Counter = Document & { id: string; value: number };

describe('SqliteReadStore', () => {
  const def: CollectionDef = {
    name: 'things',
    indexes: [{ equal: ['kind'], sort: 'rank' }, { equal: ['kind'] }, { equal: [], sort: 'rank' }],
    unique: ['slug'],
  };

  it('stores new collections compactly (no rowid, binary JSON) and still reads a table written by an earlier version', async () => {
    type Thing = Document & { id: string; kind: string; rank: number; slug: string | null; flag: boolean };
    const file = tempFile();
    // An earlier version's table: rowid, the document as JSON text.
    const old = new Database(file);
    old.exec('CREATE TABLE rm_things (id TEXT PRIMARY KEY, doc TEXT NOT NULL)');
    old.prepare('INSERT INTO rm_things (id, doc) VALUES (?, ?)').run('a', JSON.stringify({ id: 'a', kind: 'k', rank: 2, slug: 'x', flag: true }));
    old.close();

    const store = SqliteReadStore.open(file);
    await store.transaction(async (tx) => {
      await tx.collection<Thing>(def).put({ id: 'b', kind: 'k', rank: 1, slug: null, flag: false });
      await tx.collection<Thing>({ ...def, name: 'fresh' }).put({ id: 'c', kind: 'k', rank: 1, slug: null, flag: false });
    });
    const things = store.collection<Thing>(def);
    expect(await things.get('a')).toEqual({ id: 'a', kind: 'k', rank: 2, slug: 'x', flag: true });
    expect((await things.find({ where: { kind: 'k' }, orderBy: { key: 'rank', direction: 'asc' } })).items.map((t) => t.id)).toEqual(['b', 'a']);
    await store.close();
    const raw = new Database(file, { readonly: true });
    const tableSql = (name: string): string => (raw.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(name) as { sql: string }).sql;
    expect(tableSql('rm_fresh')).toMatch(/WITHOUT ROWID$/);
    expect(tableSql('rm_things')).not.toMatch(/WITHOUT ROWID/); // kept as it was until a rebuild replaces it
    const types = raw.prepare("SELECT id, typeof(doc) AS type FROM rm_things ORDER BY id").all();
    expect(types).toEqual([{ id: 'a', type: 'text' }, { id: 'b', type: 'blob' }]);
    raw.close();
  });

  it('keeps documents, indexes and checkpoints across close and reopen', async () => {
    const file = tempFile();
    const first = SqliteReadStore.open(file);
    await first.transaction(async (tx) => {
      const c = tx.collection(def);
      for (let i = 0; i < 30; i++) await c.put({ id: `t${i}`, kind: i % 2 ? 'odd' : 'even', rank: i, slug: `s${i}` });
      await tx.setCheckpoint('things', '30');
    });
    await first.close();
    await first.close();
    await expect(first.getCheckpoint('things')).rejects.toThrow(/closed/);

    const second = SqliteReadStore.open(file);
    const c = second.collection(def);
    expect(await second.getCheckpoint('things')).toBe('30');
    expect(await c.get('t7')).toEqual({ id: 't7', kind: 'odd', rank: 7, slug: 's7' });
    expect(await c.count({ kind: 'even' })).toBe(15);
    const query = { where: { kind: 'odd' }, orderBy: { key: 'rank', direction: 'desc' }, limit: 3 } as const;
    const page = await c.find(query);
    expect(page.items.map((d) => d.id)).toEqual(['t29', 't27', 't25']);
    const next = await c.find({ ...query, cursor: page.nextCursor ?? '' });
    expect(next.items.map((d) => d.id)).toEqual(['t23', 't21', 't19']);
    const duplicate = second.transaction(async (tx) => tx.collection(def).put({ id: 'dup', slug: 's3' }));
    await expect(duplicate).rejects.toMatchObject({ name: 'UniqueConstraintError', field: 'slug' });
    await second.close();
  });

  it('serialises transactions: concurrent read-modify-write loses no update', async () => {
    const store = SqliteReadStore.open(tempFile());
    const counters: CollectionDef = { name: 'counters', indexes: [] };
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.transaction(async (tx) => {
          const c = tx.collection<Counter>(counters);
          const current = (await c.get('c'))?.value ?? 0;
          await new Promise((resolve) => setTimeout(resolve, 1));
          await c.put({ id: 'c', value: current + 1 });
          order.push(i);
        }),
      ),
    );
    expect(await store.collection<Counter>(counters).get('c')).toEqual({ id: 'c', value: 20 });
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await store.close();
  });

  it('rejects a tampered cursor or one from another order, and a transaction used after it ended', async () => {
    const store = SqliteReadStore.open(tempFile());
    let leaked: ((id: string) => Promise<unknown>) | undefined;
    await store.transaction(async (tx) => {
      const c = tx.collection(def);
      for (let i = 0; i < 5; i++) await c.put({ id: `t${i}`, rank: i });
      leaked = (id) => c.get(id);
    });
    const c = store.collection(def);
    const page = await c.find({ orderBy: { key: 'rank', direction: 'asc' }, limit: 2 });
    const cursor = page.nextCursor ?? '';
    const desc = { key: 'rank', direction: 'desc' } as const;
    await expect(c.find({ orderBy: desc, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(c.find({ cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(c.find({ orderBy: { key: 'rank', direction: 'asc' }, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(leaked?.('t1')).rejects.toThrow(/transaction is over/);
    await store.close();
  });

  it('reads list pages through the compound index: no full SCAN, no TEMP B-TREE for ORDER BY, first page or after a cursor', async () => {
    const store = SqliteReadStore.open(tempFile());
    await store.transaction(async (tx) => {
      const c = tx.collection(def);
      for (let i = 0; i < 2000; i++) await c.put({ id: `t${String(i).padStart(4, '0')}`, kind: `k${i % 4}`, ...(i % 7 ? { rank: i % 10 } : {}) });
    });
    const c = store.collection(def);
    const plans: string[] = [];
    const check = (options: FindOptions, index: RegExp): void => {
      for (const plan of store.explainFind(def, options)) {
        const text = plan.join('; ');
        plans.push(text);
        expect(text).toMatch(index);
        expect(text).not.toMatch(/TEMP B-TREE/);
        for (const line of plan) expect(line).toMatch(/^(SEARCH|SCAN) rm_things USING (COVERING )?INDEX/);
      }
    };
    for (const direction of ['asc', 'desc'] as const) {
      const page = { where: { kind: 'k1' }, orderBy: { key: 'rank', direction }, limit: 20 } as const;
      check(page, /SEARCH rm_things USING INDEX rm_things__i__kind__rank/);
      check({ ...page, range: { key: 'rank', gte: 2, lt: 8 } }, /rm_things__i__kind__rank/);
      // Pages after a cursor: in the null ranks, then among the non-null ones.
      let cursor = (await c.find(page)).nextCursor;
      for (let n = 0; n < 8 && cursor; n++) {
        check({ ...page, cursor }, /SEARCH rm_things USING INDEX rm_things__i__kind__rank/);
        cursor = (await c.find({ ...page, cursor, limit: 60 })).nextCursor;
      }
      check({ orderBy: { key: 'rank', direction }, limit: 5 }, /rm_things__i____rank/);
      check({ where: { kind: 'k2' }, orderBy: { key: 'id', direction }, limit: 5 }, /rm_things__i__kind/);
    }
    expect(plans.length).toBeGreaterThan(20);
    await store.close();
  });

  it('drops the indexes a collection no longer declares when reopened, and keeps both sets of two definitions in one process', async () => {
    const file = tempFile();
    const indexesOf = async (): Promise<string[]> => {
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rm_things'").all() as { name: string }[])
          .map((r) => r.name)
          .filter((n) => n.includes('__i__'))
          .sort();
      } finally {
        db.close();
      }
    };
    const first = SqliteReadStore.open(file);
    await first.transaction(async (tx) => tx.collection(def).put({ id: 'a', kind: 'x', rank: 1 }));
    await first.close();
    expect(await indexesOf()).toEqual(['rm_things__i____rank', 'rm_things__i__kind', 'rm_things__i__kind__rank']);
    const narrower: CollectionDef = { name: 'things', indexes: [{ equal: ['kind'] }] };
    const other: CollectionDef = { name: 'things', indexes: [{ equal: ['slug'] }] };
    const second = SqliteReadStore.open(file);
    await second.transaction(async (tx) => tx.collection(narrower).put({ id: 'b', kind: 'y' }));
    await second.transaction(async (tx) => tx.collection(other).put({ id: 'c', slug: 'c' }));
    await second.transaction(async (tx) => tx.collection(narrower).put({ id: 'd', kind: 'y' }));
    await second.close();
    expect(await indexesOf()).toEqual(['rm_things__i__kind', 'rm_things__i__slug']);
  });

  it('swaps a rebuilt table in under the live name with its indexes named for it, in one commit a reader sees whole', async () => {
    const file = tempFile();
    const store = SqliteReadStore.open(file);
    const shadow: CollectionDef = { ...def, name: 'shadow__things' };
    const other = { name: 'others', indexes: [] } as const satisfies CollectionDef;
    await store.transaction(async (tx) => {
      await tx.collection(def).put({ id: 'old', kind: 'even', rank: 1, slug: 'old' });
      await tx.collection(other).put({ id: 'old' });
      await tx.collection(shadow).put({ id: 'new', kind: 'even', rank: 2, slug: 'new' });
      await tx.collection({ ...other, name: 'shadow__others' }).put({ id: 'new' });
    });
    // Another connection on the file (another process): it never sees one table swapped and the other not.
    const reader = new Database(file, { readonly: true });
    const seen = new Set<string>();
    const look = (): void => {
      const things = (reader.prepare('SELECT id FROM rm_things').all() as { id: string }[]).map((r) => r.id).join();
      const others = (reader.prepare('SELECT id FROM rm_others').all() as { id: string }[]).map((r) => r.id).join();
      seen.add(`${things}|${others}`);
    };
    look();
    await store.replaceCollections(
      [
        { from: 'shadow__things', to: 'things' },
        { from: 'shadow__others', to: 'others' },
      ],
      async (tx) => {
        look();
        await tx.setCheckpoint('things', '7');
      },
    );
    look();
    expect([...seen]).toEqual(['old|old', 'new|new']);
    const indexes = (reader.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(indexes.filter((n) => n.includes('shadow'))).toEqual([]);
    expect(indexes.filter((n) => n.startsWith('rm_things__'))).toHaveLength(def.indexes.length + 1);
    for (const plan of store.explainFind(def, { where: { kind: 'even' }, orderBy: { key: 'rank', direction: 'asc' } })) {
      expect(plan.join('\n')).toContain('rm_things__i__kind__rank');
    }
    reader.close();
    await store.close();
  });

  it('reads a collection another process dropped as empty, then sees it again once it is written anew', async () => {
    // Two stores on one file, as two processes of one data dir (e.g. `projections reset` in another process while
    // an API answers): the first had made and read the table before the other one dropped it.
    const file = tempFile();
    const api = SqliteReadStore.open(file);
    const other = SqliteReadStore.open(file);
    await api.transaction(async (tx) => {
      await tx.collection(def).put({ id: 'a', kind: 'x', rank: 1, slug: 'a' });
    });
    expect(await api.collection(def).get('a')).toMatchObject({ id: 'a' });
    expect((await api.collection(def).find({ where: { kind: 'x' }, orderBy: { key: 'rank', direction: 'asc' } })).items).toHaveLength(1);

    await other.dropCollection(def.name);
    expect(await api.collection(def).get('a')).toBeNull();
    expect(await api.collection(def).count({ kind: 'x' })).toBe(0);
    expect(await api.collection(def).find({ where: { kind: 'x' }, orderBy: { key: 'rank', direction: 'asc' } })).toEqual({ items: [], nextCursor: null });

    await other.transaction(async (tx) => {
      await tx.collection(def).put({ id: 'b', kind: 'x', rank: 2, slug: 'b' });
    });
    expect(await api.collection(def).get('b')).toMatchObject({ id: 'b' });
    expect((await api.collection(def).find({ where: { kind: 'x' }, orderBy: { key: 'rank', direction: 'asc' } })).items.map((d) => d.id)).toEqual(['b']);

    // And this process, which had created the table, writes it again after another drop.
    await other.dropCollection(def.name);
    expect(await api.collection(def).count({ kind: 'x' })).toBe(0);
    await api.transaction(async (tx) => {
      await tx.collection(def).put({ id: 'c', kind: 'x', rank: 3, slug: 'c' });
    });
    expect((await other.collection(def).find({ where: { kind: 'x' }, orderBy: { key: 'rank', direction: 'asc' } })).items.map((d) => d.id)).toEqual(['c']);
    await api.close();
    await other.close();
  });

  it('works in memory with a single connection', async () => {
    const store = SqliteReadStore.open(':memory:');
    await store.transaction(async (tx) => {
      await tx.collection(def).put({ id: 'a', kind: 'x', rank: 1 });
      await tx.setCheckpoint('p', '1');
    });
    await expect(
      store.transaction(async (tx) => {
        await tx.collection({ name: 'gone', indexes: [] }).put({ id: 'b' });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await store.collection(def).count({ kind: 'x' })).toBe(1);
    expect(await store.collection({ name: 'gone', indexes: [] }).get('b')).toBeNull();
    expect(await store.getCheckpoint('p')).toBe('1');
    await store.close();
  });
});
