import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { categories } from '../../domain/streams';
import type { PersistentEvent } from '../../store/eventStore';
import { SqliteEventStore } from '../../store/embedded/sqliteEventStore';
import { ensureOperationalGroup, noticeFor, OPERATIONAL_GROUP, RETIRED_OPERATIONAL_GROUP } from './operationalWebhooks';

// The operational reactor's group takes only the event types it reacts to (not every attempt of every delivery),
// and a data dir that ran the retired, wider group goes on from that group's checkpoint.

const paths: string[] = [];
const stores: SqliteEventStore[] = [];
const openStore = (): SqliteEventStore => {
  const path = join(tmpdir(), `hookbase-opgroup-${randomUUID()}.sqlite`);
  paths.push(path);
  const store = SqliteEventStore.open(path);
  stores.push(store);
  return store;
};
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const path of paths.splice(0)) for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
});

const next = async (events: AsyncIterator<PersistentEvent>, withinMs = 2_000): Promise<PersistentEvent | 'none'> =>
  Promise.race([events.next().then((r) => r.value as PersistentEvent), new Promise<'none'>((resolve) => setTimeout(() => resolve('none'), withinMs))]);

/** Every event type the domain appends to the message, outbound and endpoint streams during a delivery's life. */
const appendDeliveryLife = async (store: SqliteEventStore, n: number): Promise<void> => {
  await store.appendToStream(`${categories.message}${n}`, [{ type: 'MessageSent', data: { messageId: `msg_${n}`, outbound: [{ outboundId: `out_${n}` }] } }]);
  await store.appendToStream(`${categories.outbound}${n}`, [
    { type: 'DeliveryAttempted', data: { outboundId: `out_${n}` } },
    { type: 'DeliveryFailed', data: { outboundId: `out_${n}` } },
    { type: 'DeliveryExhausted', data: { outboundId: `out_${n}`, applicationId: 'app_1' } },
  ]);
  await store.appendToStream(`${categories.endpoint}${n}`, [
    { type: 'EndpointUpdated', data: { endpointId: `ep_${n}` } },
    { type: 'EndpointCircuitHalfOpened', data: { endpointId: `ep_${n}` } },
    { type: 'EndpointCircuitOpened', data: { endpointId: `ep_${n}` } },
  ]);
};

describe('the operational webhooks group', () => {
  it('delivers only the event types that can call for a notice', async () => {
    const store = openStore();
    await ensureOperationalGroup(store);
    await appendDeliveryLife(store, 1);
    const sub = store.subscribeToPersistentSubscriptionToAll(OPERATIONAL_GROUP);
    const events = sub[Symbol.asyncIterator]();
    const types: string[] = [];
    for (;;) {
      const pe = await next(events, 1_000);
      if (pe === 'none') break;
      types.push(pe.event.type);
      await sub.ack(pe);
    }
    await sub.stop();
    expect(types).toEqual(['MessageSent', 'DeliveryExhausted', 'EndpointCircuitOpened']);
  });

  it('every event type noticeFor answers passes the filter', async () => {
    // noticeFor's switch is the truth: an event type it reacts to that the filter dropped would never be announced.
    const reacted: string[] = [];
    for (const type of ['MessageSent', 'DeliveryExhausted', 'EndpointDisabled', 'EndpointCircuitOpened', 'EndpointCircuitClosed', 'DeliveryAttempted', 'DeliverySucceeded', 'EndpointUpdated', 'EndpointCircuitHalfOpened', 'MessageResent']) {
      const deps = { reads: { collection: () => ({ get: () => Promise.resolve(null) }) } } as unknown as Parameters<typeof noticeFor>[0];
      const notice = await noticeFor(deps, { id: 'e', streamId: 's', revision: 0n, position: { commit: 0n, prepare: 0n }, type, data: { outbound: [] }, metadata: {}, created: new Date() });
      if (notice) reacted.push(type);
    }
    const store = openStore();
    await ensureOperationalGroup(store);
    for (const type of reacted) await store.appendToStream(`${categories.endpoint}x`, [{ type, data: {} }]);
    const sub = store.subscribeToPersistentSubscriptionToAll(OPERATIONAL_GROUP);
    const events = sub[Symbol.asyncIterator]();
    const delivered: string[] = [];
    for (let i = 0; i < reacted.length; i++) {
      const pe = await next(events);
      if (pe === 'none') break;
      delivered.push(pe.event.type);
      await sub.ack(pe);
    }
    await sub.stop();
    expect(reacted).toHaveLength(5);
    expect(delivered).toEqual(reacted);
  });

  it('starts from the retired group’s checkpoint: what that group had not acked is still delivered', async () => {
    const store = openStore();
    // An earlier version: the wide group, which acked the first delivery's events and then stopped.
    await store.createPersistentSubscriptionToAll(RETIRED_OPERATIONAL_GROUP, { startFrom: 'end', filter: { streamNamePrefixes: [categories.message, categories.outbound, categories.endpoint] } });
    await appendDeliveryLife(store, 1);
    const old = store.subscribeToPersistentSubscriptionToAll(RETIRED_OPERATIONAL_GROUP);
    const oldEvents = old[Symbol.asyncIterator]();
    for (let i = 0; i < 7; i++) {
      const pe = await next(oldEvents);
      if (pe === 'none') throw new Error('the retired group delivered fewer than 7 events');
      await old.ack(pe);
    }
    await old.stop();
    await expect.poll(async () => (await store.getPersistentSubscriptionToAllInfo(RETIRED_OPERATIONAL_GROUP)).checkpoint).not.toBeNull();
    // Appended while the new version was being deployed.
    await appendDeliveryLife(store, 2);

    await ensureOperationalGroup(store);
    const sub = store.subscribeToPersistentSubscriptionToAll(OPERATIONAL_GROUP);
    const events = sub[Symbol.asyncIterator]();
    const seen: string[] = [];
    for (;;) {
      const pe = await next(events, 1_000);
      if (pe === 'none') break;
      seen.push(`${pe.event.type}@${pe.event.streamId}`);
      await sub.ack(pe);
    }
    await sub.stop();
    // The second delivery's three, and at most the one event at the old checkpoint again (its eventId is derived: not sent twice).
    const second = [`MessageSent@${categories.message}2`, `DeliveryExhausted@${categories.outbound}2`, `EndpointCircuitOpened@${categories.endpoint}2`];
    expect(seen.slice(-3)).toEqual(second);
    expect(seen.length).toBeLessThanOrEqual(4);
  });
});
