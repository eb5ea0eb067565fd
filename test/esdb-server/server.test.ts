import { EventStoreDBClient, BACKWARDS, END, FORWARDS, START, jsonEvent, streamNameFilter } from '@eventstore/db-client';
import type { AllStreamResolvedEvent } from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsdbTestServerProcess } from './launch';
import { DEFAULT_MAX_APPEND_SIZE, TEST_SERVER_VERSION, startEsdbTestServer } from './server';
import type { EsdbTestServer } from './server';

/** The EventStoreDB test server driven by the real `@eventstore/db-client`, on what the real server does. */
describe('EventStoreDB test server', () => {
  let server: EsdbTestServer;
  let client: EventStoreDBClient;

  beforeAll(async () => {
    server = await startEsdbTestServer();
    client = EventStoreDBClient.connectionString(server.url);
  });

  afterAll(async () => {
    await client?.dispose();
    await server?.stop();
  });

  it('tells the client its version and features (ServerFeatures), so the client appends in batches', async () => {
    const { serverVersion } = await (client as unknown as { capabilities: Promise<{ serverVersion: string }> }).capabilities;
    expect(serverVersion).toBe(TEST_SERVER_VERSION);
    const r = await client.appendToStream('features', [jsonEvent({ type: 'T', data: {} })]);
    expect(r.success).toBe(true);
  });

  it('gives positions that are log offsets: they jump by the size of the records, commit = prepare', async () => {
    const r = await client.appendToStream('offsets', [jsonEvent({ type: 'T', data: { pad: 'x'.repeat(500) } }), jsonEvent({ type: 'T', data: {} })]);
    const read: AllStreamResolvedEvent[] = [];
    for await (const e of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 2 })) read.push(e);
    const [second, first] = read.map((e) => e.event?.position);
    expect(second).toEqual(r.position);
    expect(first?.commit).toBe(first?.prepare);
    expect((second?.commit ?? 0n) - (first?.commit ?? 0n)).toBeGreaterThan(500n);
  });

  it('starts $all with a system record, and reads $all inclusive of its start position', async () => {
    const all: AllStreamResolvedEvent[] = [];
    for await (const e of client.readAll({ direction: FORWARDS, fromPosition: START, maxCount: 1 })) all.push(e);
    expect(all[0]?.event?.type.startsWith('$')).toBe(true);
    const at = all[0]?.event?.position;
    const again: AllStreamResolvedEvent[] = [];
    for await (const e of client.readAll({ direction: FORWARDS, fromPosition: at ?? START, maxCount: 1 })) again.push(e);
    expect(again[0]?.event?.position).toEqual(at);
  });

  it(`refuses an append over ${DEFAULT_MAX_APPEND_SIZE} bytes by default, as the real server does, and writes nothing of it`, async () => {
    const big = 'x'.repeat(300 * 1024);
    const events = Array.from({ length: 4 }, () => jsonEvent({ type: 'Big', data: { big } }));
    const error = await client.appendToStream('too-big', events).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ type: 'maximum-append-size-exceeded', maxAppendSize: DEFAULT_MAX_APPEND_SIZE });
    const rest = await client.appendToStream('too-big', events.slice(0, 3));
    expect(rest.nextExpectedRevision).toBe(2n);
  });

  it('checkpoints a filtered $all subscription every 32 events considered, times the interval multiplier', async () => {
    const prefix = `nothing-matches-${Date.now()}`;
    const subscribe = (checkpointInterval: number) => {
      const checkpoints: bigint[] = [];
      const sub = client.subscribeToAll({
        fromPosition: END,
        filter: streamNameFilter({ prefixes: [prefix], checkpointInterval, checkpointReached: (_s, p) => void checkpoints.push(p.commit) }),
      });
      sub.on('data', () => {});
      return { sub, checkpoints, caughtUp: new Promise<void>((resolve) => sub.once('caughtUp', () => resolve())) };
    };
    const every32 = subscribe(1);
    const every64 = subscribe(2);
    await Promise.all([every32.caughtUp, every64.caughtUp]);
    const before = { one: every32.checkpoints.length, two: every64.checkpoints.length };
    await client.appendToStream(`other-${prefix}`, Array.from({ length: 96 }, (_, i) => jsonEvent({ type: 'T', data: { i } })));
    const written: bigint[] = [];
    for await (const e of client.readStream(`other-${prefix}`)) written.push(e.event?.position?.commit ?? 0n);
    const deadline = Date.now() + 5_000;
    while (every32.checkpoints.length - before.one < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    expect(every32.checkpoints.slice(before.one)).toEqual([written[31], written[63], written[95]]);
    expect(every64.checkpoints.slice(before.two)).toEqual([written[63]]);
    await every32.sub.unsubscribe();
    await every64.sub.unsubscribe();
  });

  it('subscribes to one stream after a revision (exclusive), then live', async () => {
    const stream = `one-${Date.now()}`;
    await client.appendToStream(stream, [jsonEvent({ type: 'T', data: { n: 0 } }), jsonEvent({ type: 'T', data: { n: 1 } })]);
    const seen: bigint[] = [];
    const sub = client.subscribeToStream(stream, { fromRevision: 0n });
    sub.on('data', (e: { event?: { revision: bigint } }) => void seen.push(e.event?.revision ?? -1n));
    await client.appendToStream(`other-${stream}`, [jsonEvent({ type: 'T', data: {} })]);
    await client.appendToStream(stream, [jsonEvent({ type: 'T', data: { n: 2 } })]);
    const deadline = Date.now() + 5_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([1n, 2n]);
    await sub.unsubscribe();
  });

  it('runs as a child process that prints its URL', async () => {
    const child = await startEsdbTestServerProcess({ maxAppendSize: 1_000 });
    const other = EventStoreDBClient.connectionString(child.url);
    try {
      const error = await other.appendToStream('s', [jsonEvent({ type: 'T', data: { x: 'y'.repeat(2_000) } })]).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ type: 'maximum-append-size-exceeded', maxAppendSize: 1_000 });
    } finally {
      await other.dispose();
      await child.stop();
    }
  });
});
