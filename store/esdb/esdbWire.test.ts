import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsdbTestServer } from '../../test/esdb-server/server';
import type { EsdbTestServer } from '../../test/esdb-server/server';
import type { Context } from 'koa';
import { errorMiddleware } from '../../api/errors';
import { DomainError } from '../../domain/errors';
import { messageDecider } from '../../domain/message/decide';
import type { OutboundRef } from '../../domain/message/message';
import { streams } from '../../domain/streams';
import { handleCommand } from '../commandHandler';
import { AppendTooLargeError } from '../eventStore';
import { EsdbEventStore } from './esdbEventStore';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectionStatusFromCheckpoints } from '../../projections/runner';
import type { Projection } from '../../projections/projection';
import { SqliteReadStore } from '../embedded/sqliteReadStore';
import { positionToString } from '../eventStore';

/**
 * The EventStoreDB adapter over the real client and the wire (the EventStoreDB test server, test/esdb-server):
 * defects a client faked at its edge could not show.
 */

const withinMs = async <T>(ms: number, what: string, p: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
};

describe('EventStoreDB adapter on the wire: reads left early', () => {
  let server: EsdbTestServer;
  beforeAll(async () => {
    server = await startEsdbTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  // The client's dispose() waits for every read stream to finish; a read whose iterator was left before the
  // server's answer was consumed never finishes (its buffered answer is never read), and close() hung forever.
  it('close() resolves after headPosition, readAll and readStream were left before their end', async () => {
    const store = await EsdbEventStore.connect(server.url);
    const s = `early-${Date.now()}`;
    await store.appendToStream(s, [{ type: 'T', data: { n: 0 } }, { type: 'T', data: { n: 1 } }]);
    // The last record of $all is one projections see: headPosition leaves the read at its first record.
    await store.headPosition();
    await store.appendToStream(`${s}-sys`, [{ type: '$system', data: {} }]);
    await store.headPosition();
    for await (const e of store.readAll({ filter: { streamNamePrefixes: [s] } })) {
      expect(e.streamId).toBe(s);
      break;
    }
    for await (const e of store.readStream(s)) {
      expect(e.revision).toBe(0n);
      break;
    }
    await withinMs(5_000, 'close()', store.close());
  });
});

describe('EventStoreDB adapter on the wire: catch-up batches', () => {
  let server: EsdbTestServer;
  beforeAll(async () => {
    server = await startEsdbTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  // The server checkpoints a filtered subscription every 32 events; the subscription used to wait, inside the
  // client's checkpointReached, for the handler to go idle, so the client stopped reading and each batch held
  // about 32 events, however slow the handler (a projection commits a transaction per batch).
  it('fills a batch while the previous one is handled, across the server checkpoints', async () => {
    const store = await EsdbEventStore.connect(server.url);
    const p = `batches-${Date.now()}`;
    for (let i = 0; i < 8; i++) await store.appendToStream(`${p}-${i}`, Array.from({ length: 80 }, (_, n) => ({ type: 'T', data: { n } })));
    const batches: number[] = [];
    let received = 0;
    const sub = store.subscribeToAll(
      { filter: { streamNamePrefixes: [p] } },
      {
        onEvents: async (events) => {
          batches.push(events.length);
          received += events.length;
          // A batch's commit: long enough for the client to bring in far more than 32 events meanwhile.
          await new Promise((resolve) => setTimeout(resolve, 250));
        },
        // A handler with checkpoints, as the projections' (they record them).
        onCheckpoint: async () => {},
      },
    );
    const deadline = Date.now() + 20_000;
    while (received < 640 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await sub.stop();
    expect(received).toBe(640);
    // 640 events at ~32 a batch took 20 batches (8 s of handler at 250 ms each); filling up while a batch commits, a few.
    expect(Math.max(...batches)).toBeGreaterThan(64);
    expect(batches.length).toBeLessThanOrEqual(12);
    await store.close();
  });
});

describe('EventStoreDB adapter on the wire: the maximum append size', () => {
  let server: EsdbTestServer;
  beforeAll(async () => {
    // The real server's default, 1 MiB (the test server enforces it as v24.10 does).
    server = await startEsdbTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const send = (store: EsdbEventStore, deliveries: number) => {
    const messageId = `msg_${Date.now()}_${deliveries}`;
    const outbound: OutboundRef[] = Array.from({ length: deliveries }, (_, i) => ({
      outboundId: `out_${i}`,
      endpointId: `ep_${i}`,
      endpointUrl: `https://receiver.example/${'p'.repeat(1_900)}/${i}`,
      maxAttempts: 8,
    }));
    // A payload at the API's body limit (256 KiB).
    const payload = { blob: 'x'.repeat(255 * 1024) };
    return handleCommand(store, streams.message(messageId), messageDecider, {
      type: 'SendMessage',
      data: { messageId, applicationId: 'app_1', eventType: 'big.event', payload, eventId: null, outbound },
      metadata: { now: new Date().toISOString() },
    }, { expectedRevision: 'no_stream' });
  };

  // A MessageSent carries its payload and one entry per delivery: 256 KiB with 400 deliveries passes 1 MiB, and the
  // client's MaxAppendSizeExceededError went through as an unknown error, a 500.
  it('refuses a message too large for one write with a validation error naming the limit (a 422), and takes a smaller one', async () => {
    const store = await EsdbEventStore.connect(server.url);
    try {
      expect((await send(store, 10)).events).toHaveLength(1);
      const error = await send(store, 400).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppendTooLargeError);
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ kind: 'validation', code: 'write_too_large', maxAppendSize: 1_048_576 });
      expect((error as Error).message).toContain('at most 1024 KiB (1048576 bytes) in one write');
      // What the API answers with it.
      const ctx = { state: { requestId: 'req_1' }, path: '/v1/app/app_1/msg', method: 'POST', status: 0, body: undefined as unknown, set: () => {} };
      await errorMiddleware(() => {})(ctx as unknown as Context, async () => {
        throw error;
      });
      expect(ctx.status).toBe(422);
      expect(ctx.body).toMatchObject({ error: { code: 'write_too_large', details: [{ field: 'body', rule: 'max_append_size' }] } });
    } finally {
      await store.close();
    }
  });
});

describe('EventStoreDB adapter on the wire: lag in events', () => {
  let server: EsdbTestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startEsdbTestServer();
    dir = mkdtempSync(join(tmpdir(), 'hookbase-esdb-lag-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Commit positions are log offsets: head minus checkpoint was a number of bytes (here thousands for 5 events),
  // reported as hookbase_projection_lag_events and the admin API's `lag`.
  it("a projection's lag counts the events after its checkpoint, not the bytes between positions", async () => {
    const store = await EsdbEventStore.connect(server.url);
    const reads = SqliteReadStore.open(join(dir, 'reads.db'));
    try {
      const at = await store.appendToStream(`lag-${Date.now()}`, [{ type: 'T', data: { n: 0 } }]);
      await reads.transaction(async (tx) => tx.setCheckpoint('messages', positionToString(at.position)));
      const projection = { name: 'messages', collections: [], handles: new Set(), apply: async () => {} } as unknown as Projection;
      expect((await projectionStatusFromCheckpoints(store, reads, [projection], true))[0]).toMatchObject({ lag: 0, state: 'running' });
      await store.appendToStream(`lag-${Date.now()}`, Array.from({ length: 5 }, (_, n) => ({ type: 'T', data: { n, pad: 'x'.repeat(200) } })));
      // System records between them are not the projections' to see.
      await store.appendToStream(`lag-sys-${Date.now()}`, [{ type: '$system', data: {} }]);
      expect((await projectionStatusFromCheckpoints(store, reads, [projection], true))[0]).toMatchObject({ lag: 5, state: 'catching_up' });
    } finally {
      await reads.close();
      await store.close();
    }
  });
});
