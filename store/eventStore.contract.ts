import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  EventStore,
  EventToAppend,
  PersistentEvent,
  PersistentSubscription,
  Position,
  RecordedEvent,
  Subscription,
} from './eventStore';
import {
  ANY,
  NO_STREAM,
  PersistentSubscriptionExistsError,
  PersistentSubscriptionNotFoundError,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  comparePositions,
  countEventsBehind,
} from './eventStore';
import { ensurePersistentSubscriptionToAll } from './ensurePersistentSubscription';

/**
 * The EventStore contract: behaviour every adapter (embedded SQLite, EventStoreDB) must show. It uses the port
 * only, names every stream and group with a random suffix and filters `$all` by those names, so it can run
 * against a shared server that holds other data. Waits are bounded (WAIT_MS) and poll briefly.
 */

const WAIT_MS = 5_000;

const uid = (): string => randomUUID().replace(/-/g, '').slice(0, 12);
const ev = (type: string, n: number): EventToAppend => ({ type, data: { n }, metadata: { test: true } });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** Runs a consumer in the background: every event is recorded, then handed to `onEvent` (ack/nack there). */
function consume(sub: PersistentSubscription, onEvent: (pe: PersistentEvent) => Promise<void>) {
  const received: PersistentEvent[] = [];
  const done = (async () => {
    for await (const pe of sub) {
      received.push(pe);
      await onEvent(pe);
    }
  })();
  return {
    received,
    ids: () => received.map((r) => r.event.id),
    stop: async () => {
      await sub.stop();
      await done;
    },
  };
}

/** Sections of the contract an adapter's run leaves out, each with the reason (reported in the section's name). */
export type ContractSkips = Readonly<{ persistentSubscriptions?: string }>;

