import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError } from '@hookbase/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../cli/config';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';

// The embedded deployment runs the projections and the dispatcher each on a thread of its own
// (HOOKBASE_BACKGROUND_THREAD=worker, the default) or on the main thread (inline). Either way a send is delivered,
// and the API reads its own writes and shows the outcome.
describe('the background threads', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  /** Sends `count` messages and waits until every delivery reads `success` through the API. */
  const deliverThrough = async (hb: TestHookbase, count: number): Promise<void> => {
    const app = await hb.sdk.applications.create({ name: 'Threads' });
    // The restart test comes back to a data dir that already has it.
    await hb.sdk.eventTypes.create({ name: 'thread.event' }).catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error;
    });
    await hb.sdk.endpoints.create(app.id, { url: receiver.url });
    const sent = await Promise.all(Array.from({ length: count }, (_, n) => hb.sdk.messages.send(app.id, { eventType: 'thread.event', payload: { n } })));
    for (const message of sent) {
      const outboundId = message.outbound[0]?.id ?? '';
      await eventually(async () => (await hb.sdk.messages.getOutbound(app.id, outboundId)).status === 'success');
    }
    const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    for (const message of sent) expect(ids.has(message.id)).toBe(true);
  };

  /** Attempt outcomes appended through the main thread's own connection to events.db. */
  const outcomesAppendedHere = (hb: TestHookbase, before: number): number => {
    expect(hb.events).toBeInstanceOf(SqliteEventStore);
    return (hb.events as SqliteEventStore).stats().events - before;
  };

  it('by default runs them on worker threads: outcomes are appended by another connection, the read models follow', async () => {
    const hb = await startTestHookbase();
    try {
      const before = (hb.events as SqliteEventStore).stats().events;
      await deliverThrough(hb, 20);
      // The main thread appended the application, event type, endpoint and the 20 MessageSent, not the 20 outcomes.
      expect(outcomesAppendedHere(hb, before)).toBe(3 + 20);
      // The projections run there too: their status comes from their checkpoints.
      const status = await eventually(async () => {
        const res = await hb.request('GET', '/v1/admin/projections');
        const list = res.body as { name: string; lag: number; state: string }[];
        return list.every((p) => p.lag === 0 && p.state === 'running') ? list : undefined;
      });
      expect(status.map((p) => p.name)).toContain('outbound');
    } finally {
      await hb.stop();
    }
  });

  it('with HOOKBASE_BACKGROUND_THREAD=inline runs them on the main thread', async () => {
    const hb = await startTestHookbase({ env: { HOOKBASE_BACKGROUND_THREAD: 'inline' } });
    try {
      const before = (hb.events as SqliteEventStore).stats().events;
      await deliverThrough(hb, 20);
      expect(outcomesAppendedHere(hb, before)).toBe(3 + 20 + 20);
    } finally {
      await hb.stop();
    }
  });

  it('stops with the server and starts again on the same data dir', async () => {
    const hb = await startTestHookbase();
    await deliverThrough(hb, 3);
    await hb.stop({ keepData: true });
    const again = await startTestHookbase({ dataDir: hb.dataDir, apiKey: hb.apiKey });
    try {
      await deliverThrough(again, 3);
    } finally {
      await again.stop();
    }
  });

  it('copies what the WAL files hold into the database files from a thread of its own, so the WAL does not grow for ever', async () => {
    const hb = await startTestHookbase();
    try {
      const sizes = () => ({ db: statSync(join(hb.dataDir, 'events.db')).size, wal: statSync(join(hb.dataDir, 'events.db-wal')).size });
      const before = sizes().db;
      await deliverThrough(hb, 200);
      // No commit on any thread checkpoints: only the checkpoint thread moves pages into the database file.
      const after = await eventually(async () => (sizes().db > before + 64 * 1024 ? sizes() : undefined));
      expect(after.db).toBeGreaterThan(before + 64 * 1024);
    } finally {
      await hb.stop();
    }
  });

  it('refuses an unknown HOOKBASE_BACKGROUND_THREAD, naming the variable and the values it takes', () => {
    expect(loadConfig({}).backgroundThread).toBe('worker');
    expect(() => loadConfig({ HOOKBASE_BACKGROUND_THREAD: 'threads' })).toThrow(ConfigError);
    expect(() => loadConfig({ HOOKBASE_BACKGROUND_THREAD: 'threads' })).toThrow(/HOOKBASE_BACKGROUND_THREAD must be worker or inline \(got "threads"\)/);
  });
});
