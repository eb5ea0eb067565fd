import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../cli/config';
import { SqliteEventStore } from '../../store/embedded/sqliteEventStore';
import { startTestHookbase } from '../harness';

/** SQLite's own answer for a connection: 2 = FULL (fsync at every commit), 1 = NORMAL (at checkpoints only). */
const synchronousOf = (store: unknown): number => (store as { db: Database.Database }).db.pragma('synchronous', { simple: true }) as number;

// A 202 means durable: the event store fsyncs each group commit by default, as EventStoreDB acknowledges only what
// is on disk; the read models stay NORMAL (they are rebuilt from the log). HOOKBASE_EVENTS_SYNC=normal trades it.
describe('durability of the embedded event store', () => {
  it('commits with synchronous = FULL by default (the read models keep NORMAL: sqliteReadStore.ts)', async () => {
    expect(loadConfig({}).eventsSync).toBe('FULL');
    const hb = await startTestHookbase();
    try {
      expect(synchronousOf(hb.events)).toBe(2);
    } finally {
      await hb.stop();
    }
  });

  it('trades it for speed with HOOKBASE_EVENTS_SYNC=normal, and refuses other values', async () => {
    expect(loadConfig({ HOOKBASE_EVENTS_SYNC: 'normal' }).eventsSync).toBe('NORMAL');
    expect(loadConfig({ HOOKBASE_EVENTS_SYNC: 'FULL' }).eventsSync).toBe('FULL');
    expect(() => loadConfig({ HOOKBASE_EVENTS_SYNC: 'off' })).toThrow(ConfigError);
    expect(() => loadConfig({ HOOKBASE_EVENTS_SYNC: 'off' })).toThrow('HOOKBASE_EVENTS_SYNC must be full or normal (got "off").');
    const hb = await startTestHookbase({ env: { HOOKBASE_EVENTS_SYNC: 'normal' } });
    try {
      expect(synchronousOf(hb.events)).toBe(1);
    } finally {
      await hb.stop();
    }
  });

  it('opens a store on its own with FULL unless told otherwise', () => {
    const full = SqliteEventStore.open(':memory:');
    const normal = SqliteEventStore.open(':memory:', { synchronous: 'NORMAL' });
    try {
      expect(synchronousOf(full)).toBe(2);
      expect(synchronousOf(normal)).toBe(1);
    } finally {
      void full.close();
      void normal.close();
    }
  });
});
