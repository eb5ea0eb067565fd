import { Hookbase } from '@hookbase/sdk';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startReceiver } from '../harness';
import type { Receiver } from '../harness';
import { LAYOUTS, openLayout } from './layouts';
import type { Layout } from './layouts';

/**
 * The Getting Started page through @hookbase/sdk against `npm start` as a child process on each production layout
 * (test/gettingStarted.test.ts runs it on the embedded store). The deliveries are verified as a customer verifies
 * them elsewhere: with the Standard Webhooks reference library (`standardwebhooks` on npm), not with our own SDK.
 */
for (const name of LAYOUTS) {
  describe(`Getting Started on the ${name} layout`, () => {
    let layout: Layout;
    let sdk: Hookbase;
    let receiver: Receiver;

    beforeAll(async () => {
      layout = await openLayout(name);
      receiver = await startReceiver();
      const hookbase = await layout.start('api,projections,dispatcher', { HOOKBASE_RETRY_SCHEDULE: '100ms' });
      sdk = new Hookbase({ apiKey: layout.apiKey, baseUrl: hookbase.url, retries: 0 });
    }, 150_000);
    afterAll(async () => {
      await layout?.stop();
      await receiver?.close();
    });

    it('creates the application, event types and an endpoint, sends once with eventId, and the receiver verifies the signature', async () => {
      const app = await sdk.applications.create({ name: 'Acme Corp', uid: 'cus_42', metadata: { plan: 'pro' } });
      expect(app).toMatchObject({ id: expect.stringMatching(/^app_/), name: 'Acme Corp', uid: 'cus_42', metadata: { plan: 'pro' } });
      await sdk.eventTypes.create({ name: 'order.created', displayName: 'Order Created', category: 'Orders' });
      await sdk.eventTypes.create({ name: 'order.shipped', displayName: 'Order Shipped', category: 'Orders' });
      const endpoint = await sdk.endpoints.create(app.id, { url: receiver.url, eventTypes: ['order.created'] });
      expect(endpoint.secret).toMatch(/^whsec_/);
      const { data: endpoints } = await sdk.endpoints.list(app.id);
      expect(endpoints.map((e) => e.id)).toEqual([endpoint.id]);
      expect(JSON.stringify(endpoints)).not.toContain(endpoint.secret);

      const payload = { orderId: 'ord_123', amount: 99.99, currency: 'USD' };
      const sent = await sdk.messages.send(app.id, { eventType: 'order.created', payload, eventId: 'order_created_ord_123' });
      expect(sent.outbound).toEqual([{ id: expect.stringMatching(/^out_/), endpointId: endpoint.id, status: 'pending' }]);
      const [hook] = await receiver.waitFor(1);
      expect(hook?.headers['webhook-id']).toBe(sent.id);
      const headers = { ...(hook?.headers ?? {}) } as Record<string, string>;
      const verified = new Webhook(endpoint.secret).verify(hook?.body ?? '', headers);
      expect(verified).toMatchObject({ type: 'order.created', data: payload, webhookId: sent.id });
      expect(() => new Webhook(endpoint.secret).verify((hook?.body ?? '').replace('99.99', '0.01'), headers)).toThrow('No matching signature found');

      // The same eventId again: the same message, nothing new delivered.
      expect((await sdk.messages.send(app.id, { eventType: 'order.created', payload, eventId: 'order_created_ord_123' })).id).toBe(sent.id);
      const delivered = await eventually(async () => {
        const out = await sdk.messages.getOutbound(app.id, sent.outbound[0]?.id ?? '');
        return out.status === 'success' ? out : undefined;
      }, 15_000, 100);
      expect(delivered).toMatchObject({ attempts: 1, lastResponseStatus: 200, endpointUrl: receiver.url });
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.received).toHaveLength(1);

      // Best Practices: get-or-create by uid; exhausted deliveries listed.
      expect((await sdk.applications.getOrCreate('cus_42', { name: 'again' })).id).toBe(app.id);
      const failing = await startReceiver((_req, res) => {
        res.statusCode = 500;
        res.end('boom');
      });
      try {
        const other = await sdk.applications.create({ name: 'Failing customer' });
        await sdk.endpoints.create(other.id, { url: failing.url, retryDelays: [0] });
        const message = await sdk.messages.send(other.id, { eventType: 'order.shipped', payload: { orderId: 'ord_9' } });
        const failures = await eventually(async () => {
          const { data } = await sdk.messages.listAllOutbound(other.id, { status: 'exhausted' });
          return data.length > 0 ? data : undefined;
        }, 15_000, 100);
        expect(failures).toEqual([expect.objectContaining({ messageId: message.id, status: 'exhausted', attempts: 2 })]);
        expect(failing.received).toHaveLength(2);
      } finally {
        await failing.close();
      }
      const token = await sdk.portalTokens.create(app.id, { expiresIn: 3600 });
      expect(token.token).toEqual(expect.any(String));
    }, 60_000);
  });
}
