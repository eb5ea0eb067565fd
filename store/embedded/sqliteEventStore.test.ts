import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventToAppend, PersistentEvent, RecordedEvent } from '../eventStore';
import { START, WrongExpectedVersionError } from '../eventStore';
import { eventStoreContract } from '../eventStore.contract';
import { SqliteEventStore } from './sqliteEventStore';

const tempPath = (): string => join(tmpdir(), `hookbase-es-${randomUUID()}.sqlite`);
const removeDb = (path: string): void => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
};
const ev = (n: number): EventToAppend => ({ type: 'Test', data: { n } });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const contractPath = tempPath();
eventStoreContract(
  'SqliteEventStore (file)',
  async () => SqliteEventStore.open(contractPath),
  () => removeDb(contractPath),
);

describe('SqliteEventStore (embedded only)', () => {
  const opened: Array<{ store: SqliteEventStore; path: string }> = [];
  const open = (path = tempPath()): SqliteEventStore => {
    const store = SqliteEventStore.open(path);
    opened.push({ store, path });
    return store;
  };

  afterEach(async () => {
    for (const { store, path } of opened.splice(0)) {
      await store.close();
      if (path !== ':memory:') removeDb(path);
    }
  });

  it('groups concurrent appends into few transactions', async () => {
    const store = open();
    const before = store.stats().transactions;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.appendToStream(`s-${i}`, [ev(i)])));
    const transactions = store.stats().transactions - before;
    expect(transactions).toBeGreaterThanOrEqual(1);
    expect(transactions).toBeLessThan(5);
    expect(results.every((r) => r.nextExpectedRevision === 0n)).toBe(true);
    expect(new Set(results.map((r) => r.position.commit)).size).toBe(200);
    expect(store.stats().events).toBe(200);
  });

  it('isolates a failed expected-revision check inside a grouped transaction', async () => {
    const store = open();
    await store.appendToStream('existing', [ev(0)]);
    const before = store.stats().transactions;
    const results = await Promise.allSettled([
      store.appendToStream('a', [ev(1), ev(2)], { expectedRevision: 'no_stream' }),
      store.appendToStream('existing', [ev(3)], { expectedRevision: 'no_stream' }),
      store.appendToStream('a', [ev(4)], { expectedRevision: 1n }),
      store.appendToStream('a', [ev(5)], { expectedRevision: 1n }),
      store.appendToStream('b', [ev(6)], { expectedRevision: 'stream_exists' }),
      store.appendToStream('c', [ev(7)]),
    ]);
    expect(store.stats().transactions - before).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(reasons.every((e) => e instanceof WrongExpectedVersionError)).toBe(true);
    expect(reasons[1]).toMatchObject({ actual: 2n });
    expect((await collect(store.readStream('a'))).map((e) => e.data['n'])).toEqual([1, 2, 4]);
    expect((await collect(store.readStream('existing'))).map((e) => e.data['n'])).toEqual([0]);
    // Positions are dense: rolled-back savepoints leave no holes that a subscriber could trip on.
    const all = await collect(store.readAll());
    expect(all.map((e) => e.position.commit)).toEqual(all.map((_, i) => BigInt(i + 1)));
  });

  it('rejects data JSON cannot hold without affecting the batch', async () => {
    const store = open();
    const bad = store.appendToStream('x', [{ type: 'Bad', data: { big: 1n } as unknown as EventToAppend['data'] }]);
    const good = store.appendToStream('y', [ev(1)]);
    await expect(bad).rejects.toBeInstanceOf(TypeError);
    await expect(good).resolves.toMatchObject({ nextExpectedRevision: 0n });
  });

  it('works in memory', async () => {
    const store = open(':memory:');
    expect(await store.headPosition()).toEqual(START);
    await store.appendToStream('m', [ev(1)]);
    expect((await collect(store.readAll())).map((e) => e.streamId)).toEqual(['m']);
  });

  it('reads and subscribes across many pages, in batches of at most 500', async () => {
    const store = open();
    await store.appendToStream('big', Array.from({ length: 1234 }, (_, i) => ev(i)));
    const all = await collect(store.readAll());
    expect(all.map((e) => e.data['n'])).toEqual(Array.from({ length: 1234 }, (_, i) => i));
    const backwards = await collect(store.readStream('big', { direction: 'backwards', maxCount: 700 }));
    expect(backwards[0]?.revision).toBe(1233n);
    expect(backwards.at(-1)?.revision).toBe(534n);
    const sizes: number[] = [];
    const received: RecordedEvent[] = [];
    const sub = store.subscribeToAll({}, { onEvents: async (events) => void (sizes.push(events.length), received.push(...events)) });
    while (received.length < 1234) await sleep(5);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
    expect(received.map((e) => e.data['n'])).toEqual(all.map((e) => e.data['n']));
    await sub.stop();
  });

  it('delivers to a persistent subscription what another connection committed, unannounced, at its next periodic look', async () => {
    const path = tempPath();
    const here = open(path);
    const elsewhere = SqliteEventStore.open(path); // another process, say: no commit signal reaches `here`
    opened.push({ store: elsewhere, path });
    // A 400 ms message timeout makes the group look every 100 ms.
    await here.createPersistentSubscriptionToAll('g', { startFrom: 'start', messageTimeoutMs: 400 });
    const sub = here.subscribeToPersistentSubscriptionToAll('g');
    const iterator = sub[Symbol.asyncIterator]();
    await here.appendToStream('local', [ev(0)]);
    const first = (await iterator.next()).value as PersistentEvent;
    await sub.ack(first);
    // Caught up: acking read nothing more. Now a commit nobody announces to `here`.
    await elsewhere.appendToStream('remote', [ev(1)]);
    const started = Date.now();
    const second = (await iterator.next()).value as PersistentEvent;
    expect(second.event.streamId).toBe('remote');
    expect(Date.now() - started).toBeLessThan(1_000);
    await sub.ack(second);
    await sub.stop();
  });

  it('settles every event of one ack call: none comes back after a reopen', async () => {
    const path = tempPath();
    const first = open(path);
    await first.createPersistentSubscriptionToAll('g', { startFrom: 'start' });
    await first.appendToStream('d', Array.from({ length: 5 }, (_, i) => ev(i)));
    const sub = first.subscribeToPersistentSubscriptionToAll('g');
    const iterator = sub[Symbol.asyncIterator]();
    const got: PersistentEvent[] = [];
    for (let i = 0; i < 5; i++) got.push((await iterator.next()).value as PersistentEvent);
    // Out of order in one call; 4 stays in flight.
    await sub.ack(got[3] as PersistentEvent, got[0] as PersistentEvent, got[2] as PersistentEvent, got[1] as PersistentEvent);
    await first.close();

    const second = SqliteEventStore.open(path);
    opened.push({ store: second, path });
    expect((await second.getPersistentSubscriptionToAllInfo('g')).checkpoint).toEqual({ commit: 4n, prepare: 4n });
    const again = second.subscribeToPersistentSubscriptionToAll('g');
    const redelivered = (await again[Symbol.asyncIterator]().next()).value as PersistentEvent;
    expect(redelivered.event.data['n']).toBe(4);
    await again.stop();
  });

  it('keeps events and the persistent-subscription checkpoint across close and reopen', async () => {
    const path = tempPath();
    const first = open(path);
    await first.createPersistentSubscriptionToAll('g', { startFrom: 'start' });
    await first.appendToStream('d', Array.from({ length: 5 }, (_, i) => ev(i)));
    const sub = first.subscribeToPersistentSubscriptionToAll('g');
    const iterator = sub[Symbol.asyncIterator]();
    const got: PersistentEvent[] = [];
    for (let i = 0; i < 5; i++) got.push((await iterator.next()).value as PersistentEvent);
    // A consumer may iterate ahead and ack out of order: ack 2, 0, 1 (a settled prefix), leave 3 and 4 in flight.
    for (const i of [2, 0, 1]) await sub.ack(got[i] as PersistentEvent);
    await first.close(); // must make the checkpoint durable, with the consumer still subscribed

    const second = SqliteEventStore.open(path);
    opened.push({ store: second, path }); // close() is idempotent; afterEach closes both and removes the file
    expect((await collect(second.readStream('d'))).map((e) => e.data['n'])).toEqual([0, 1, 2, 3, 4]);
    const info = await second.getPersistentSubscriptionToAllInfo('g');
    expect(info.checkpoint).toEqual({ commit: 3n, prepare: 3n });
    const again = second.subscribeToPersistentSubscriptionToAll('g');
    const redelivered: PersistentEvent[] = [];
    for await (const pe of again) {
      redelivered.push(pe);
      await again.ack(pe);
      if (redelivered.length === 2) break;
    }
    expect(redelivered.map((r) => [r.event.data['n'], r.retryCount])).toEqual([
      [3, 0],
      [4, 0],
    ]);
  });

  it('keeps parked events across reopen and replays them once', async () => {
    const path = tempPath();
    const first = open(path);
    await first.createPersistentSubscriptionToAll('g', { startFrom: 'start' });
    await first.appendToStream('d', [ev(0), ev(1)]);
    const sub = first.subscribeToPersistentSubscriptionToAll('g');
    let n = 0;
    for await (const pe of sub) {
      await (pe.event.data['n'] === 0 ? sub.nack('park', 'poison', pe) : sub.ack(pe));
      if (++n === 2) break;
    }
    expect((await first.getPersistentSubscriptionToAllInfo('g')).parkedCount).toBe(1);
    await first.close();

    const second = SqliteEventStore.open(path);
    opened.push({ store: second, path }); // close() is idempotent; afterEach closes both and removes the file
    const info = await second.getPersistentSubscriptionToAllInfo('g');
    expect(info).toMatchObject({ parkedCount: 1, checkpoint: { commit: 2n, prepare: 2n }, inFlight: 0 });
    await second.replayParkedEvents('g');
    expect((await second.getPersistentSubscriptionToAllInfo('g')).parkedCount).toBe(0);
    await second.replayParkedEvents('g'); // nothing left to replay: the event comes back once
    const again = second.subscribeToPersistentSubscriptionToAll('g');
    const it = again[Symbol.asyncIterator]();
    const replayed = (await it.next()).value as PersistentEvent;
    expect(replayed.event.data['n']).toBe(0);
    // Delivered before: its retry count goes on (the dispatcher does not rely on it; see the port).
    expect(replayed.retryCount).toBeGreaterThan(0);
    await again.ack(replayed);
    let another: PersistentEvent | null = null;
    void it.next().then((r) => (another = (r.value as PersistentEvent | undefined) ?? null));
    await sleep(100);
    expect(another).toBeNull();
    expect(await second.getPersistentSubscriptionToAllInfo('g')).toMatchObject({ parkedCount: 0, inFlight: 0 });
    await again.stop();
  });

  it('fills the last free slots of a consumer too, not only a batch\'s worth of room', async () => {
    const store = open();
    await store.createPersistentSubscriptionToAll('g', { startFrom: 'start' });
    const sub = store.subscribeToPersistentSubscriptionToAll('g', { bufferSize: 32 });
    const it = sub[Symbol.asyncIterator]();
    await store.appendToStream('d', Array.from({ length: 31 }, (_, i) => ev(i)));
    for (let i = 0; i < 31; i++) await it.next(); // held, none acked: one slot left
    await store.appendToStream('d', [ev(31)]);
    const started = Date.now();
    const last = (await it.next()).value as PersistentEvent;
    expect(last.event.data['n']).toBe(31);
    expect(Date.now() - started).toBeLessThan(500);
    await sub.stop();
  });

  it('keeps at most bufferSize events in flight per consumer', async () => {
    const store = open();
    await store.createPersistentSubscriptionToAll('g', { startFrom: 'start' });
    await store.appendToStream('d', Array.from({ length: 20 }, (_, i) => ev(i)));
    const sub = store.subscribeToPersistentSubscriptionToAll('g', { bufferSize: 5 });
    const it = sub[Symbol.asyncIterator]();
    const firstFive: PersistentEvent[] = [];
    for (let i = 0; i < 5; i++) firstFive.push((await it.next()).value as PersistentEvent);
    expect((await store.getPersistentSubscriptionToAllInfo('g')).inFlight).toBe(5);
    let sixth: PersistentEvent | null = null;
    void it.next().then((r) => (sixth = r.value as PersistentEvent));
    await sleep(20);
    expect(sixth).toBeNull();
    await sub.ack(firstFive[3] as PersistentEvent);
    await sleep(5);
    expect((sixth as PersistentEvent | null)?.event.data['n']).toBe(5);
    await sub.stop();
  });
});
