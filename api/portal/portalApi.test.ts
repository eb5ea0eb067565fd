import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createWebhook } from '@hookbase/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startReceiver, startTestHookbase } from '../../test/harness';
import type { Receiver, TestHookbase } from '../../test/harness';
import { DEFAULT_HOSTED_DIR } from './hosted';

// The portal API end to end: a real server with every role, real receivers on 127.0.0.1, a portal token.

const ENDPOINT_FIELDS = [
  'circuitState', 'createdAt', 'description', 'id', 'isDisabled', 'isVerified', 'totalFailures', 'totalMessages', 'totalSuccesses', 'updatedAt', 'url', 'verifiedAt',
];
const MESSAGE_FIELDS = ['attempts', 'createdAt', 'endpointId', 'endpointUrl', 'eventType', 'id', 'lastAttemptAt', 'nextAttemptAt', 'status'];

type Res = Awaited<ReturnType<TestHookbase['request']>>;
type PortalEndpoint = { id: string; url: string; isDisabled: boolean; isVerified: boolean; totalMessages: number; totalSuccesses: number; totalFailures: number };
type PortalMessage = { id: string; eventType: string; endpointId: string; status: string; attempts: number };

let hb: TestHookbase;
let ok: Receiver;
let failing: Receiver;
let failingAnswers = 500;
let appId: string;
let token: string;

const portal = (method: string, path: string, body?: unknown): Promise<Res> => hb.request(method, path, body, { authorization: `Bearer ${token}` });
const data = <T>(res: Res): T => (res.body as { data: T }).data;

const createEndpoint = async (url: string): Promise<PortalEndpoint & { secret: string }> => {
  const res = await portal('POST', '/portal/endpoints', { url, description: 'From the portal' });
  expect(res.status, res.text).toBe(201);
  return data(res);
};

beforeAll(async () => {
  hb = await startTestHookbase({ env: { HOOKBASE_RETRY_SCHEDULE: '50ms' } });
  ok = await startReceiver();
  failing = await startReceiver((_req, res) => {
    res.statusCode = failingAnswers;
    res.end('nope');
  });
  appId = (await hb.sdk.applications.create({ name: 'Portal customer' })).id;
  for (const [name, category] of [['shop.order.created', 'Orders'], ['shop.order.paid', 'Orders'], ['shop.user.created', 'Users']] as const) {
    await hb.sdk.eventTypes.create({ name, category });
  }
  token = (await hb.sdk.portalTokens.create(appId, { expiresIn: 3600 })).token;
});
afterAll(async () => {
  await hb.stop();
  await ok.close();
  await failing.close();
});

