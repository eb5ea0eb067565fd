import { describe, expect, it } from 'vitest';
import { streams } from '../domain/streams';
import type { EventStore, PersistentEvent, PersistentSubscription, Position } from '../store/eventStore';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { Dispatcher } from './dispatcher';
import type { Harness } from './testHarness';
import { createEndpoint, sendMessage, settled, sleep, streamEvents, testConfig, useHarness, waitFor } from './testHarness';

/** What the emulated server does to the events of the group it hands to consumers (see `asEventStoreDb`). */
type ServerEmulation = {
  /** Event ids whose next ack never reaches the server (a connection reset after the client sent it). */
  loseNextAck: Set<string>;
  /** Event ids whose next ack the server takes as a park: it ran out of retries whose acks were lost. */
  parkOnNextAck: Set<string>;
  /** Set when the server "restarted": it reloads the group from its checkpoint and re-reads what follows. */
  restarted: boolean;
  /** Acks that reached the server, by event id. */
  acked: string[];
  /** Which consumer (by the label given to `asEventStoreDb`) was handed each event id, in order. */
  handedTo: Array<{ id: string; consumer: string }>;
};

const newEmulation = (): ServerEmulation => ({ loseNextAck: new Set(), parkOnNextAck: new Set(), restarted: false, acked: [], handedTo: [] });

/**
 * The embedded store as EventStoreDB's persistent subscriptions hand events out (KurrentDB source):
 * - a parked event is written to the group's parked stream as a link (`$>`), and replaying it delivers that link:
 *   `OutstandingMessage.ForParkedEvent` sets its retry count to 0, and `PersistentSubscriptions.Read.cs`
 *   `ConvertToReadEvent` sends the link's `OriginalPosition` as the event's position, which the client hands
 *   through (`convertGrpcEvent`): a position after everything appended before the park;
 * - after a server restart (or a leader change, or a group update) the group reloads from its checkpoint and
 *   re-reads what follows with `OutstandingMessage.ForNewEvent`: retry count 0 again, at the event's own position,
 *   to whichever consumer round robin picks (`PersistentSubscription.cs`).
 * The embedded store keeps a replayed event's original position and counts its retries on: this wrapper turns
 * those into what the server above sends, and keeps the originals to settle them.
 */
