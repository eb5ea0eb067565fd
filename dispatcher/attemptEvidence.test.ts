import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { endpointDecider } from '../domain/endpoint/decide';
import { streams } from '../domain/streams';
import { handleCommand } from '../store/commandHandler';
import type { Harness, Receiver } from './testHarness';
import { createEndpoint, openHarness, sendMessage, settled, startReceiver, streamEvents } from './testHarness';

const sha256 = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

let h: Harness;
let r: Receiver;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
  await r?.close();
});

// Issue 18, signed delivery receipts: an attempt's event records what the receipt proves, exactly as it went out.
describe('an attempt records what its receipt proves', () => {
  it('the headers, URL and body hash sent, and the hash of the response body, for a failure and then a success', async () => {
    r = await startReceiver((_req, i) => (i === 0 ? { status: 500, body: 'boom ✗' } : { status: 204 }));
    const ep = await createEndpoint(h, { url: `${r.url}/hooks?tenant=7`, retryDelays: [0] });
    await h.dispatcher();
    const sent = await sendMessage(h, [ep], { eventType: 'order.created', payload: { orderId: 9, note: 'é' } });
    const outboundId = sent.outboundIds[0]!;
    await settled(h, outboundId, 'success');

    const attempts = (await streamEvents(h.events, streams.outbound(outboundId))).filter((e) => e.type === 'AttemptFailed' || e.type === 'AttemptSucceeded');
    expect(attempts.map((e) => e.type)).toEqual(['AttemptFailed', 'AttemptSucceeded']);
    expect(r.requests).toHaveLength(2);
    for (const [i, event] of attempts.entries()) {
      const req = r.requests[i]!;
      const data = event.data as Record<string, unknown>;
      expect(data.request).toEqual({
        url: `${r.url}/hooks?tenant=7`,
        webhookId: sent.messageId,
        webhookTimestamp: req.headers['webhook-timestamp'],
        webhookSignature: req.headers['webhook-signature'],
        bodySha256: sha256(Buffer.from(req.body, 'utf8')),
        sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(Math.abs(Date.parse((data.request as { sentAt: string }).sentAt) / 1000 - Number(req.headers['webhook-timestamp']))).toBeLessThan(1);
    }
    expect((attempts[0]!.data as Record<string, unknown>).responseBodySha256).toBe(sha256(Buffer.from('boom ✗', 'utf8')));
    expect((attempts[1]!.data as Record<string, unknown>).responseBodySha256).toBe(sha256(''));
    // No secret reaches the event: neither the endpoint's signing secret nor its key.
    expect(JSON.stringify(attempts)).not.toContain(ep.secret.slice('whsec_'.length));
  });

  it('nothing of a request when none was sent (the endpoint is disabled)', async () => {
    r = await startReceiver();
    const ep = await createEndpoint(h, { url: r.url });
    await handleCommand(h.events, streams.endpoint(ep.id), endpointDecider, { type: 'DisableEndpoint', data: { endpointId: ep.id, reason: 'test' }, metadata: { now: new Date().toISOString() } });
    await h.dispatcher();
    const sent = await sendMessage(h, [ep], { eventType: 'order.created', payload: {} });
    await settled(h, sent.outboundIds[0]!, 'exhausted');
    const [failed] = (await streamEvents(h.events, streams.outbound(sent.outboundIds[0]!))).filter((e) => e.type === 'AttemptFailed');
    expect(failed!.data).not.toHaveProperty('request');
    expect(failed!.data).not.toHaveProperty('responseBodySha256');
    expect(r.requests).toHaveLength(0);
  });
});