describe('the magic link and the hosted page', () => {
  it('the link is <publicUrl>/portal#token=…, and GET /portal answers the page, or says how to build it', async () => {
    const created = await hb.sdk.portalTokens.create(appId, {});
    expect(created.url).toBe(`${hb.url}/portal#token=${created.token}`);
    const page = await fetch(`${hb.url}/portal`);
    const text = await page.text();
    if (existsSync(join(DEFAULT_HOSTED_DIR, 'index.html'))) {
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    } else {
      expect(page.status).toBe(503);
      expect(text).toContain('npm run build -w @hookbase/portal');
    }
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('endpoints through the portal', () => {
  it('create (secret once), get, list, patch, disable, rotate, delete', async () => {
    const created = await createEndpoint(ok.url);
    const { secret, ...endpoint } = created;
    expect(secret).toMatch(/^whsec_/);
    expect(Object.keys(endpoint).sort()).toEqual(ENDPOINT_FIELDS);
    expect(endpoint).toMatchObject({ url: ok.url, description: 'From the portal', isDisabled: false, circuitState: 'closed', totalMessages: 0, isVerified: false });

    const got = await portal('GET', `/portal/endpoints/${endpoint.id}`);
    expect(data(got)).toEqual(endpoint);
    expect(got.text).not.toContain(secret);
    const list = await portal('GET', '/portal/endpoints');
    expect(data<PortalEndpoint[]>(list).map((e) => e.id)).toContain(endpoint.id);
    expect(list.text).not.toContain(secret);

    const patched = await portal('PATCH', `/portal/endpoints/${endpoint.id}`, { description: 'Renamed', url: `${ok.url}?v=2`, ignored: 'unknown keys are ignored' });
    expect(patched.status, patched.text).toBe(200);
    expect(data(patched)).toMatchObject({ description: 'Renamed', url: `${ok.url}?v=2` });
    expect(data(await portal('PATCH', `/portal/endpoints/${endpoint.id}`, { isDisabled: true }))).toMatchObject({ isDisabled: true });
    expect((await hb.sdk.endpoints.get(appId, endpoint.id)).disabled).toBe(true);
    expect(data(await portal('PATCH', `/portal/endpoints/${endpoint.id}`, { isDisabled: false }))).toMatchObject({ isDisabled: false });

    const rotated = await portal('POST', `/portal/endpoints/${endpoint.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(Object.keys(rotated.body as object)).toEqual(['data']);
    expect(data<{ secret: string }>(rotated).secret).toMatch(/^whsec_/);
    expect(data<{ secret: string }>(rotated).secret).not.toBe(secret);

    const deleted = await portal('DELETE', `/portal/endpoints/${endpoint.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true });
    const gone = await portal('GET', `/portal/endpoints/${endpoint.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: 'endpoint_not_found', error: expect.any(String), message: expect.any(String), requestId: expect.stringMatching(/^req_/) });
  });

  it('validation failures name the field in fieldErrors and validationErrors', async () => {
    const res = await portal('POST', '/portal/endpoints', { url: 'ftp://example.com/x' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'validation_failed', details: { fieldErrors: { url: [expect.stringContaining('http')] } }, validationErrors: { url: expect.any(Array) } });
  });
});

describe('subscriptions through the portal', () => {
  it('an endpoint subscribed to one category receives only those event types; disabled and removed subscriptions change that', async () => {
    const endpoint = await createEndpoint(ok.url);
    const send = async (eventType: string) => {
      const sent = await hb.sdk.messages.send(appId, { eventType, payload: { eventType } });
      return sent.outbound.some((o) => o.endpointId === endpoint.id);
    };
    // no subscription at all: every event type
    expect(await send('shop.user.created')).toBe(true);

    const types = data<{ id: string; category: string }[]>(await portal('GET', '/portal/event-types'));
    const orders = types.filter((t) => t.category === 'Orders').map((t) => t.id);
    expect(orders.sort()).toEqual(['shop.order.created', 'shop.order.paid']);
    const subs: { id: string; eventTypeId: string }[] = [];
    for (const eventTypeId of orders) {
      const res = await portal('POST', '/portal/subscriptions', { endpointId: endpoint.id, eventTypeId });
      expect(res.status, res.text).toBe(201);
      expect(Object.keys(data(res) as object).sort()).toEqual(['createdAt', 'endpointId', 'eventTypeId', 'eventTypeName', 'id', 'isEnabled', 'updatedAt']);
      expect(data(res)).toMatchObject({ id: expect.stringMatching(/^sub_/), endpointId: endpoint.id, eventTypeId, eventTypeName: eventTypeId, isEnabled: true });
      subs.push(data(res));
    }
    expect((await portal('POST', '/portal/subscriptions', { endpointId: endpoint.id, eventTypeId: orders[0] })).status).toBe(409);
    expect(data<{ id: string }[]>(await portal('GET', `/portal/subscriptions?endpointId=${endpoint.id}`)).map((s) => s.id).sort()).toEqual(subs.map((s) => s.id).sort());
    expect((await hb.sdk.endpoints.get(appId, endpoint.id)).eventTypes.sort()).toEqual(orders);
    const counted = data<{ id: string; subscriptionCount: number }[]>(await portal('GET', '/portal/event-types'));
    expect(counted.find((t) => t.id === 'shop.order.paid')?.subscriptionCount).toBe(1);

    const before = ok.received.length;
    expect(await send('shop.user.created')).toBe(false);
    expect(await send('shop.order.created')).toBe(true);
    expect(await send('shop.order.paid')).toBe(true);
    await ok.waitFor(before + 2);
    await new Promise((r) => setTimeout(r, 300)); // anything else would have arrived by now
    const delivered = ok.received.slice(before).map((h) => (JSON.parse(h.body) as { type: string }).type);
    expect(delivered.sort()).toEqual(['shop.order.created', 'shop.order.paid']);

    // a disabled subscription stops its type; the others keep theirs
    const paid = subs.find((s) => s.eventTypeId === 'shop.order.paid')!;
    expect(data(await portal('PATCH', `/portal/subscriptions/${paid.id}`, { isEnabled: false }))).toMatchObject({ isEnabled: false });
    expect(await send('shop.order.paid')).toBe(false);
    expect(await send('shop.order.created')).toBe(true);
    // every subscription removed: every event type again
    for (const s of subs) expect((await portal('DELETE', `/portal/subscriptions/${s.id}`)).body).toEqual({ success: true });
    expect(await send('shop.user.created')).toBe(true);
    expect((await hb.sdk.endpoints.get(appId, endpoint.id)).eventTypes).toEqual([]);
  });
});

describe('messages, attempts, replay and tests through the portal', () => {
  it('lists deliveries by offset with status and endpoint filters; one delivery carries its attempts', async () => {
    const endpoint = await createEndpoint(ok.url);
    for (let i = 0; i < 5; i++) await hb.sdk.messages.send(appId, { eventType: 'shop.order.created', payload: { i } });
    await eventually(async () => {
      const all = (await portal('GET', `/portal/messages?endpointId=${endpoint.id}&status=success`)).body as { total: number };
      return all.total === 5;
    });
    const first = await portal('GET', `/portal/messages?endpointId=${endpoint.id}&limit=2&offset=0`);
    expect(Object.keys(first.body as object).sort()).toEqual(['data', 'limit', 'offset', 'total']);
    expect(first.body).toMatchObject({ total: 5, limit: 2, offset: 0 });
    const pages = [first, await portal('GET', `/portal/messages?endpointId=${endpoint.id}&limit=2&offset=2`), await portal('GET', `/portal/messages?endpointId=${endpoint.id}&limit=2&offset=4`)];
    const ids = pages.flatMap((p) => data<PortalMessage[]>(p).map((m) => m.id));
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    for (const m of data<PortalMessage[]>(first)) {
      expect(Object.keys(m).sort()).toEqual(MESSAGE_FIELDS);
      expect(m).toMatchObject({ endpointId: endpoint.id, status: 'success', attempts: 1 });
    }
    expect((await portal('GET', `/portal/messages?endpointId=${endpoint.id}&status=exhausted`)).body).toMatchObject({ data: [], total: 0 });

    const one = await portal('GET', `/portal/messages/${ids[0]}`);
    expect(data(one)).toMatchObject({ id: ids[0], endpointId: endpoint.id, status: 'success', attempts: 1, lastResponseStatus: 200, lastResponseBody: 'ok' });
    expect(data<{ deliveryAttempts: unknown[] }>(one).deliveryAttempts).toEqual([
      expect.objectContaining({ outboundMessageId: ids[0], attemptNumber: 1, responseStatus: 200, responseBody: 'ok', error: null }),
    ]);
    expect(data(await portal('GET', `/portal/endpoints/${endpoint.id}`))).toMatchObject({ totalMessages: 5, totalSuccesses: 5, totalFailures: 0, isVerified: true });
  });

  it('an exhausted delivery is listed as such and replayed; replay-failed replays the endpoint failures since a time', async () => {
    failingAnswers = 500;
    const since = new Date(Date.now() - 1000).toISOString();
    const endpoint = await createEndpoint(failing.url);
    await hb.sdk.messages.send(appId, { eventType: 'shop.order.paid', payload: { n: 1 } });
    const exhausted = await eventually(async () => {
      const page = (await portal('GET', `/portal/messages?endpointId=${endpoint.id}&status=dlq`)).body as { data: PortalMessage[] };
      return page.data[0];
    });
    expect(exhausted).toMatchObject({ status: 'exhausted', attempts: 2 });
    const detail = data<{ deliveryAttempts: { responseStatus: number }[] }>(await portal('GET', `/portal/messages/${exhausted.id}`));
    expect(detail.deliveryAttempts.map((a) => a.responseStatus)).toEqual([500, 500]);

    failingAnswers = 200;
    const replay = await portal('POST', `/portal/messages/${exhausted.id}/replay`);
    expect(replay.status, replay.text).toBe(200);
    expect(data(replay)).toEqual({ originalMessageId: exhausted.id, newMessageId: exhausted.id, status: 'pending' });
    await eventually(async () => data<{ status: string }>(await portal('GET', `/portal/messages/${exhausted.id}`)).status === 'success');

    failingAnswers = 500;
    await hb.sdk.messages.send(appId, { eventType: 'shop.order.paid', payload: { n: 2 } });
    const second = await eventually(async () => data<PortalMessage[]>(await portal('GET', `/portal/messages?endpointId=${endpoint.id}&status=exhausted`))[0]);
    failingAnswers = 200;
    const replayed = await portal('POST', `/portal/endpoints/${endpoint.id}/replay-failed?since=${encodeURIComponent(since)}`);
    expect(replayed.status, replayed.text).toBe(200);
    expect(data(replayed)).toEqual({ replayed: 1, newMessageIds: [second.id] });
    await eventually(async () => data<{ status: string }>(await portal('GET', `/portal/messages/${second.id}`)).status === 'success');
    const missing = await portal('POST', `/portal/endpoints/${endpoint.id}/replay-failed`);
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ details: { fieldErrors: { since: expect.any(Array) } } });
  });

  it('test answers the first attempt, unwrapped, with a signature the receiver verifies; verify says whether it answered 2xx', async () => {
    const endpoint = await createEndpoint(ok.url);
    const before = ok.received.length;
    const res = await portal('POST', `/portal/endpoints/${endpoint.id}/test`, { eventType: 'shop.order.created' });
    expect(res.status, res.text).toBe(200);
    const body = res.body as {
      success: boolean;
      testEvent: { id: string; type: string; timestamp: string };
      delivery: { status: string; responseStatus: number; responseTimeMs: number; responseBody: string; errorMessage: string | null };
      signature: { header: string; value: string; timestamp: number };
    };
    expect(body).toMatchObject({
      success: true,
      testEvent: { id: expect.stringMatching(/^msg_/), type: 'shop.order.created', timestamp: expect.any(String) },
      delivery: { status: 'success', responseStatus: 200, responseTimeMs: expect.any(Number), responseBody: 'ok', errorMessage: null },
      signature: { header: 'webhook-signature' },
    });
    const hook = ok.received.slice(before).find((h) => h.headers['webhook-id'] === body.testEvent.id);
    expect(hook).toBeDefined();
    const headers = { 'webhook-id': body.testEvent.id, 'webhook-timestamp': String(body.signature.timestamp), 'webhook-signature': body.signature.value };
    expect(() => createWebhook(endpoint.secret).verify(hook!.body, headers)).not.toThrow();

    expect(data(await portal('POST', `/portal/endpoints/${endpoint.id}/verify`))).toEqual({ verified: true, error: null });

    failingAnswers = 500;
    const bad = await createEndpoint(failing.url);
    const failed = await portal('POST', `/portal/endpoints/${bad.id}/test`);
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ success: false, delivery: { status: 'failed', responseStatus: 500, errorMessage: expect.any(String) } });
    expect(data(await portal('POST', `/portal/endpoints/${bad.id}/verify`))).toEqual({ verified: false, error: expect.any(String) });
    // the test's own event type (hookbase.ping, created by the first test without one) is not offered for subscription
    expect((await hb.sdk.eventTypes.get('hookbase.ping')).name).toBe('hookbase.ping');
    expect(data<{ id: string }[]>(await portal('GET', '/portal/event-types')).map((t) => t.id).sort()).toEqual(['shop.order.created', 'shop.order.paid', 'shop.user.created']);
  });
});
