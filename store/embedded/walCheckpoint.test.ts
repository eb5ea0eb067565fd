import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from './sqliteEventStore';

describe('checkpointWal (a store whose commits do not checkpoint)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** One commit per append, so that SQLite's own checkpoint (at 1000 pages) would have run many times. */
  const fill = async (autoCheckpoint: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'hookbase-wal-'));
    dirs.push(dir);
    const store = SqliteEventStore.open(join(dir, 'events.db'), { autoCheckpoint });
    for (let i = 0; i < 1_500; i++) await store.appendToStream(`s-${i % 50}`, [{ type: 'T', data: { text: 'x'.repeat(3_000) } }]);
    return store;
  };

  it('leaves the WAL to grow until asked, then copies all of it', async () => {
    const store = await fill(false);
    try {
      const passive = store.checkpointWal('passive');
      expect(passive.walPages).toBeGreaterThan(2_000);
      expect(passive.copied).toBe(passive.walPages);
      expect((await store.headPosition()).commit).toBe(1_500n);
    } finally {
      await store.close();
    }
  });

  it('by default SQLite checkpoints on commit and the WAL stays near 1000 pages', async () => {
    const store = await fill(true);
    try {
      expect(store.checkpointWal('passive').walPages).toBeLessThan(1_100);
    } finally {
      await store.close();
    }
  });
});
