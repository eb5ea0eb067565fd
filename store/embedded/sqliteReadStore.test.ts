import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidCursorError, type CollectionDef, type Document } from '../readStore';
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

readStoreContract('embedded SQLite (file)', async () => SqliteReadStore.open(tempFile()));

type Counter = Document & { id: string; value: number };

describe('SqliteReadStore', () => {
  const def: CollectionDef = { name: 'things', indexes: ['kind', 'rank'], unique: ['slug'] };

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

  it('uses the expression indexes for filtered, ordered and paged queries', async () => {
    const file = tempFile();
    const store = SqliteReadStore.open(file);
    await store.transaction(async (tx) => {
      const c = tx.collection(def);
      for (let i = 0; i < 200; i++) await c.put({ id: `t${i}`, kind: `k${i % 4}`, rank: i % 10 });
    });
    await store.close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file, { readonly: true });
    const plan = (sql: string): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
    const rank = "json_extract(doc, '$.rank')";
    expect(plan(`SELECT id FROM rm_things WHERE ${rank} > 3 ORDER BY ${rank}, id`)).toMatch(/rm_things__i__rank/);
    const after = `SELECT id, doc FROM rm_things WHERE ${rank} >= 3 AND (${rank} > 3 OR id > 't1') ORDER BY ${rank}, id`;
    expect(plan(after)).toMatch(/SEARCH rm_things USING (COVERING )?INDEX rm_things__i__rank/);
    expect(plan(after)).not.toMatch(/TEMP B-TREE/);
    expect(plan(`SELECT id FROM rm_things WHERE json_extract(doc, '$.kind') = 'k1'`)).toMatch(/rm_things__i__kind/);
    db.close();
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