export function eventStoreContract(
  name: string,
  factory: () => Promise<EventStore>,
  cleanup?: () => Promise<void> | void,
  skips: ContractSkips = {},
): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;

    beforeAll(async () => {
      store = await factory();
    });

    afterAll(async () => {
      await store?.close();
      await cleanup?.();
    });

    const append = (streamId: string, count: number, type = 'TestEvent', expectedRevision: 'any' | bigint = ANY) =>
      store.appendToStream(
        streamId,
        Array.from({ length: count }, (_, n) => ev(type, n)),
        { expectedRevision },
      );

    describe('expected revisions', () => {
      it('no_stream succeeds on a new stream and fails once it exists', async () => {
        const s = `contract-${uid()}`;
        const first = await store.appendToStream(s, [ev('A', 0), ev('A', 1)], { expectedRevision: NO_STREAM });
        expect(first.nextExpectedRevision).toBe(1n);
        const err = await caught(store.appendToStream(s, [ev('A', 2)], { expectedRevision: NO_STREAM }));
        expect(err).toBeInstanceOf(WrongExpectedVersionError);
        expect(err).toMatchObject({ streamId: s, expected: NO_STREAM, actual: 1n });
      });

      it('stream_exists fails on a new stream and succeeds once it exists', async () => {
        const s = `contract-${uid()}`;
        const err = await caught(store.appendToStream(s, [ev('A', 0)], { expectedRevision: STREAM_EXISTS }));
        expect(err).toBeInstanceOf(WrongExpectedVersionError);
        expect(err).toMatchObject({ streamId: s, expected: STREAM_EXISTS, actual: NO_STREAM });
        await append(s, 1);
        const r = await store.appendToStream(s, [ev('A', 1)], { expectedRevision: STREAM_EXISTS });
        expect(r.nextExpectedRevision).toBe(1n);
      });

      it('any (the default) always succeeds', async () => {
        const s = `contract-${uid()}`;
        expect((await store.appendToStream(s, [ev('A', 0)], { expectedRevision: ANY })).nextExpectedRevision).toBe(0n);
        expect((await store.appendToStream(s, [ev('A', 1)])).nextExpectedRevision).toBe(1n);
      });

      it('a revision must equal the last revision of the stream', async () => {
        const s = `contract-${uid()}`;
        const missing = await caught(store.appendToStream(s, [ev('A', 0)], { expectedRevision: 0n }));
        expect(missing).toMatchObject({ streamId: s, expected: 0n, actual: NO_STREAM });
        await append(s, 3);
        const r = await store.appendToStream(s, [ev('A', 3)], { expectedRevision: 2n });
        expect(r.nextExpectedRevision).toBe(3n);
        const wrong = await caught(store.appendToStream(s, [ev('A', 4)], { expectedRevision: 2n }));
        expect(wrong).toBeInstanceOf(WrongExpectedVersionError);
        expect(wrong).toMatchObject({ streamId: s, expected: 2n, actual: 3n });
      });

      it('returns the $all position of the last event appended, and positions grow', async () => {
        const s = `contract-${uid()}`;
        const a = await append(s, 2);
        const b = await append(s, 1);
        expect(comparePositions(b.position, a.position)).toBe(1);
        const read = await collect(store.readStream(s));
        expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(read[1]?.position).toEqual(a.position);
        expect(read[2]?.position).toEqual(b.position);
        expect(comparePositions(await store.headPosition(), b.position)).toBeGreaterThanOrEqual(0);
      });

      it('of concurrent appends expecting the same revision exactly one wins', async () => {
        const s = `contract-${uid()}`;
        await append(s, 1);
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, n) => store.appendToStream(s, [ev('Race', n)], { expectedRevision: 0n })),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(9);
        for (const e of lost) expect(e).toBeInstanceOf(WrongExpectedVersionError);
        expect((await collect(store.readStream(s))).map((e) => e.revision)).toEqual([0n, 1n]);
      });
    });

    describe('readStream', () => {
      it('throws StreamNotFoundError while iterating, not when called', async () => {
        const s = `contract-${uid()}`;
        const iterable = store.readStream(s);
        expect(await caught(collect(iterable))).toBeInstanceOf(StreamNotFoundError);
      });

      it('reads forwards with everything that was appended', async () => {
        const s = `contract-${uid()}`;
        const id = randomUUID();
        await store.appendToStream(s, [{ id, type: 'Typed', data: { a: 1, nested: { b: [1, 'x', null] } }, metadata: { m: 'v' } }]);
        await append(s, 2);
        const read = await collect(store.readStream(s));
        expect(read).toHaveLength(3);
        const first = read[0] as RecordedEvent;
        expect(first).toMatchObject({ id, streamId: s, revision: 0n, type: 'Typed', data: { a: 1, nested: { b: [1, 'x', null] } } });
        expect(first.metadata).toMatchObject({ m: 'v' });
        expect(first.created).toBeInstanceOf(Date);
        expect(typeof first.position.commit).toBe('bigint');
        expect(read.map((e) => e.data)).toEqual([first.data, { n: 0 }, { n: 1 }]);
      });

      it('reads from a revision, backwards, and up to maxCount', async () => {
        const s = `contract-${uid()}`;
        await append(s, 6);
        const revs = async (...args: Parameters<EventStore['readStream']>) =>
          (await collect(store.readStream(...args))).map((e) => e.revision);
        expect(await revs(s, { fromRevision: 3n })).toEqual([3n, 4n, 5n]);
        expect(await revs(s, { direction: 'backwards' })).toEqual([5n, 4n, 3n, 2n, 1n, 0n]);
        expect(await revs(s, { direction: 'backwards', fromRevision: 'end', maxCount: 2 })).toEqual([5n, 4n]);
        expect(await revs(s, { direction: 'backwards', fromRevision: 2n })).toEqual([2n, 1n, 0n]);
        expect(await revs(s, { maxCount: 2 })).toEqual([0n, 1n]);
        expect(await revs(s, { fromRevision: 4n, maxCount: 1 })).toEqual([4n]);
        expect(await revs(s, { fromRevision: 10n })).toEqual([]);
      });
    });

    describe('readAll', () => {
      it('reads after a position (exclusive), filtered by stream prefix or event-type prefix', async () => {
        const p = `contract-${uid()}`;
        const from = await store.headPosition();
        const a = await store.appendToStream(`${p}-a`, [ev(`${p}.one`, 0), ev(`${p}.two`, 1)]);
        await store.appendToStream(`${p}-b`, [ev(`${p}.one`, 2)]);
        await store.appendToStream(`other-${p}`, [ev(`${p}.one`, 3)]);

        const byStream = await collect(store.readAll({ fromPosition: from, filter: { streamNamePrefixes: [`${p}-`] } }));
        expect(byStream.map((e) => e.data['n'])).toEqual([0, 1, 2]);
        for (let i = 1; i < byStream.length; i++) {
          expect(comparePositions((byStream[i] as RecordedEvent).position, (byStream[i - 1] as RecordedEvent).position)).toBe(1);
        }

        const afterFirst = await collect(
          store.readAll({ fromPosition: (byStream[0] as RecordedEvent).position, filter: { streamNamePrefixes: [`${p}-`] } }),
        );
        expect(afterFirst.map((e) => e.data['n'])).toEqual([1, 2]);

        const byType = await collect(store.readAll({ fromPosition: from, filter: { eventTypePrefixes: [`${p}.one`] } }));
        expect(byType.map((e) => e.data['n'])).toEqual([0, 2, 3]);

        const limited = await collect(store.readAll({ fromPosition: from, maxCount: 2, filter: { streamNamePrefixes: [p] } }));
        expect(limited.map((e) => e.data['n'])).toEqual([0, 1]);

        const afterA = await collect(store.readAll({ fromPosition: a.position, filter: { streamNamePrefixes: [`${p}-`] } }));
        expect(afterA.map((e) => e.data['n'])).toEqual([2]);
      });

      it('never returns events whose type starts with $', async () => {
        const s = `contract-${uid()}`;
        const from = await store.headPosition();
        await store.appendToStream(s, [ev('$contract-system', 0), ev('Visible', 1)]);
        const filtered = await collect(store.readAll({ fromPosition: from, filter: { streamNamePrefixes: [s] } }));
        expect(filtered.map((e) => e.type)).toEqual(['Visible']);
        const unfiltered = await collect(store.readAll({ fromPosition: from, maxCount: 1000 }));
        expect(unfiltered.some((e) => e.type.startsWith('$'))).toBe(false);
        expect(unfiltered.some((e) => e.streamId === s && e.type === 'Visible')).toBe(true);
        // readStream is not filtered.
        expect((await collect(store.readStream(s))).map((e) => e.type)).toEqual(['$contract-system', 'Visible']);
      });

      it('headPosition is the last event that is not a system event', async () => {
        const s = `contract-${uid()}`;
        const visible = await append(s, 2);
        expect(await store.headPosition()).toEqual(visible.position);
        await store.appendToStream(s, [ev('$contract-system', 0)]);
        await store.appendToStream(`${s}-sys`, [ev('$contract-system', 1)]);
        // What projections will never see is nothing to wait for.
        expect(await store.headPosition()).toEqual(visible.position);
        const next = await append(s, 1);
        expect(await store.headPosition()).toEqual(next.position);
      });

      it('countEventsBehind counts the events a reader at a position has yet to see (never position differences)', async () => {
        const s = `contract-${uid()}`;
        const from = await store.headPosition();
        expect(await countEventsBehind(store, from, from)).toBe(0);
        await store.appendToStream(s, [ev('A', 0), ev('$contract-system', 1), ev('A', 2)]);
        const last = await append(s, 2);
        // Other writers may add events meanwhile: count up to the position this test knows.
        expect(await countEventsBehind(store, from, last.position)).toBe(4);
        expect(await countEventsBehind(store, from, last.position, 3)).toBe(3);
      });

      it('reads from START', async () => {
        const s = `contract-${uid()}`;
        await append(s, 1);
        const first = await collect(store.readAll({ fromPosition: START, maxCount: 1 }));
        expect(first).toHaveLength(1);
      });
    });

    describe('catch-up subscription to $all', () => {
      const subscribe = (fromPosition: Position, prefix: string, onEvents?: (events: readonly RecordedEvent[]) => Promise<void>) => {
        const received: RecordedEvent[] = [];
        const dropped: Error[] = [];
        const sub: Subscription = store.subscribeToAll(
          { fromPosition, filter: { streamNamePrefixes: [prefix] } },
          {
            onEvents: async (events) => {
              received.push(...events);
              await onEvents?.(events);
            },
            onDropped: (e) => dropped.push(e),
          },
        );
        return { sub, received, dropped };
      };

      it('delivers history then live events, in order, after the position (exclusive)', async () => {
        const p = `contract-${uid()}`;
        const before = await append(`${p}-x`, 1);
        await append(`${p}-x`, 3);
        const { sub, received } = subscribe(before.position, p);
        await waitFor('history', () => received.length === 3);
        await append(`${p}-y`, 2);
        await append(`${p}-x`, 1);
        await waitFor('live events', () => received.length === 6);
        await sleep(20);
        expect(received).toHaveLength(6);
        expect(received.map((e) => `${e.streamId.slice(-1)}${e.revision}`)).toEqual(['x1', 'x2', 'x3', 'y0', 'y1', 'x4']);
        await sub.stop();
      });

      it('has no gaps or duplicates while appends race with catching up', async () => {
        const p = `contract-${uid()}`;
        const from = await store.headPosition();
        const appended: string[] = [];
        const appendMany = async (streams: number, perStream: number) => {
          const results = await Promise.all(
            Array.from({ length: streams }, (_, i) =>
              store.appendToStream(`${p}-${i}`, Array.from({ length: perStream }, (_, n) => ev('Race', n))),
            ),
          );
          return results.length;
        };
        await appendMany(10, 5);
        const { sub, received, dropped } = subscribe(from, p, () => sleep(1));
        const writers = Array.from({ length: 5 }, async () => {
          for (let round = 0; round < 5; round++) {
            await appendMany(4, 2);
            await sleep(1);
          }
        });
        await Promise.all(writers);
        const expected = await collect(store.readAll({ fromPosition: from, filter: { streamNamePrefixes: [p] } }));
        for (const e of expected) appended.push(e.id);
        expect(appended).toHaveLength(50 + 5 * 5 * 8);
        await waitFor('every event', () => received.length >= appended.length);
        await sleep(20);
        expect(received.map((e) => e.id)).toEqual(appended);
        expect(dropped).toEqual([]);
        await sub.stop();
      });

      it('filters by event type prefix and never delivers $ events', async () => {
        const p = `contract${uid()}`;
        const from = await store.headPosition();
        const received: RecordedEvent[] = [];
        const sub = store.subscribeToAll(
          { fromPosition: from, filter: { eventTypePrefixes: [`${p}.`, '$'] } },
          { onEvents: async (events) => void received.push(...events) },
        );
        await store.appendToStream(`s-${p}`, [ev(`${p}.a`, 0), ev('Other', 1), ev(`$${p}`, 2), ev(`${p}.b`, 3)]);
        await waitFor('filtered events', () => received.length >= 2);
        await sleep(30);
        expect(received.map((e) => e.type)).toEqual([`${p}.a`, `${p}.b`]);
        await sub.stop();
      });

      it('reports checkpoints while its filter drops events, at or past them, after the events before them', async () => {
        const p = `contract-${uid()}`;
        const from = await store.headPosition();
        const received: RecordedEvent[] = [];
        const checkpoints: Array<{ position: Position; receivedBefore: number }> = [];
        const sub = store.subscribeToAll(
          { fromPosition: from, filter: { streamNamePrefixes: [`${p}-`] } },
          {
            onEvents: async (events) => void received.push(...events),
            onCheckpoint: (position) => void checkpoints.push({ position, receivedBefore: received.length }),
          },
        );
        const mine = await append(`${p}-mine`, 1);
        // Only streams the filter drops from here on: enough for a server that checkpoints every so many events.
        let last: Position = mine.position;
        for (let i = 0; i < 10; i++) {
          last = (await store.appendToStream(`other-${p}-${i}`, Array.from({ length: 50 }, (_, n) => ev('Other', n)))).position;
        }
        await waitFor('a checkpoint at or past the last dropped event', () => checkpoints.some((c) => comparePositions(c.position, last) >= 0));
        expect(received.map((e) => e.streamId)).toEqual([`${p}-mine`]);
        // A checkpoint past an event comes after that event was handed over.
        for (const c of checkpoints) {
          if (comparePositions(c.position, mine.position) >= 0) expect(c.receivedBefore).toBe(1);
        }
        for (let i = 1; i < checkpoints.length; i++) {
          expect(comparePositions((checkpoints[i] as { position: Position }).position, (checkpoints[i - 1] as { position: Position }).position)).toBeGreaterThanOrEqual(0);
        }
        await sub.stop();
      });

      it('delivers nothing after stop() resolves', async () => {
        const p = `contract-${uid()}`;
        const { sub, received } = subscribe(await store.headPosition(), p);
        await append(`${p}-x`, 1);
        await waitFor('first event', () => received.length === 1);
        await sub.stop();
        await append(`${p}-x`, 2);
        await sleep(50);
        expect(received).toHaveLength(1);
      });

      it('calls onDropped when the handler throws, and stops', async () => {
        const p = `contract-${uid()}`;
        const { received, dropped } = subscribe(await store.headPosition(), p, async () => {
          throw new Error('handler failed');
        });
        await append(`${p}-x`, 1);
        await waitFor('drop', () => dropped.length === 1);
        expect(dropped[0]?.message).toContain('handler failed');
        await append(`${p}-x`, 1);
        await sleep(50);
        expect(received).toHaveLength(1);
        expect(dropped).toHaveLength(1);
      });
    });

    const persistentTitle = skips.persistentSubscriptions
      ? `persistent subscriptions to $all: SKIPPED, ${skips.persistentSubscriptions}`
      : 'persistent subscriptions to $all';
    describe.skipIf(Boolean(skips.persistentSubscriptions))(persistentTitle, () => {
      const group = () => `contract-group-${uid()}`;
      const replayUntil = async (g: string, done: () => boolean): Promise<void> => {
        const deadline = Date.now() + WAIT_MS;
        while (!done()) {
          if (Date.now() > deadline) throw new Error(`Timed out after ${WAIT_MS} ms replaying the parked events of ${g}`);
          const result: unknown = await store.replayParkedEvents(g);
          expect(result).toBeUndefined();
          await waitFor('a replayed delivery', done, 200).catch(() => {});
        }
      };
      const filterOf = (p: string) => ({ streamNamePrefixes: [p] });

      it('refuses to create a group twice', async () => {
        const g = group();
        await store.createPersistentSubscriptionToAll(g, { filter: filterOf(g) });
        expect(await caught(store.createPersistentSubscriptionToAll(g))).toBeInstanceOf(PersistentSubscriptionExistsError);
      });

      it('reports a group\'s settings with their defaults, and updates them', async () => {
        const plain = group();
        await store.createPersistentSubscriptionToAll(plain, { filter: filterOf(plain) });
        expect((await store.getPersistentSubscriptionToAllInfo(plain)).settings).toMatchObject({ messageTimeoutMs: 30_000, maxRetryCount: 10 });
        const g = group();
        await store.createPersistentSubscriptionToAll(g, { filter: filterOf(g), messageTimeoutMs: 7_000, maxRetryCount: 4 });
        expect((await store.getPersistentSubscriptionToAllInfo(g)).settings).toMatchObject({ messageTimeoutMs: 7_000, maxRetryCount: 4 });
        await store.updatePersistentSubscriptionToAll(g, { messageTimeoutMs: 9_000, maxRetryCount: 6 });
        expect((await store.getPersistentSubscriptionToAllInfo(g)).settings).toMatchObject({ messageTimeoutMs: 9_000, maxRetryCount: 6 });
        expect(await caught(store.updatePersistentSubscriptionToAll(group(), { messageTimeoutMs: 1_000 }))).toBeInstanceOf(
          PersistentSubscriptionNotFoundError,
        );
      });

      it('ensurePersistentSubscriptionToAll creates a group, leaves it alone, and updates the settings that changed', async () => {
        const g = group();
        const settings = { startFrom: 'start', filter: filterOf(g), messageTimeoutMs: 5_000, maxRetryCount: 3 } as const;
        expect(await ensurePersistentSubscriptionToAll(store, g, settings)).toBe('created');
        expect(await ensurePersistentSubscriptionToAll(store, g, settings)).toBe('unchanged');
        expect(await ensurePersistentSubscriptionToAll(store, g, { ...settings, messageTimeoutMs: 6_000 })).toBe('updated');
        expect((await store.getPersistentSubscriptionToAllInfo(g)).settings).toMatchObject({ messageTimeoutMs: 6_000, maxRetryCount: 3 });
        // Leaving a setting out means its default, which is a change too.
        expect(await ensurePersistentSubscriptionToAll(store, g, { filter: filterOf(g), messageTimeoutMs: 6_000 })).toBe('updated');
        expect((await store.getPersistentSubscriptionToAllInfo(g)).settings).toMatchObject({ messageTimeoutMs: 6_000, maxRetryCount: 10 });
      });

      it('fails to subscribe to a group that does not exist', async () => {
        const err = await caught(
          (async () => {
            for await (const _ of store.subscribeToPersistentSubscriptionToAll(group())) break;
          })(),
        );
        expect(err).toBeInstanceOf(PersistentSubscriptionNotFoundError);
      });

      it('starts from the end by default, or from the start', async () => {
        const p = `contract-${uid()}`;
        await append(`${p}-s`, 1);
        const fromEnd = group();
        const fromStart = group();
        await store.createPersistentSubscriptionToAll(fromEnd, { filter: filterOf(p) });
        await store.createPersistentSubscriptionToAll(fromStart, { startFrom: 'start', filter: filterOf(p) });
        await append(`${p}-s`, 1);
        const end = consume(store.subscribeToPersistentSubscriptionToAll(fromEnd), async () => {});
        const start = consume(store.subscribeToPersistentSubscriptionToAll(fromStart), async () => {});
        await waitFor('deliveries', () => end.received.length >= 1 && start.received.length >= 2);
        await sleep(30);
        expect(end.received.map((r) => r.event.revision)).toEqual([1n]);
        expect(start.received.map((r) => r.event.revision)).toEqual([0n, 1n]);
        await end.stop();
        await start.stop();
      });

      it('does not redeliver acked or skipped events', async () => {
        const p = `contract-${uid()}`;
        const g = group();
        await store.createPersistentSubscriptionToAll(g, { filter: filterOf(p), messageTimeoutMs: 200 });
        const sub = store.subscribeToPersistentSubscriptionToAll(g);
        const c = consume(sub, (pe) => (pe.event.data['n'] === 1 ? sub.nack('skip', 'not needed', pe) : sub.ack(pe)));
        await append(`${p}-s`, 3);
        await waitFor('deliveries', () => c.received.length >= 3);
        await sleep(600);
        expect(c.received.map((r) => [r.event.revision, r.retryCount])).toEqual([
          [0n, 0],
          [1n, 0],
          [2n, 0],
        ]);
        await c.stop();
      });

      it('settles every event of one ack call: none is redelivered', async () => {
        const p = `contract-${uid()}`;
        const g = group();
        await store.createPersistentSubscriptionToAll(g, { filter: filterOf(p), messageTimeoutMs: 200 });
        const sub = store.subscribeToPersistentSubscriptionToAll(g);
        const held: PersistentEvent[] = [];
        // Held until all four arrived, then acked in one call, out of order.
        const c = consume(sub, (pe) => {
          held.push(pe);
          return held.length === 4 ? sub.ack(held[2]!, held[0]!, held[3]!, held[1]!) : Promise.resolve();
        });
        await append(`${p}-s`, 4);
        await waitFor('deliveries', () => c.received.length >= 4);
        await sleep(600);
        expect(c.received.map((r) => [r.event.revision, r.retryCount])).toEqual([
          [0n, 0],
          [1n, 0],
          [2n, 0],
          [3n, 0],
        ]);
        await c.stop();
      });

      it('redelivers on nack retry with an increasing retryCount, then parks after maxRetryCount; replay delivers again', async () => {
        const p = `contract-${uid()}`;
        const g = group();
        await store.createPersistentSubscriptionToAll(g, { filter: filterOf(p), maxRetryCount: 2 });
        let replayed = false;
        const sub = store.subscribeToPersistentSubscriptionToAll(g);
        const c = consume(sub, (pe) => (replayed ? sub.ack(pe) : sub.nack('retry', 'try again', pe)));
        await append(`${p}-s`, 1);
        await waitFor('three deliveries', () => c.received.length >= 3);
        await sleep(50);
        expect(c.received.map((r) => r.retryCount)).toEqual([0, 1, 2]);
        replayed = true;
        // Parking is the server's business and may take a moment: replay until the event comes back.
        await replayUntil(g, () => c.received.length >= 4);
        expect(c.received[3]?.event.id).toBe(c.received[0]?.event.id);
        // What retryCount a replay carries is not part of the contract (EventStoreDB may restart it at 0).
        await sleep(50);
        expect(c.received).toHaveLength(4);
        await c.stop();
      });

      it('parks on nack park, and replays parked events', async () => {
        const p = `contract-${uid()}`;
        const g = group();
        await store.createPersistentSubscriptionToAll(g, { filter: filterOf(p) });
        const sub = store.subscribeToPersistentSubscriptionToAll(g);
        const seen = new Set<string>();
        const c = consume(sub, (pe) => {
          const first = !seen.has(pe.event.id);
          seen.add(pe.event.id);
          return first && pe.event.data['n'] === 0 ? sub.nack('park', 'poison', pe) : sub.ack(pe);
        });
        await append(`${p}-s`, 2);
        await waitFor('deliveries', () => c.received.length >= 2);
        await sleep(50);
        expect(c.received).toHaveLength(2);
        await replayUntil(g, () => c.received.length >= 3);
        expect(c.received[2]?.event.data).toEqual({ n: 0 });
        await sleep(50);
        expect(c.received).toHaveLength(3);
        await c.stop();
      });

      it('redelivers an unacknowledged event after the message timeout', async () => {
        const p = `contract-${uid()}`;
        const g = group();
        await store.createPersistentSubscriptionToAll(g, { filter: filterOf(p), messageTimeoutMs: 100 });
        const sub = store.subscribeToPersistentSubscriptionToAll(g);
        const c = consume(sub, (pe) => (pe.retryCount === 0 ? Promise.resolve() : sub.ack(pe)));
        await append(`${p}-s`, 1);
        await waitFor('redelivery', () => c.received.length >= 2);
        expect(c.received.map((r) => r.retryCount)).toEqual([0, 1]);
        expect(c.received[1]?.event.id).toBe(c.received[0]?.event.id);
        await c.stop();
      });

      it('shares events between competing consumers, each event to one consumer', async () => {
        const p = `contract-${uid()}`;
        const g = group();
        await store.createPersistentSubscriptionToAll(g, { filter: filterOf(p) });
        const subA = store.subscribeToPersistentSubscriptionToAll(g);
        const subB = store.subscribeToPersistentSubscriptionToAll(g);
        const a = consume(subA, (pe) => subA.ack(pe));
        const b = consume(subB, (pe) => subB.ack(pe));
        let appended = 0;
        const deadline = Date.now() + WAIT_MS;
        while ((a.received.length === 0 || b.received.length === 0 || appended < 20) && Date.now() < deadline) {
          await append(`${p}-s`, 2);
          appended += 2;
          await sleep(2);
        }
        await waitFor('all events', () => a.received.length + b.received.length >= appended);
        await sleep(50);
        expect(a.received.length).toBeGreaterThan(0);
        expect(b.received.length).toBeGreaterThan(0);
        const all = [...a.received, ...b.received];
        expect(all.every((r) => r.retryCount === 0)).toBe(true);
        expect(new Set(all.map((r) => r.event.id)).size).toBe(appended);
        expect(all).toHaveLength(appended);
        await a.stop();
        await b.stop();
      });
    });
  });
}
