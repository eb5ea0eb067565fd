import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { categories } from '../../domain/streams';
import type { PersistentEvent, RecordedEvent } from '../../store/eventStore';
import { SqliteEventStore } from '../../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../../store/embedded/sqliteReadStore';
import { noticeFor, OPERATIONAL_FILTER, reactorStart, RETIRED_OPERATIONAL_GROUP, saveReactorCheckpoint } from './operationalWebhooks';

// The operational reactor reads only the event types it reacts to (not every attempt of every delivery), keeps its
// place in the operational store, and a data dir that ran the retired persistent group goes on from its checkpoint.

const paths: string[] = [];
const closers: Array<() => Promise<void>> = [];
const tempPath = (): string => {
  const path = join(tmpdir(), `hookbase-opreactor-${randomUUID()}.sqlite`);
  paths.push(path);
  return path;
};
const openEvents = (): SqliteEventStore => {
  const store = SqliteEventStore.open(tempPath());
  closers.push(() => store.close());
  return store;
};
const openOps = (): SqliteReadStore => {
  const ops = SqliteReadStore.open(tempPath());
  closers.push(() => ops.close());
  return ops;
};
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const path of paths.splice(0)) for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
});

/** Every event type the domain appends to the message, outbound and endpoint streams in a failing delivery's life. */
const appendDeliveryLife = async (store: SqliteEventStore, n: number): Promise<void> => {
  await store.appendToStream(`${categories.message}${n}`, [{ type: 'MessageSent', data: { messageId: `msg_${n}`, outbound: [{ outboundId: `out_${n}` }] } }]);
  await store.appendToStream(`${categories.outbound}${n}`, [
    { type: 'AttemptFailed', data: { outboundId: `out_${n}` } },
    { type: 'AttemptSucceeded', data: { outboundId: `out_${n}` } },
    { type: 'DeliveryExhausted', data: { outboundId: `out_${n}`, applicationId: 'app_1' } },
  ]);
  await store.appendToStream(`${categories.endpoint}${n}`, [
    { type: 'EndpointUpdated', data: { endpointId: `ep_${n}` } },
    { type: 'EndpointCircuitHalfOpened', data: { endpointId: `ep_${n}` } },
    { type: 'EndpointCircuitOpened', data: { endpointId: `ep_${n}` } },
  ]);
};

/** What a catch-up subscription with the reactor's filter hands over after `from`, until it has `count`. */
const readFiltered = async (store: SqliteEventStore, count: number, from?: RecordedEvent['position']): Promise<string[]> => {
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => resolve(), 2_000);
    const sub = store.subscribeToAll(
      { ...(from ? { fromPosition: from } : {}), filter: OPERATIONAL_FILTER },
      {
        onEvents: async (events) => {
          for (const e of events) seen.push(`${e.type}@${e.streamId}`);
          if (seen.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
        onDropped: reject,
      },
    );
    closers.push(() => sub.stop());
  });
  return seen;
};

describe('the operational webhooks reactor', () => {
  it('reads only the event types that can call for a notice', async () => {
    const store = openEvents();
    await appendDeliveryLife(store, 1);
    // Waits the full 2 s: anything the filter let through would show.
    expect(await readFiltered(store, 99)).toEqual([`MessageSent@${categories.message}1`, `DeliveryExhausted@${categories.outbound}1`, `EndpointCircuitOpened@${categories.endpoint}1`]);
  });

  it('every event type noticeFor answers passes the filter', async () => {
    // noticeFor's switch is the truth: an event type it reacts to that the filter dropped would never be announced.
    const deps = { reads: { collection: () => ({ get: () => Promise.resolve(null) }) } } as unknown as Parameters<typeof noticeFor>[0];
    const reacted: string[] = [];
    for (const type of ['MessageSent', 'DeliveryExhausted', 'EndpointDisabled', 'EndpointCircuitOpened', 'EndpointCircuitClosed', 'AttemptFailed', 'AttemptSucceeded', 'EndpointUpdated', 'EndpointCircuitHalfOpened', 'MessageResent']) {
      const notice = await noticeFor(deps, { id: 'e', streamId: 's', revision: 0n, position: { commit: 0n, prepare: 0n }, type, data: { outbound: [] }, metadata: {}, created: new Date() });
      if (notice) reacted.push(type);
    }
    expect(reacted).toHaveLength(5);
    const store = openEvents();
    for (const type of reacted) await store.appendToStream(`${categories.endpoint}x`, [{ type, data: {} }]);
    expect((await readFiltered(store, reacted.length)).map((s) => s.split('@')[0])).toEqual(reacted);
  });

  it('starts where $all stands on a first start, then from its checkpoint, which only moves forward', async () => {
    const store = openEvents();
    const ops = openOps();
    await appendDeliveryLife(store, 1);
    const head = await store.headPosition();
    expect(await reactorStart(store, ops)).toEqual(head);
    await appendDeliveryLife(store, 2);
    // A restart before any checkpoint was written after the first start: the second delivery is still ahead.
    expect(await readFiltered(store, 3, await reactorStart(store, ops))).toEqual([`MessageSent@${categories.message}2`, `DeliveryExhausted@${categories.outbound}2`, `EndpointCircuitOpened@${categories.endpoint}2`]);
    const later = await store.headPosition();
    await saveReactorCheckpoint(ops, later);
    await saveReactorCheckpoint(ops, head);
    expect(await reactorStart(store, ops)).toEqual(later);
  });

  it('a data dir that ran the retired persistent group goes on from its checkpoint: what it had not acked is still announced', async () => {
    const store = openEvents();
    const ops = openOps();
    await store.createPersistentSubscriptionToAll(RETIRED_OPERATIONAL_GROUP, { startFrom: 'end', filter: { streamNamePrefixes: [categories.message, categories.outbound, categories.endpoint] } });
    await appendDeliveryLife(store, 1);
    const old = store.subscribeToPersistentSubscriptionToAll(RETIRED_OPERATIONAL_GROUP);
    const oldEvents = old[Symbol.asyncIterator]();
    for (let i = 0; i < 7; i++) await old.ack((await oldEvents.next()).value as PersistentEvent);
    await old.stop();
    await expect.poll(async () => (await store.getPersistentSubscriptionToAllInfo(RETIRED_OPERATIONAL_GROUP)).checkpoint).not.toBeNull();
    // Appended while the new version was being deployed.
    await appendDeliveryLife(store, 2);
    const start = await reactorStart(store, ops);
    expect(await readFiltered(store, 99, start)).toEqual([`MessageSent@${categories.message}2`, `DeliveryExhausted@${categories.outbound}2`, `EndpointCircuitOpened@${categories.endpoint}2`]);
  });
});
