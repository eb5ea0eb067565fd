import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { UNPROVEN_CONCURRENCY } from '../../dispatcher/endpointQueue';
import type { Receiver } from '../harness';
import { eventually, startReceiver, startTestHookbase } from '../harness';
import type { TestHookbase } from '../harness';

// Inbound events flow as outbound messages do (issue 19, bench figure 9): a receipt is routed and its delivery attempted
// as soon as the log has them, not at the next poll of the work lists, and a destination that answers runs its full
// concurrency. Asserted by what a user sees: every event delivered once, and how many requests the destination had
// at once; no bound on wall time beyond a poll period that the test makes far longer than its wait.

type Json = Record<string, unknown>;
let hb: TestHookbase | undefined;
let second: TestHookbase | undefined;
let receiver: Receiver | undefined;

afterEach(async () => {
  await second?.stop();
  second = undefined;
  await hb?.stop();
  await receiver?.close();
  hb = undefined;
  receiver = undefined;
});

/** A generic source without verification, routed to one destination at `url`: its ingest URL and id. */
const routedSource = async (h: TestHookbase, slug: string, url: string): Promise<{ ingestUrl: string; sourceId: string }> => {
  const source = await h.request('POST', '/v1/sources', { name: slug, slug, provider: 'generic', verifySignature: false });
  expect(source.status).toBe(201);
  const { id: sourceId, ingestUrl } = source.body as { id: string; ingestUrl: string };
  const destination = await h.request('POST', '/v1/destinations', { name: `${slug} service`, url });
  expect(destination.status).toBe(201);
  const route = await h.request('POST', '/v1/routes', { name: slug, sourceId, destinationId: (destination.body as Json).id });
  expect(route.status).toBe(201);
  return { ingestUrl, sourceId };
};

const ingestBurst = async (ingestUrl: string, count: number): Promise<string[]> =>
  Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const res = await fetch(ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'order.paid', n: i }) });
      expect(res.status).toBe(202);
      return String(((await res.json()) as Json).id);
    }),
  );

describe('inbound flow', () => {
  it('routes and delivers a burst as it is received, without waiting for a poll of the work lists', async () => {
    // Polls once a minute: before the fix, events were routed and delivered only from the polled work lists, so the
    // burst below (received after the dispatcher's first poll) waited a whole period for each of the two steps.
    hb = await startTestHookbase({ dispatcher: { duePollMs: 60_000 } });
    receiver = await startReceiver();
    const { ingestUrl, sourceId } = await routedSource(hb, 'burst', receiver.url);
    const ids = await ingestBurst(ingestUrl, 20);

    await receiver.waitFor(ids.length, 20_000);
    const h = hb;
    // Each event once: no second request for any of them (the feed and the poll claim with the same leases).
    const delivered = receiver.received.map((r) => String(r.headers['x-hookbase-event-id']));
    expect([...delivered].sort()).toEqual([...ids].sort());
    const listed = await eventually(async () => {
      const res = await h.request('GET', `/v1/inbound-deliveries?sourceId=${sourceId}&limit=100`);
      const items = (res.body as { data: Json[] }).data;
      return items.length === ids.length && items.every((d) => d.status === 'success') ? items : undefined;
    }, 20_000);
    expect(new Set(listed.map((d) => d.eventId))).toEqual(new Set(ids));
    expect(receiver.received).toHaveLength(ids.length);
  }, 60_000);

  it('a destination that answers runs more than the unproven few requests at once', async () => {
    // Each request is held until 8 are in flight or 1.5 s passed: before the fix, the destination's queue was never
    // told it answered and ran UNPROVEN_CONCURRENCY (4) requests at a time, for good.
    const WANTED = 8;
    const held: ServerResponse[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const answer = (res: ServerResponse): void => {
      if (res.writableEnded) return;
      inFlight--;
      res.end('ok');
    };
    hb = await startTestHookbase();
    receiver = await startReceiver((_req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      held.push(res);
      if (inFlight >= WANTED) for (const r of held.splice(0)) answer(r);
      else setTimeout(() => answer(res), 1_500).unref();
    });
    const { ingestUrl } = await routedSource(hb, 'wide', receiver.url);
    const ids = await ingestBurst(ingestUrl, 24);

    await receiver.waitFor(ids.length, 30_000);
    expect(new Set(receiver.received.map((r) => String(r.headers['x-hookbase-event-id'])))).toEqual(new Set(ids));
    expect(receiver.received).toHaveLength(ids.length);
    expect(maxInFlight).toBeGreaterThan(UNPROVEN_CONCURRENCY);
    expect(maxInFlight).toBeGreaterThanOrEqual(WANTED);
  }, 60_000);

  it('with two dispatchers on one store, each event is still delivered once', async () => {
    // Not a regression test (leases kept this before the feed too): the feed makes every dispatcher act on every
    // receipt and created delivery at once, so this checks that derived delivery ids and claims still give one request.
    hb = await startTestHookbase();
    second = await startTestHookbase({ roles: ['dispatcher'], dataDir: hb.dataDir, apiKey: hb.apiKey });
    receiver = await startReceiver();
    const { ingestUrl, sourceId } = await routedSource(hb, 'shared', receiver.url);
    const ids = await ingestBurst(ingestUrl, 40);

    await receiver.waitFor(ids.length, 30_000);
    const h = hb;
    const listed = await eventually(async () => {
      const res = await h.request('GET', `/v1/inbound-deliveries?sourceId=${sourceId}&limit=100`);
      const items = (res.body as { data: Json[] }).data;
      return items.length === ids.length && items.every((d) => d.status === 'success') ? items : undefined;
    }, 30_000);
    // Every attempt is recorded by now: one each, and the destination saw one request per event.
    expect(listed.map((d) => d.attempts)).toEqual(ids.map(() => 1));
    expect(new Set(listed.map((d) => d.eventId))).toEqual(new Set(ids));
    const requests = receiver.received.map((r) => String(r.headers['x-hookbase-event-id']));
    expect([...requests].sort()).toEqual([...ids].sort());
  }, 90_000);
});
