import { AccessDeniedError, UnavailableError } from '@eventstore/db-client';
import type { AllStreamSubscription, Filter, Position as ClientPosition, PrefixesFilter } from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import type { Position, RecordedEvent } from '../eventStore';
import { EsdbEventStore } from './esdbEventStore';
import type { SubscribeCall } from './fakeClient';
import { FakeEsdbClient, record, resolved } from './fakeClient';

/** The catch-up subscription of the EventStoreDB adapter, against a stand-in of the client's streaming subscription. */

const pos = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const waitFor = async (what: string, condition: () => boolean, timeoutMs = 2_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
};
const checkpoint = (call: SubscribeCall | undefined, n: number): Promise<void> | void => {
  const reached = (call?.filter as Filter | undefined)?.checkpointReached;
  if (!reached || !call) throw new Error('no checkpointReached on the filter');
  return reached(call.stream as unknown as AllStreamSubscription, pos(n) as ClientPosition);
};
const send = (call: SubscribeCall | undefined, n: number, stream = `message-${n}`): void => {
  call?.stream.write(resolved(record(n, stream, 'MessageSent')));
};

const setup = (retry = { initialMs: 10, maxMs: 40 }) => {
  const fake = new FakeEsdbClient();
  const lines: string[] = [];
  const store = new EsdbEventStore(fake.asClient(), { retry, log: (line) => lines.push(line) });
  const log: string[] = [];
  const batches: number[][] = [];
  const dropped: Error[] = [];
  let slow = 0;
  const handler = {
    onEvents: async (events: readonly RecordedEvent[]) => {
      if (slow) await sleep(slow);
      batches.push(events.map((e) => Number(e.position.commit)));
      log.push(`events ${events.map((e) => e.position.commit).join(',')}`);
    },
    onCheckpoint: (p: Position) => void log.push(`checkpoint ${p.commit}`),
    onDropped: (e: Error) => void dropped.push(e),
  };
  return { fake, store, lines, log, batches, dropped, handler, setSlow: (ms: number) => (slow = ms) };
};