const asEventStoreDb = (store: EventStore, server: ServerEmulation, consumer: string): EventStore =>
  new Proxy(store, {
    get(target, prop) {
      if (prop === 'subscribeToPersistentSubscriptionToAll') {
        return (group: string, options?: { bufferSize?: number }): PersistentSubscription => {
          const sub = target.subscribeToPersistentSubscriptionToAll(group, options);
          const linkPositions = new Map<string, Position>();
          const originals = new WeakMap<PersistentEvent, PersistentEvent>();
          const original = (pe: PersistentEvent): PersistentEvent => originals.get(pe) ?? pe;
          const iterator = sub[Symbol.asyncIterator]();
          return {
            // The server settles each id of an ack message on its own.
            ack: async (...events) => {
              for (const pe of events) {
                const id = pe.event.id;
                if (server.loseNextAck.delete(id)) continue;
                if (server.parkOnNextAck.delete(id)) {
                  const link = await target.appendToStream(`$persistentsubscription-$all::${group}-parked`, [{ type: '$>', data: { link: `${pe.event.revision}@${pe.event.streamId}` } }]);
                  linkPositions.set(id, link.position);
                  await sub.nack('park', 'max retry count reached', original(pe));
                  continue;
                }
                server.acked.push(id);
                await sub.ack(original(pe));
              }
            },
            nack: (action, reason, pe) => sub.nack(action, reason, original(pe)),
            stop: () => sub.stop(),
            [Symbol.asyncIterator]: () => ({
              next: async () => {
                const r = await iterator.next();
                if (r.done) return r;
                const pe = r.value;
                server.handedTo.push({ id: pe.event.id, consumer });
                const link = linkPositions.get(pe.event.id);
                let sent: PersistentEvent = pe;
                if (link) sent = { event: { ...pe.event, position: link }, retryCount: 0 };
                else if (server.restarted && pe.retryCount > 0) sent = { event: pe.event, retryCount: 0 };
                originals.set(sent, pe);
                return { done: false, value: sent };
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

describe('no second webhook for a delivery already made, on EventStoreDB\'s redeliveries', () => {
  it('a parked event replayed (retry count 0, the parked link\'s position) is not sent again', async () => {
    const r = await receiver();
    const ep = await createEndpoint(h, { url: r.url });
    const server = newEmulation();
    const dispatcher = new Dispatcher({ events: asEventStoreDb(h.events, server, 'only'), reads: h.reads, ops: h.ops, masterKey: h.masterKey, config: testConfig() });
    await dispatcher.start();
    try {
      const sent = await sendMessage(h, [ep]);
      const [recorded] = await collectIds(h.events, streams.message(sent.messageId));
      server.parkOnNextAck.add(recorded!);
      await settled(h, sent.outboundIds[0]!, 'success');
      await waitFor('the message event parked', async () => (await h.events.getPersistentSubscriptionToAllInfo('dispatcher')).parkedCount === 1);
      // The operator replays it: the link comes after everything this dispatcher was handed.
      await h.events.replayParkedEvents('dispatcher');
      await waitFor('the replayed event acked', () => server.acked.includes(recorded!));
      await sleep(200);
      expect(r.requests.map((q) => q.headers['webhook-id'])).toEqual([sent.messageId]);
      expect((await streamEvents(h.events, streams.outbound(sent.outboundIds[0]!))).map((e) => e.type)).toEqual(['AttemptSucceeded']);
    } finally {
      await dispatcher.stop();
    }
  });

  it('an event redelivered with retry count 0 after a server restart, to another dispatcher, is not sent again', async () => {
    const r = await receiver();
    const ep = await createEndpoint(h, { url: r.url });
    const server = newEmulation();
    // Two dispatcher processes on one group (a second connection to the file is another process to the store).
    const otherEvents = SqliteEventStore.open(h.eventsPath);
    const config = testConfig({ subscriptionMessageTimeoutMs: 1_000 });
    const dispatchers = new Map([
      ['a', new Dispatcher({ events: asEventStoreDb(h.events, server, 'a'), reads: h.reads, ops: h.ops, masterKey: h.masterKey, config })],
      ['b', new Dispatcher({ events: asEventStoreDb(otherEvents, server, 'b'), reads: h.reads, ops: h.ops, masterKey: h.masterKey, config })],
    ]);
    for (const d of dispatchers.values()) await d.start();
    try {
      const sent = await sendMessage(h, [ep]);
      const [recorded] = await collectIds(h.events, streams.message(sent.messageId));
      // Delivered and recorded by whichever dispatcher got it; its ack is lost as the server goes down.
      server.loseNextAck.add(recorded!);
      await settled(h, sent.outboundIds[0]!, 'success');
      const first = server.handedTo.find((x) => x.id === recorded)!.consumer;
      // The server comes back and re-reads from its checkpoint; the dispatcher that had the event is gone by then.
      server.restarted = true;
      await dispatchers.get(first)!.stop();
      await waitFor('the event acked by the other dispatcher', () => server.acked.includes(recorded!), 10_000);
      expect(server.handedTo.filter((x) => x.id === recorded).map((x) => x.consumer)).toEqual([first, first === 'a' ? 'b' : 'a']);
      await sleep(200);
      expect(r.requests.map((q) => q.headers['webhook-id'])).toEqual([sent.messageId]);
      expect((await streamEvents(h.events, streams.outbound(sent.outboundIds[0]!))).map((e) => e.type)).toEqual(['AttemptSucceeded']);
    } finally {
      for (const d of dispatchers.values()) await d.stop();
      await otherEvents.close();
    }
  });
});

const collectIds = async (events: EventStore, streamId: string): Promise<string[]> => {
  const ids: string[] = [];
  for await (const e of events.readStream(streamId)) ids.push(e.id);
  return ids;
};

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
