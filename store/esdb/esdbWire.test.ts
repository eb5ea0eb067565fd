import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsdbTestServer } from '../../test/esdb-server/server';
import type { EsdbTestServer } from '../../test/esdb-server/server';
import { EsdbEventStore } from './esdbEventStore';

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