describe('EventStoreDB adapter: catch-up subscription to $all', () => {
  it('subscribes with a server-side prefix filter that reports checkpoints, after the given position', async () => {
    const { fake, store, handler } = setup();
    const sub = store.subscribeToAll({ fromPosition: pos(41), filter: { streamNamePrefixes: ['message-'] } }, handler);
    const call = fake.subscribes[0];
    expect(call?.fromPosition).toEqual({ commit: 41n, prepare: 41n });
    expect((call?.filter as PrefixesFilter).prefixes).toEqual(['message-']);
    expect(call?.filter?.checkpointInterval).toBe(1);
    expect(typeof call?.filter?.checkpointReached).toBe('function');
    await sub.stop();
  });

  it('hands buffered events over in batches, in order, and drops any at or before its start', async () => {
    const { fake, store, handler, batches, setSlow } = setup();
    setSlow(30);
    const sub = store.subscribeToAll({ fromPosition: pos(2) }, handler);
    const call = fake.subscribes[0];
    for (const n of [2, 3, 4]) send(call, n);
    await waitFor('first batch', () => batches.length === 1);
    for (const n of [5, 6, 7]) send(call, n);
    await waitFor('every event', () => batches.flat().length === 5);
    expect(batches).toEqual([[3, 4], [5, 6, 7]]);
    await sub.stop();
  });

  it('reports a checkpoint only after every event before it is through the handler', async () => {
    const { fake, store, handler, log, setSlow } = setup();
    setSlow(40);
    const sub = store.subscribeToAll({}, handler);
    const call = fake.subscribes[0];
    send(call, 1);
    send(call, 2);
    await checkpoint(call, 9);
    // The client is not held while the batch is handled (it reads on: the next batch fills meanwhile)…
    expect(log).toEqual([]);
    // …and the checkpoint comes after the events before it.
    await waitFor('checkpoint 9', () => log.includes('checkpoint 9'));
    expect(log).toEqual(['events 1,2', 'checkpoint 9']);
    await checkpoint(call, 5); // behind what it already passed: not reported again
    await sleep(60);
    expect(log).toEqual(['events 1,2', 'checkpoint 9']);
    await sub.stop();
  });

  it('resubscribes after a dropped connection from the last checkpoint, with backoff reset by progress', async () => {
    const { fake, store, handler, log, lines, dropped } = setup({ initialMs: 10, maxMs: 40 });
    const sub = store.subscribeToAll({ filter: { streamNamePrefixes: ['message-'] } }, handler);
    send(fake.subscribes[0], 3);
    await checkpoint(fake.subscribes[0], 8);
    await waitFor('checkpoint 8', () => log.includes('checkpoint 8'));
    const started = Date.now();
    for (let attempt = 0; attempt < 4; attempt++) {
      fake.subscribes[attempt]?.stream.destroy(new UnavailableError(undefined, 'connection reset'));
      await waitFor(`resubscription ${attempt + 1}`, () => fake.subscribes.length === attempt + 2);
    }
    // 10 + 20 + 40 + 40 ms at least.
    expect(Date.now() - started).toBeGreaterThanOrEqual(105);
    expect(lines.map((l) => /in (\d+) ms/.exec(l)?.[1])).toEqual(['10', '20', '40', '40']);
    expect(lines[0]).toContain('connection reset');
    for (const call of fake.subscribes.slice(1)) {
      expect(call.fromPosition).toEqual({ commit: 8n, prepare: 8n });
      expect((call.filter as PrefixesFilter).prefixes).toEqual(['message-']);
    }
    expect(fake.subscribes.slice(0, 4).every((c) => c.stream.unsubscribed)).toBe(true);
    // Progress on the new subscription resets the backoff; a resubscription after it starts after the new event.
    send(fake.subscribes[4], 8); // the server repeats nothing, but anything at or before 8 is dropped anyway
    send(fake.subscribes[4], 12);
    await waitFor('event 12', () => log.includes('events 12'));
    fake.subscribes[4]?.stream.destroy(new UnavailableError(undefined, 'leader changed'));
    await waitFor('resubscription after progress', () => fake.subscribes.length === 6);
    expect(lines[4]).toMatch(/in 10 ms/);
    expect(fake.subscribes[5]?.fromPosition).toEqual({ commit: 12n, prepare: 12n });
    expect(log).toEqual(['events 3', 'checkpoint 8', 'events 12']);
    expect(dropped).toEqual([]);
    await sub.stop();
  });

  it('resubscribes when the server ends the subscription', async () => {
    const { fake, store, handler } = setup();
    const sub = store.subscribeToAll({}, handler);
    send(fake.subscribes[0], 4);
    await sleep(5);
    fake.subscribes[0]?.stream.end();
    await waitFor('resubscription', () => fake.subscribes.length === 2);
    expect(fake.subscribes[1]?.fromPosition).toEqual({ commit: 4n, prepare: 4n });
    await sub.stop();
  });

  it('drops, calling onDropped once and not resubscribing, when the handler throws', async () => {
    const { fake, store, dropped } = setup();
    store.subscribeToAll({}, {
      onEvents: async () => {
        throw new Error('projection failed');
      },
      onDropped: (e) => void dropped.push(e),
    });
    send(fake.subscribes[0], 1);
    await waitFor('drop', () => dropped.length === 1);
    send(fake.subscribes[0], 2);
    await sleep(30);
    expect(dropped.map((e) => e.message)).toEqual(['projection failed']);
    expect(fake.subscribes).toHaveLength(1);
    expect(fake.subscribes[0]?.stream.unsubscribed).toBe(true);
  });

  it('drops on an error that is not the connection’s (access denied)', async () => {
    const { fake, store, handler, dropped } = setup();
    store.subscribeToAll({}, handler);
    fake.subscribes[0]?.stream.destroy(new AccessDeniedError(undefined, 'access denied'));
    await waitFor('drop', () => dropped.length === 1);
    await sleep(30);
    expect(fake.subscribes).toHaveLength(1);
  });

  it('reports the end of $all as a checkpoint when it is only events the filter drops, never ahead of one to deliver', async () => {
    const fake = new FakeEsdbClient();
    const store = new EsdbEventStore(fake.asClient(), { tailCheckMs: 20 });
    const log: string[] = [];
    const sub = store.subscribeToAll(
      { filter: { streamNamePrefixes: ['mine-'] } },
      { onEvents: async (events) => void log.push(`events ${events.map((e) => e.position.commit).join(',')}`), onCheckpoint: (p) => void log.push(`checkpoint ${p.commit}`) },
    );
    const call = fake.subscribes[0];
    fake.all.push(record(1, 'mine-a', 'MessageSent'), record(2, 'other-a', 'Other'), record(3, 'other-b', 'Other'));
    send(call, 1, 'mine-a');
    // The server sent no checkpoint: the adapter covers the dropped tail itself.
    await waitFor('tail checkpoint', () => log.includes('checkpoint 3'));
    expect(log).toEqual(['events 1', 'checkpoint 3']);
    // An event for the handler that the subscription has not handed over yet holds the tail back...
    fake.all.push(record(4, 'mine-b', 'MessageSent'), record(5, 'other-c', 'Other'), record(6, '$stats-0', '$statsCollected'));
    await sleep(100);
    expect(log).toEqual(['events 1', 'checkpoint 3']);
    // ...until it has come through.
    send(call, 4, 'mine-b');
    await waitFor('tail checkpoint after the event', () => log.includes('checkpoint 6'));
    expect(log).toEqual(['events 1', 'checkpoint 3', 'events 4', 'checkpoint 6']);
    await sub.stop();
  });

  it('delivers nothing after stop() resolves', async () => {
    const { fake, store, handler, batches } = setup();
    const sub = store.subscribeToAll({}, handler);
    send(fake.subscribes[0], 1);
    await waitFor('event', () => batches.length === 1);
    await sub.stop();
    send(fake.subscribes[0], 2);
    await sleep(20);
    expect(batches).toEqual([[1]]);
  });
});
