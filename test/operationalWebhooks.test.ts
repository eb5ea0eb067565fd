import { createWebhook } from '@hookbase/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';

// Operational webhooks: the company's own application (uid hookbase-operational) hears of deliveries that failed
// for good, as a signed webhook like any other.

let hb: TestHookbase;
let operator: Receiver;
let failing: Receiver;

beforeAll(async () => {
  operator = await startReceiver();
  failing = await startReceiver((_req, res) => res.writeHead(500).end('down'));
  // Two attempts per delivery (one delay), on the default worker threads.
  hb = await startTestHookbase({ env: { HOOKBASE_RETRY_SCHEDULE: '50ms' } });
});
afterAll(async () => {
  await hb.stop();
  await operator.close();
  await failing.close();
});

const created = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
  const res = await hb.request('POST', path, body);
  expect(res.status, res.text).toBe(201);
  return res.body as Record<string, unknown>;
};

describe('operational webhooks', () => {
  it('an exhausted delivery produces exactly one delivery.exhausted webhook, signed with the operational endpoint secret', async () => {
    const ops = await created('/v1/applications', { name: 'Operations', uid: 'hookbase-operational' });
    for (const name of ['delivery.exhausted', 'message.failed_to_fan_out']) await created('/v1/event-types', { name });
    const opsEndpoint = await created(`/v1/applications/${String(ops.id)}/endpoints`, { url: operator.url, eventTypes: ['delivery.exhausted'] });
    const secret = String(opsEndpoint.secret);

    const customer = await created('/v1/applications', { name: 'Customer' });
    await created('/v1/event-types', { name: 'invoice.paid' });
    const endpoint = await created(`/v1/applications/${String(customer.id)}/endpoints`, { url: failing.url });
    const sent = await hb.request('POST', `/v1/applications/${String(customer.id)}/messages`, { eventType: 'invoice.paid', payload: { id: 'in_1' } });
    expect(sent.status, sent.text).toBe(202);
    const message = sent.body as Record<string, unknown>;

    await failing.waitFor(2);
    const [hook] = await operator.waitFor(1, 15_000);
    const verified = createWebhook(secret).verify<Record<string, unknown>>(hook!.body, hook!.headers as Record<string, string>);
    expect(verified.type).toBe('delivery.exhausted');
    expect(verified.data).toMatchObject({ messageId: message.id, endpointId: endpoint.id, applicationId: customer.id, attempts: 2 });

    // Exactly one: the same exhaustion is never announced twice, and the operational app's own message is not.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(operator.received).toHaveLength(1);
    // It is a message of the operational application like any other, with an eventId derived from the source event.
    const listed = await eventually(async () => {
      const res = await hb.request('GET', `/v1/applications/${String(ops.id)}/messages`);
      const data = (res.body as { data: { eventType: string; eventId: string | null }[] }).data;
      return data.length > 0 ? data : undefined;
    });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ eventType: 'delivery.exhausted', eventId: expect.stringMatching(/^op_/) });
  });
});
