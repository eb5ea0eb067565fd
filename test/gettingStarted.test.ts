import { createWebhook } from '@hookbase/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';

// The Getting Started page, snippet by snippet, through the SDK against a started server and a real receiver.
describe('Getting Started, end to end', () => {
  let hb: TestHookbase;
  let receiver: Receiver;

  beforeAll(async () => {
    hb = await startTestHookbase();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await hb.stop();
    await receiver.close();
  });

  it('creates the application, the event types and an endpoint, sends once with eventId, and the receiver verifies it', async () => {
    const hookbase = hb.sdk;
    const customer = { id: 'cus_42', name: 'Acme Corp', plan: 'pro', email: '[email protected]' };

    // 3. Create an Application for Your Customer
    const app = await hookbase.applications.create({
      name: customer.name,
      uid: customer.id,
      metadata: { plan: customer.plan, email: customer.email },
    });
    expect(app.id).toMatch(/^app_/);
    expect(app).toMatchObject({ name: 'Acme Corp', uid: 'cus_42', metadata: { plan: 'pro', email: '[email protected]' } });

    // 4. Define Event Types
    await hookbase.eventTypes.create({ name: 'order.created', displayName: 'Order Created', description: 'Triggered when a new order is placed', category: 'Orders' });
    await hookbase.eventTypes.create({ name: 'order.shipped', displayName: 'Order Shipped', description: 'Triggered when an order ships', category: 'Orders' });
    await hookbase.eventTypes.create({ name: 'payment.completed', displayName: 'Payment Completed', description: 'Triggered when payment is received', category: 'Payments' });

    const endpoint = await hookbase.endpoints.create(app.id, { url: receiver.url, eventTypes: ['order.created'] });
    expect(endpoint.secret).toMatch(/^whsec_/);
    const { data: endpoints } = await hookbase.endpoints.list(app.id);
    expect(endpoints.map((e) => e.id)).toEqual([endpoint.id]);
    expect(JSON.stringify(endpoints)).not.toContain(endpoint.secret);

    // 5. Send Webhooks
    const order = { id: 'ord_123', total: 99.99, currency: 'USD', items: [{ sku: 'A', qty: 1 }], customerId: 'c_1', customerEmail: '[email protected]' };
    const customerRecord = { hookbaseAppId: app.id };
    const sent = await hookbase.messages.send(customerRecord.hookbaseAppId, {
      eventType: 'order.created',
      payload: {
        orderId: order.id,
        amount: order.total,
        currency: order.currency,
        items: order.items,
        customer: { id: order.customerId, email: order.customerEmail },
      },
      eventId: `order_created_${order.id}`,
    });
    expect(sent.id).toMatch(/^msg_/);
    expect(sent.outbound).toEqual([{ id: expect.stringMatching(/^out_/), endpointId: endpoint.id, status: 'pending' }]);

    const [hook] = await receiver.waitFor(1);
    expect(hook).toBeDefined();
    if (!hook) return;
    expect(hook.method).toBe('POST');
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.headers['user-agent']).toMatch(/^Hookbase\/\d+\.\d+\.\d+/);
    expect(hook.headers['webhook-id']).toBe(sent.id);
    expect(Number(hook.headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(hook.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(hook.body)).toEqual({
      type: 'order.created',
      data: { orderId: 'ord_123', amount: 99.99, currency: 'USD', items: [{ sku: 'A', qty: 1 }], customer: { id: 'c_1', email: '[email protected]' } },
      timestamp: sent.timestamp,
      webhookId: sent.id,
    });

    // Verify Incoming Webhooks — the code customers run
    const webhook = createWebhook(endpoint.secret);
    const payload = webhook.verify(Buffer.from(hook.body).toString(), hook.headers);
    expect(payload.type).toBe('order.created');
    expect(() => createWebhook(endpoint.secret).verify(hook.body.replace('99.99', '0.01'), hook.headers)).toThrow('No matching signature found');

    // The same eventId again: the same message, and nothing new delivered
    const again = await hookbase.messages.send(app.id, {
      eventType: 'order.created',
      payload: { orderId: order.id, amount: order.total, currency: order.currency, items: order.items, customer: { id: order.customerId, email: order.customerEmail } },
      eventId: `order_created_${order.id}`,
    });
    expect(again.id).toBe(sent.id);
    const delivered = await eventually(async () => {
      const out = await hookbase.messages.getOutbound(app.id, sent.outbound[0]?.id ?? '');
      return out.status === 'success' ? out : undefined;
    });
    expect(delivered).toMatchObject({ attempts: 1, lastResponseStatus: 200, endpointUrl: receiver.url, eventType: 'order.created' });
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(1);
  });

  it('gets or creates applications by uid (Best Practices 2)', async () => {
    const hookbase = hb.sdk;
    const customer = { id: 'cus_77', name: 'Globex' };
    const created = await hookbase.applications.getOrCreate(customer.id, { name: customer.name });
    const again = await hookbase.applications.getOrCreate(customer.id, { name: customer.name });
    expect(again.id).toBe(created.id);
    const byUid = await hookbase.applications.getByUid(customer.id);
    expect(byUid.id).toBe(created.id);
    const { data } = await hookbase.applications.list();
    expect(data.map((a) => a.id)).toContain(created.id);
  });

  it('lists exhausted deliveries exactly as Best Practices 3 does', async () => {
    const hookbase = hb.sdk;
    const failing = await startReceiver((_req, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    try {
      const app = await hookbase.applications.create({ name: 'Failing customer' });
      await hookbase.endpoints.create(app.id, { url: failing.url, retryDelays: [0] });
      const message = await hookbase.messages.send(app.id, { eventType: 'order.shipped', payload: { orderId: 'ord_9' } });
      const appId = app.id;
      const failures = await eventually(async () => {
        const { data } = await hookbase.messages.listAllOutbound(appId, { status: 'exhausted' });
        return data.length > 0 ? data : undefined;
      });
      expect(failures).toHaveLength(1);
      const failure = failures[0];
      expect(failure).toMatchObject({ messageId: message.id, endpointUrl: failing.url, eventType: 'order.shipped', status: 'exhausted', attempts: 2, maxAttempts: 2 });
      expect(failure?.lastError).toMatch(/500/);
      expect(failing.received).toHaveLength(2);
    } finally {
      await failing.close();
    }
  });

  it('issues a portal token (Embed the Portal, step 2)', async () => {
    const app = await hb.sdk.applications.create({ name: 'Portal customer' });
    const token = await hb.sdk.portalTokens.create(app.id, { expiresIn: 3600 });
    expect(token.token).toEqual(expect.any(String));
    expect(Date.parse(token.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    expect(token.url).toContain(hb.url);
  });
});
