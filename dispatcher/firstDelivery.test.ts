import { describe, expect, it } from 'vitest';
import { streams } from '../domain/streams';
import type { EventStore, PersistentEvent, PersistentSubscription, Position, RecordedEvent } from '../store/eventStore';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { Dispatcher } from './dispatcher';
import { FirstDeliveries } from './subscriptionConsumer';
import type { Harness } from './testHarness';
import { createEndpoint, sendMessage, settled, sleep, streamEvents, testConfig, useHarness, waitFor } from './testHarness';

const at = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });
const delivered = (n: number, retryCount = 0): PersistentEvent => ({ event: { position: at(n) } as RecordedEvent, retryCount });

describe('FirstDeliveries: when a delivery\'s stream need not be read', () => {
  it('takes only an event appended after the start, never handed before, with retryCount 0, for a first delivery', () => {
    const first = new FirstDeliveries(at(10));
    expect(first.isFirst(delivered(5))).toBe(false); // appended before the start: an earlier run may have attempted it
    expect(first.isFirst(delivered(11))).toBe(true);
    expect(first.isFirst(delivered(11))).toBe(false); // handed before
    expect(first.isFirst(delivered(12, 1))).toBe(false); // a retry
    expect(first.isFirst(delivered(14))).toBe(true);
    // Behind what was handed out already: a redelivery or a replay, whatever its retryCount says.
    expect(first.isFirst(delivered(13))).toBe(false);
  });
});

/**
 * The store as a server that restarts a replayed parked event's retryCount at 0 (EventStoreDB may), and that
 * parks a message event instead of acking its first delivery (its acks were lost until it ran out of retries, say).
 */
const zeroCountReplays = (store: EventStore, acked: string[]): EventStore =>
  new Proxy(store, {
    get(target, prop) {
      if (prop === 'subscribeToPersistentSubscriptionToAll') {
        return (group: string, options?: { bufferSize?: number }): PersistentSubscription => {
          const sub = target.subscribeToPersistentSubscriptionToAll(group, options);
          const parked = new Set<string>();
          const iterator = sub[Symbol.asyncIterator]();
          return {
            ack: async (pe) => {
              if (!parked.has(pe.event.id)) {
                parked.add(pe.event.id);
                return sub.nack('park', 'acks lost', pe);
              }
              acked.push(pe.event.id);
              return sub.ack(pe);
            },
            nack: (action, reason, pe) => sub.nack(action, reason, pe),
            stop: () => sub.stop(),
            [Symbol.asyncIterator]: () => ({
              next: async () => {
                const r = await iterator.next();
                return r.done ? r : { done: false, value: { ...r.value, retryCount: 0 } };
              },
            }),
          };
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

let h: Harness;
const receiver = useHarness((opened) => {
  h = opened;
});

describe('first attempts on a server that restarts retry counts', () => {
  it('does not deliver again an event redelivered with retryCount 0 after its outcome was recorded', async () => {
    const r = await receiver();
    const ep = await createEndpoint(h, { url: r.url });
    const acked: string[] = [];
    const dispatcher = new Dispatcher({ events: zeroCountReplays(h.events, acked), reads: h.reads, ops: h.ops, masterKey: h.masterKey, config: testConfig() });
    await dispatcher.start();
    try {
      // Sent while the dispatcher runs: its first delivery is a first delivery indeed.
      const sent = await sendMessage(h, [ep]);
      await settled(h, sent.outboundIds[0]!, 'success');
      await waitFor('the message event parked', async () => (await h.events.getPersistentSubscriptionToAllInfo('dispatcher')).parkedCount === 1);
      // The operator replays it: it comes back with retryCount 0, appended after the dispatcher started.
      await h.events.replayParkedEvents('dispatcher');
      await waitFor('the replayed event acked', () => acked.length === 1);
      expect(r.requests.map((q) => q.headers['webhook-id'])).toEqual([sent.messageId]);
      expect((await streamEvents(h.events, streams.outbound(sent.outboundIds[0]!))).map((e) => e.type)).toEqual(['AttemptSucceeded']);
    } finally {
      await dispatcher.stop();
    }
  });
});

describe('two dispatchers on one data dir', () => {
  it('deliver each message once between them: the group\'s events are shared through the store, not copied', async () => {
    const r = await receiver();
    const ep = await createEndpoint(h, { url: r.url });
    // A second connection to the file: to the store it is another process.
    const otherEvents = SqliteEventStore.open(h.eventsPath);
    const here = new Dispatcher({ events: h.events, reads: h.reads, ops: h.ops, masterKey: h.masterKey, config: testConfig() });
    const there = new Dispatcher({ events: otherEvents, reads: h.reads, ops: h.ops, masterKey: h.masterKey, config: testConfig() });
    await here.start();
    await there.start();
    try {
      const sent: string[] = [];
      for (let i = 0; i < 60; i++) {
        // Sent through either connection, as through either of two API processes.
        sent.push((await sendMessage(i % 2 === 0 ? h : { ...h, events: otherEvents }, [ep])).messageId);
        if (i % 10 === 9) await sleep(30);
      }
      await waitFor('every message delivered', () => new Set(r.requests.map((q) => q.headers['webhook-id'])).size === sent.length, 15_000);
      await sleep(300);
      const ids = r.requests.map((q) => String(q.headers['webhook-id']));
      expect(ids).toHaveLength(sent.length);
      expect(new Set(ids)).toEqual(new Set(sent));
    } finally {
      await here.stop();
      await there.stop();
      await otherEvents.close();
    }
  });
});
