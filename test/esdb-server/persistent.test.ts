import { EventStoreDBClient, jsonEvent, persistentSubscriptionToAllSettingsFromDefaults, streamNameFilter } from '@eventstore/db-client';
import type { PersistentSubscriptionToAll, PersistentSubscriptionToAllResolvedEvent, Position } from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsdbTestServer } from './server';
import type { EsdbTestServer } from './server';

/**
 * The test server's persistent subscriptions, driven by the real client, on the cases where the real server's
 * behaviour matters to Hookbase (KurrentDB v24.10 PersistentSubscription.cs, OutstandingMessage.cs,
 * PersistentSubscriptions.Read.cs).
 */

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const waitFor = async (what: string, done: () => boolean, ms = 5_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
};

type Delivery = Readonly<{ id: string; retryCount: number; position: Position | undefined; linkId: string | undefined; streamId: string }>;

/** A consumer that records each delivery and answers it with `answer`. */
const consume = (sub: PersistentSubscriptionToAll, answer: (r: PersistentSubscriptionToAllResolvedEvent) => Promise<void> | void) => {
  const got: Delivery[] = [];
  sub.on('error', () => {});
  sub.on('data', (r: PersistentSubscriptionToAllResolvedEvent) => {
    got.push({ id: r.event?.id ?? '', retryCount: r.retryCount, position: r.event?.position, linkId: r.link?.id, streamId: r.event?.streamId ?? '' });
    void answer(r);
  });
  return got;
};

