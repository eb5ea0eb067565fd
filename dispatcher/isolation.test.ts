import { describe, expect, it } from 'vitest';
import { collections } from '../projections/readModels';
import type { OutboundDoc } from '../projections/readModels';
import type { Harness } from './testHarness';
import { createEndpoint, sendMessage, useHarness, waitFor } from './testHarness';

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
    // The hanging endpoint got no more than its concurrency at once; the rest of its deliveries were handed to the
    // due-queue (no attempt made) instead of holding the subscription.
    expect(hanging.requests.length).toBeLessThanOrEqual(4);
    const waiting = await h.reads.collection<OutboundDoc>(collections.outbound).find({ where: { endpointId: slow.id, status: 'pending' }, limit: 100 });
    expect(waiting.items.filter((o) => o.attempts === 0 && o.nextAttemptAt !== null).length).toBeGreaterThanOrEqual(20);
  });
});
