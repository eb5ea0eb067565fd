import { describe, expect, it } from 'vitest';
import type { EndpointCircuitOpened } from '../domain/endpoint/endpoint';
import { streams } from '../domain/streams';
import { collections } from '../projections/readModels';
import type { EndpointDoc } from '../projections/readModels';
import type { Harness } from './testHarness';
import { createEndpoint, sendMessage, settled, streamEvents, useHarness, waitFor } from './testHarness';
import { circuitFailures } from './circuitFailures';
import type { FailureStreak } from './circuitFailures';

let h: Harness;
const receiver = useHarness((opened) => {
  h = opened;
});

const circuitEvents = async (endpointId: string) =>
  (await streamEvents(h.events, streams.endpoint(endpointId))).filter((e) => e.type.startsWith('EndpointCircuit'));

describe('circuit breaker', () => {
  it("ends a failure streak left by a dispatcher that died mid-streak at its first success: one more failure opens nothing", async () => {
    // The first request succeeds, the second fails; a dispatcher that died had counted 2 failures in a row.
    const r = await receiver((_req, i) => (i === 1 ? { status: 500 } : { status: 200 }));
    const ep = await createEndpoint(h, { url: r.url });
    await h.ops.transaction((tx) => tx.collection<FailureStreak>(circuitFailures).put({ id: ep.id, consecutive: 2, failingSince: Date.now() - 1_000 }));
    await h.dispatcher({ circuitFailureThreshold: 3, circuitCooldownMs: 60_000, retryScheduleMs: [30] });
    const first = await sendMessage(h, [ep], { maxAttempts: 2 });
    await settled(h, first.outboundIds[0]!, 'success');
    // That success was this dispatcher's first news of the endpoint: the streak it did not know of is over.
    expect(await h.ops.collection<FailureStreak>(circuitFailures).get(ep.id)).toBeNull();
    const second = await sendMessage(h, [ep], { maxAttempts: 2 });
    await settled(h, second.outboundIds[0]!, 'success');
    expect(await circuitEvents(ep.id)).toEqual([]);
    expect(r.requests).toHaveLength(3);
  });

  it('opens after consecutive failures, holds deliveries without burning attempts, probes, and closes', async () => {
    // Fails the first 3 attempts and the first probe; then healthy.
    const r = await receiver((_req, i) => (i < 4 ? { status: 500 } : { status: 200 }));
    const ep = await createEndpoint(h, { url: r.url });
    await h.dispatcher({ circuitFailureThreshold: 3, circuitCooldownMs: 400, retryScheduleMs: Array(10).fill(30) });
    const a = await sendMessage(h, [ep], { maxAttempts: 11 });

    const opened = await waitFor('circuit open', async () => (await circuitEvents(ep.id)).find((e): e is EndpointCircuitOpened => e.type === 'EndpointCircuitOpened'));
    expect(opened.data.consecutiveFailures).toBe(3);
    // Sent while the circuit is open: it waits for the probe.
    const b = await sendMessage(h, [ep], { maxAttempts: 11 });

    const doneA = await settled(h, a.outboundIds[0]!, 'success', 6_000);
    const doneB = await settled(h, b.outboundIds[0]!, 'success');
    await waitFor('circuit closed', async () => (await h.reads.collection<EndpointDoc>(collections.endpoints).get(ep.id))?.circuit === 'closed');

    const types = (await circuitEvents(ep.id)).map((e) => e.type);
    expect(types).toEqual(['EndpointCircuitOpened', 'EndpointCircuitHalfOpened', 'EndpointCircuitOpened', 'EndpointCircuitHalfOpened', 'EndpointCircuitClosed']);
    const [firstOpen, , secondOpen] = (await circuitEvents(ep.id)) as [EndpointCircuitOpened, unknown, EndpointCircuitOpened];
    // No request while the circuit was open; the second cooldown is longer than the first.
    const inside = (from: string, to: string) => r.requests.filter((q) => q.at > Date.parse(from) + 5 && q.at < Date.parse(to) - 5);
    expect(inside(firstOpen.data.openedAt, firstOpen.data.probeAt)).toHaveLength(0);
    expect(inside(secondOpen.data.openedAt, secondOpen.data.probeAt)).toHaveLength(0);
    expect(Date.parse(secondOpen.data.probeAt) - Date.parse(secondOpen.data.openedAt)).toBe(800);
    // a: 3 failures + a failed probe + a successful attempt; b: one attempt, nothing burned while waiting.
    expect(r.requests).toHaveLength(6);
    expect(doneA.attempts + doneB.attempts).toBe(6);
    expect(doneB.attempts).toBeLessThanOrEqual(2);
  });

  it('disables an endpoint whose attempts have all failed for disableAfterMs', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const ep = await createEndpoint(h, { url: r.url });
    await h.dispatcher({ disableAfterMs: 300, retryScheduleMs: Array(20).fill(80) });
    const sent = await sendMessage(h, [ep], { maxAttempts: 21 });

    const endpoint = await waitFor('endpoint disabled', async () => {
      const doc = await h.reads.collection<EndpointDoc>(collections.endpoints).get(ep.id);
      return doc?.disabled ? doc : undefined;
    });
    expect(endpoint.disabledReason).toMatch(/^Every attempt failed for .+ \(last error: HTTP 500\)$/);
    const doc = await settled(h, sent.outboundIds[0]!, 'exhausted');
    expect(doc.lastError).toMatch(/^Endpoint disabled: Every attempt failed/);
    expect(r.requests.length).toBeGreaterThanOrEqual(4);
    expect(r.requests.length).toBeLessThan(10);
  });
});
