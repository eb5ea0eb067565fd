import { describe, expect, it } from 'vitest';
import { streams } from '../domain/streams';
import type { EventStore, PersistentEvent, PersistentSubscription } from '../store/eventStore';
import { Dispatcher } from './dispatcher';
import type { Harness } from './testHarness';
import { createEndpoint, sendMessage, settled, streamEvents, testConfig, useHarness, waitFor } from './testHarness';

/** The store, with persistent-subscription acks passed through only when `keep` says so. */
const withAcks = (store: EventStore, keep: (pe: PersistentEvent) => boolean): EventStore =>
  new Proxy(store, {
    get(target, prop) {
      if (prop === 'subscribeToPersistentSubscriptionToAll') {
        return (group: string, options?: { bufferSize?: number }): PersistentSubscription => {
          const sub = target.subscribeToPersistentSubscriptionToAll(group, options);
          return {
            ack: async (...events) => sub.ack(...events.filter(keep)),
            nack: (action, reason, pe) => sub.nack(action, reason, pe),
            stop: () => sub.stop(),
            [Symbol.asyncIterator]: () => sub[Symbol.asyncIterator](),
          };
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

/** The store, with each ack call's events given to `seen` (awaited) before they are passed through. */
const watchAcks = (store: EventStore, seen: (events: PersistentEvent[]) => Promise<void>): EventStore =>
  new Proxy(store, {
    get(target, prop) {
      if (prop === 'subscribeToPersistentSubscriptionToAll') {
        return (group: string, options?: { bufferSize?: number }): PersistentSubscription => {
          const sub = target.subscribeToPersistentSubscriptionToAll(group, options);
          return {
            ack: async (...events) => (await seen(events), sub.ack(...events)),
            nack: (action, reason, pe) => sub.nack(action, reason, pe),
            stop: () => sub.stop(),
            [Symbol.asyncIterator]: () => sub[Symbol.asyncIterator](),
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

describe('crash safety', () => {
  it('redelivers and attempts a subscription event that was not acked before the dispatcher went away', async () => {
    const r = await receiver((_req, i) => (i === 0 ? 'hang' : { status: 200 }));
    const ep = await createEndpoint(h, { url: r.url });
    const first = await h.dispatcher({ stopTimeoutMs: 100 });
    const sent = await sendMessage(h, [ep]);
    await waitFor('first request', () => r.requests.length === 1);

    // Stopped mid-attempt: nothing is recorded, the event stays unacked; the store is closed as a crash would leave it.
    await first.stop();
    expect(await streamEvents(h.events, streams.outbound(sent.outboundIds[0]!))).toEqual([]);
    await h.reopenEvents();

    await h.dispatcher();
    const doc = await settled(h, sent.outboundIds[0]!, 'success');
    expect(doc.attempts).toBe(1);
    expect(r.requests).toHaveLength(2);
    expect(r.requests.map((q) => q.headers['webhook-id'])).toEqual([sent.messageId, sent.messageId]);
  });

  it('acks without a second request a redelivered event whose outcome is already appended', async () => {
    const r = await receiver();
    const ep = await createEndpoint(h, { url: r.url });
    const acks: string[] = [];
    // The first dispatcher's acks are lost; the second one's are counted.
    const lossy = new Dispatcher({ events: withAcks(h.events, () => false), reads: h.reads, ops: h.ops, masterKey: h.masterKey, config: testConfig() });
    await lossy.start();
    const sent = await sendMessage(h, [ep]);
    await settled(h, sent.outboundIds[0]!, 'success');
    await lossy.stop();

    const second = new Dispatcher({ events: withAcks(h.events, (pe) => (acks.push(pe.event.streamId), true)), reads: h.reads, ops: h.ops, masterKey: h.masterKey, config: testConfig() });
    await second.start();
    try {
      await waitFor('redelivered event acked', () => acks.includes(streams.message(sent.messageId)));
      expect(r.requests).toHaveLength(1);
      expect((await streamEvents(h.events, streams.outbound(sent.outboundIds[0]!))).map((e) => e.type)).toEqual(['AttemptSucceeded']);
    } finally {
      await second.stop();
    }
  });

  it('reads a delivery\'s stream once before its first attempt, whether or not an earlier run may have made it', async () => {
    const r = await receiver();
    const ep = await createEndpoint(h, { url: r.url });
    const reads: string[] = [];
    const counting = new Proxy(h.events, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (prop === 'readStream') return (streamId: string, ...rest: unknown[]) => (reads.push(streamId), (value as (...a: unknown[]) => unknown).apply(target, [streamId, ...rest]));
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const dispatcher = new Dispatcher({ events: counting, reads: h.reads, ops: h.ops, masterKey: h.masterKey, config: testConfig() });
    // Sent while no dispatcher ran, then while it runs: nothing the subscription says tells the two apart for
    // certain (firstDelivery.test.ts), so the delivery's own stream is read for both, once, and appended against.
    const before = await sendMessage(h, [ep]);
    await dispatcher.start();
    await settled(h, before.outboundIds[0]!, 'success');
    const after = await sendMessage(h, [ep]);
    await settled(h, after.outboundIds[0]!, 'success');
    await dispatcher.stop();
    for (const sent of [before, after]) expect(reads.filter((s) => s === streams.outbound(sent.outboundIds[0]!))).toHaveLength(1);
    expect(r.requests.map((q) => q.headers['webhook-id'])).toEqual([before.messageId, after.messageId]);
  });

  it('acks the events settled in one turn together, each once, each after its outcome is appended', async () => {
    // Ten deliveries to endpoints of their own (one endpoint's attempts run one after another), answered together
    // once all ten requests arrived: their outcomes are recorded in one turn or a few.
    const COUNT = 10;
    let release: () => void = () => undefined;
    const together = new Promise<void>((resolve) => (release = resolve));
    const r = await receiver(async (_req, i) => {
      if (i === COUNT - 1) release();
      await together;
      return { status: 200 };
    });
    const eps = [];
    for (let i = 0; i < COUNT; i++) eps.push(await createEndpoint(h, { url: r.url }));
    const sent = [];
    for (const ep of eps) sent.push(await sendMessage(h, [ep]));
    const calls: string[][] = [];
    const unrecorded: string[] = [];
    const dispatcher = new Dispatcher({
      events: watchAcks(h.events, async (events) => {
        calls.push(events.map((pe) => pe.event.streamId));
        for (const pe of events) {
          const outboundId = (pe.event.data['outbound'] as { outboundId: string }[])[0]!.outboundId;
          if ((await streamEvents(h.events, streams.outbound(outboundId))).length === 0) unrecorded.push(pe.event.streamId);
        }
      }),
      reads: h.reads,
      ops: h.ops,
      masterKey: h.masterKey,
      config: testConfig(),
    });
    await dispatcher.start();
    try {
      for (const s of sent) await settled(h, s.outboundIds[0]!, 'success');
      await waitFor('every event acked', () => calls.flat().length >= sent.length);
    } finally {
      await dispatcher.stop();
    }
    expect(unrecorded).toEqual([]);
    expect(calls.flat().sort()).toEqual(sent.map((s) => streams.message(s.messageId)).sort());
    expect(calls.length).toBeLessThan(sent.length);
  });
});
