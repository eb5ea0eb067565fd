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