describe('EventStoreDB test server: persistent subscriptions to $all', () => {
  let server: EsdbTestServer;
  let client: EventStoreDBClient;
  let n = 0;
  const unique = (): string => `p${Date.now()}-${n++}`;
  const create = async (group: string, prefix: string, settings: Partial<Parameters<typeof persistentSubscriptionToAllSettingsFromDefaults>[0]> = {}) =>
    client.createPersistentSubscriptionToAll(group, persistentSubscriptionToAllSettingsFromDefaults({ startFrom: 'start', ...settings }), {
      filter: streamNameFilter({ prefixes: [prefix] }),
    });

  beforeAll(async () => {
    server = await startEsdbTestServer();
    client = EventStoreDBClient.connectionString(server.url);
  });

  afterAll(async () => {
    await client?.dispose();
    await server?.stop();
  });

  it('replays a parked event with retry count 0 and the position of its parked link, acknowledged by the link', async () => {
    const p = unique();
    const written = await client.appendToStream(`${p}-s`, [jsonEvent({ type: 'T', data: { n: 0 } })]);
    await create(p, p, { maxRetryCount: 1 });
    const sub = client.subscribeToPersistentSubscriptionToAll(p);
    let replaying = false;
    const got = consume(sub, (r) => (replaying ? sub.ack(r) : sub.nack('retry', 'again', r)));
    await waitFor('two deliveries, then parked', () => got.length === 2);
    expect(got.map((d) => d.retryCount)).toEqual([0, 1]);
    await waitFor('parked', () => server.log.stream(`$persistentsubscription-$all::${p}-parked`)?.length === 1);
    replaying = true;
    await client.replayParkedMessagesToAll(p);
    await waitFor('the replay', () => got.length === 3);
    const replayed = got[2] as Delivery;
    expect(replayed.id).toBe(got[0]?.id);
    expect(replayed.retryCount).toBe(0);
    expect(replayed.linkId).toBeDefined();
    // The event comes with the link's position: after everything the group saw before.
    expect(replayed.position?.commit).toBeGreaterThan(written.position?.commit ?? 0n);
    expect(replayed.position).toEqual(server.log.stream(`$persistentsubscription-$all::${p}-parked`)?.[0]?.position);
    await sleep(300);
    expect(got).toHaveLength(3);
    const info = await client.getPersistentSubscriptionToAllInfo(p);
    expect(info.stats.parkedMessageCount).toBe(0n);
    expect(info.stats.totalInFlightMessages).toBe(0);
    await sub.unsubscribe();
  });

  it('passes over a parked event whose event is gone when it replays (HandleParkedReadCompleted)', async () => {
    const p = unique();
    await client.appendToStream(`${p}-gone`, [jsonEvent({ type: 'T', data: { n: 0 } })]);
    await client.appendToStream(`${p}-kept`, [jsonEvent({ type: 'T', data: { n: 1 } })]);
    await create(p, p);
    const sub = client.subscribeToPersistentSubscriptionToAll(p);
    let replaying = false;
    const got = consume(sub, (r) => (replaying ? sub.ack(r) : sub.nack('park', 'poison', r)));
    await waitFor('both parked', () => server.log.stream(`$persistentsubscription-$all::${p}-parked`)?.length === 2);
    await client.deleteStream(`${p}-gone`);
    replaying = true;
    await client.replayParkedMessagesToAll(p);
    await waitFor('the replay', () => got.length === 3);
    await sleep(200);
    expect(got.slice(2).map((d) => d.streamId)).toEqual([`${p}-kept`]);
    await sub.unsubscribe();
  });

  it('redelivers what was in flight with retry count 0 after the group is updated or the server restarts', async () => {
    const p = unique();
    await client.appendToStream(`${p}-s`, [jsonEvent({ type: 'T', data: { n: 0 } }), jsonEvent({ type: 'T', data: { n: 1 } })]);
    await create(p, p);
    const first = client.subscribeToPersistentSubscriptionToAll(p);
    const got = consume(first, () => {});
    await waitFor('two deliveries', () => got.length === 2);
    await client.updatePersistentSubscriptionToAll(p, persistentSubscriptionToAllSettingsFromDefaults({ startFrom: 'start', messageTimeout: 20_000 }));
    const second = client.subscribeToPersistentSubscriptionToAll(p);
    const again = consume(second, () => {});
    await waitFor('redelivery', () => again.length === 2);
    expect(again.map((d) => [d.id, d.retryCount])).toEqual(got.map((d) => [d.id, 0]));
    server.restartPersistentSubscriptions();
    const third = client.subscribeToPersistentSubscriptionToAll(p);
    const afterRestart = consume(third, (r) => third.ack(r));
    await waitFor('redelivery after a restart', () => afterRestart.length === 2);
    expect(afterRestart.map((d) => d.retryCount)).toEqual([0, 0]);
    await third.unsubscribe();
  });

  it('retries what a consumer that went away had in flight, with its retry count + 1 (RemoveClientByCorrelationId)', async () => {
    const p = unique();
    await client.appendToStream(`${p}-s`, [jsonEvent({ type: 'T', data: { n: 0 } })]);
    await create(p, p);
    const first = client.subscribeToPersistentSubscriptionToAll(p);
    const got = consume(first, () => {});
    await waitFor('a delivery', () => got.length === 1);
    await first.unsubscribe();
    const second = client.subscribeToPersistentSubscriptionToAll(p);
    const again = consume(second, (r) => second.ack(r));
    await waitFor('redelivery', () => again.length === 1);
    expect(again[0]).toMatchObject({ id: got[0]?.id, retryCount: 1 });
    await second.unsubscribe();
  });

  it('checkpoints the group after the events before the lowest unacknowledged one', async () => {
    const p = unique();
    await client.appendToStream(`${p}-s`, Array.from({ length: 12 }, (_, i) => jsonEvent({ type: 'T', data: { i } })));
    await create(p, p, { checkPointAfter: 100, checkPointLowerBound: 1, checkPointUpperBound: 5 });
    const sub = client.subscribeToPersistentSubscriptionToAll(p);
    const got = consume(sub, (r) => sub.ack(r));
    await waitFor('all deliveries', () => got.length === 12);
    let checkpoint: Position | undefined;
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      checkpoint = (await client.getPersistentSubscriptionToAllInfo(p)).stats.lastCheckpointedEventPosition;
      if (checkpoint?.commit === got[11]?.position?.commit) break;
      await sleep(50);
    }
    expect(checkpoint).toEqual(got[11]?.position);
    await sub.unsubscribe();
  });
});
