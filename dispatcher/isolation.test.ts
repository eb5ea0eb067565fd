import { describe, expect, it } from 'vitest';
import { collections } from '../projections/readModels';
import type { OutboundDoc } from '../projections/readModels';
import type { Harness } from './testHarness';
import { streams } from '../domain/streams';
import { createEndpoint, sendMessage, sleep, streamEvents, useHarness, waitFor } from './testHarness';

let h: Harness;
const receiver = useHarness((opened) => {
  h = opened;
});

const countStatus = (endpointId: string, status: OutboundDoc['status']) => h.reads.collection<OutboundDoc>(collections.outbound).count({ endpointId, status });

describe('per-endpoint queues', () => {
  it("enforces an endpoint's rateLimitPerSecond", async () => {
    const r = await receiver();
    const ep = await createEndpoint(h, { url: r.url, rateLimitPerSecond: 5 });
    await h.dispatcher();
    for (let i = 0; i < 15; i++) await sendMessage(h, [ep]);
    await waitFor('15 deliveries', async () => (await countStatus(ep.id, 'success')) === 15, 8_000);

    const at = r.requests.map((q) => q.at).sort((a, b) => a - b);
    expect(at).toHaveLength(15);
    expect(at[14]! - at[0]!).toBeGreaterThanOrEqual(2_000);
    // No one-second window holds more than the limit (plus the one-token burst).
    for (let i = 0; i < at.length; i++) expect(at.filter((t) => t >= at[i]! && t < at[i]! + 1_000).length).toBeLessThanOrEqual(6);
  });

  it('keeps a healthy endpoint fast while another never answers', async () => {
    const hanging = await receiver(() => 'hang');
    const healthy = await receiver();
    const slow = await createEndpoint(h, { url: hanging.url, timeoutSeconds: 2 });
    const fast = await createEndpoint(h, { url: healthy.url });
    // A small subscription buffer and queue backlog: the hanging endpoint's deliveries must be handed to the
    // due-queue rather than hold the subscription.
    await h.dispatcher({ subscriptionBufferSize: 8, maxQueuedPerEndpoint: 2, retryScheduleMs: [5_000] });

    const sentAt = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const t = Date.now();
      const sent = await sendMessage(h, [slow, fast], { maxAttempts: 2 });
      sentAt.set(sent.messageId, t);
    }
    await waitFor('30 healthy deliveries', async () => (await countStatus(fast.id, 'success')) === 30, 5_000);

    expect(healthy.requests).toHaveLength(30);
    const latencies = healthy.requests.map((q) => q.at - sentAt.get(q.headers['webhook-id'] as string)!).sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!;
    expect(p99).toBeLessThan(500); // the hanging endpoint's timeout is 2 000 ms
    // The hanging endpoint got no more than its concurrency at once (a few, as it never answered, and at most half the
    // buffer); the rest of its deliveries were handed to the due-queue (no attempt made) instead of holding the
    // subscription.
    expect(hanging.requests.length).toBeLessThanOrEqual(4);
    const waiting = await h.reads.collection<OutboundDoc>(collections.outbound).find({ where: { endpointId: slow.id, status: 'pending' }, orderBy: { key: 'createdAt', direction: 'asc' }, limit: 100 });
    expect(waiting.items.filter((o) => o.attempts === 0 && o.nextAttemptAt !== null).length).toBeGreaterThanOrEqual(20);
  });

  it("lets a fast endpoint's burst through at HTTP speed, none of it handed to the due-queue", async () => {
    let inFlight = 0;
    let peak = 0;
    const r = await receiver(async () => {
      peak = Math.max(peak, ++inFlight);
      await sleep(20);
      inFlight--;
      return { status: 200 };
    });
    const ep = await createEndpoint(h, { url: r.url });
    await h.dispatcher({ duePollMs: 60_000 });
    await sendMessage(h, [ep]);
    await waitFor('the first delivery', async () => (await countStatus(ep.id, 'success')) === 1);

    // More than the buffer's half, all at once: the endpoint keeps up, so it holds what the buffer lets it.
    const sent = await Promise.all(Array.from({ length: 300 }, () => sendMessage(h, [ep])));
    await waitFor('300 more deliveries', async () => (await countStatus(ep.id, 'success')) === 301, 8_000);
    expect(peak).toBeGreaterThan(4);
    expect(peak).toBeLessThanOrEqual(32);
    for (const m of sent) expect((await streamEvents(h.events, streams.outbound(m.outboundIds[0]!))).map((e) => e.type)).toEqual(['AttemptSucceeded']);
  });

  it('hands on the waiting first attempts of an endpoint that stops keeping up, and the others stay fast', async () => {
    const turning = await receiver((_req, i) => (i < 5 ? { status: 200 } : 'hang'));
    const healthy = await receiver();
    const slow = await createEndpoint(h, { url: turning.url, timeoutSeconds: 4 });
    const fast = await createEndpoint(h, { url: healthy.url });
    // Concurrency 32 (half the buffer); a fair share of 32 of the 64 while it is the only endpoint holding any.
    await h.dispatcher({ subscriptionBufferSize: 64, maxQueueWaitMs: 200, retryScheduleMs: [60_000] });
    for (let i = 0; i < 5; i++) await sendMessage(h, [slow]);
    await waitFor('5 deliveries while it answered', async () => (await countStatus(slow.id, 'success')) === 5);

    // It stops answering: 32 attempts hang, the others wait in its queue until it is seen not to keep up, then they
    // are handed to the due-queue without an attempt (RetryScheduled for attempt 1).
    const started = Date.now();
    const sent = await Promise.all(Array.from({ length: 60 }, () => sendMessage(h, [slow], { maxAttempts: 2 })));
    const handedOn = async () => {
      let n = 0;
      for (const m of sent) {
        const types = (await streamEvents(h.events, streams.outbound(m.outboundIds[0]!))).map((e) => e.type);
        if (types.length === 1 && types[0] === 'RetryScheduled') n++;
      }
      return n;
    };
    await waitFor('its waiting first attempts handed to the due-queue', async () => (await handedOn()) >= 25, 3_000);
    expect(Date.now() - started).toBeLessThan(4_000); // before its attempts time out
    expect(turning.requests.length).toBeLessThanOrEqual(5 + 32);

    const sentAt = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const t = Date.now();
      sentAt.set((await sendMessage(h, [fast])).messageId, t);
    }
    await waitFor('20 healthy deliveries', async () => (await countStatus(fast.id, 'success')) === 20, 3_000);
    expect(healthy.requests).toHaveLength(20);
    expect(Math.max(...healthy.requests.map((q) => q.at - sentAt.get(q.headers['webhook-id'] as string)!))).toBeLessThan(1_000);
    expect(Date.now() - started).toBeLessThan(4_000); // all while the slow one was hanging
  });

  it("fills an endpoint's queue from the due-queue, not only its free slots", async () => {
    const seen = new Set<string>();
    const r = await receiver((req) => {
      const id = req.headers['webhook-id'] as string;
      if (seen.has(id)) return { status: 200 };
      seen.add(id);
      return { status: 500 };
    });
    const ep = await createEndpoint(h, { url: r.url });
    // One poll a second: taking only free concurrency slots, 100 retries would need dozens of polls.
    await h.dispatcher({ retryScheduleMs: [0], duePollMs: 1_000 });
    await sendMessage(h, [ep], { maxAttempts: 2 });
    await waitFor('the first answer', () => r.requests.length >= 1);
    await Promise.all(Array.from({ length: 99 }, () => sendMessage(h, [ep], { maxAttempts: 2 })));
    await waitFor('100 deliveries on their second attempt', async () => (await countStatus(ep.id, 'success')) === 100, 6_000);
    expect(r.requests).toHaveLength(200);
  });
});
