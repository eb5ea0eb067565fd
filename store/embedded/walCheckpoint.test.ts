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

  it('lets the WAL grow until asked, copies it, and after a restart the WAL starts over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookbase-wal-'));
    dirs.push(dir);
    const store = SqliteEventStore.open(join(dir, 'events.db'), { autoCheckpoint: false });
    // A reader in another connection keeps the file busy, as the other threads do.
    const reader = SqliteEventStore.open(join(dir, 'events.db'));
    try {
      const big = { text: 'x'.repeat(3_000) };
      await Promise.all(Array.from({ length: 3_000 }, (_, i) => store.appendToStream(`s-${i % 50}`, [{ type: 'T', data: big }])));
      const passive = store.checkpointWal('passive');
      expect(passive.walPages).toBeGreaterThan(1000); // SQLite alone would have checkpointed at 1000 pages
      expect(passive.copied).toBe(passive.walPages);

      store.checkpointWal('restart');
      await store.appendToStream('s-after', [{ type: 'T', data: { n: 1 } }]);
      // The next writer started the WAL over: it holds the last commit only.
      expect(store.checkpointWal('passive').walPages).toBeLessThan(20);
      expect((await reader.headPosition()).commit).toBe(3_001n); // nothing lost: 3,000 and the one after
    } finally {
      await reader.close();
      await store.close();
    }
  });
});
