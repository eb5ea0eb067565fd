import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAssertions, expectErrorBody } from '../test/apiAssertions';
import { eventually, startReceiver, startTestHookbase } from '../test/harness';
import type { Receiver, TestHookbase } from '../test/harness';
import type { DeliveryFeedEntry } from './routes/deliveries';

// The admin routes the `hookbase` CLI needs: API keys (keys create|list|revoke) and the deliveries feed (tail).

type Key = { id: string; name: string; key: string; createdAt: string };
type Delivery = DeliveryFeedEntry;
type Feed = { data: Delivery[]; nextAfter: string | null };

let hb: TestHookbase;
let ok: Receiver;
let failing: Receiver;
const { rejected, storedEventText } = apiAssertions(() => hb);

beforeAll(async () => {
  ok = await startReceiver();
  failing = await startReceiver((_req, res) => res.writeHead(500).end('no'));
  // Two attempts in all: the second failure exhausts the delivery.
  hb = await startTestHookbase({ env: { HOOKBASE_RETRY_SCHEDULE: '50ms' } });
  expect((await hb.request('POST', '/v1/event-types', { name: 'order.placed' })).status).toBe(201);
});

afterAll(async () => {
  await hb?.stop();
  await ok?.close();
  await failing?.close();
});

const asKey = (key: string) => ({ authorization: `Bearer ${key}` });

describe('/v1/admin/api-keys', () => {
  it('creates a key shown once that works at once; lists keys without their values; revokes (then 401); 404 and 422 name what is wrong', async () => {
    const created = await hb.request('POST', '/v1/admin/api-keys', { name: 'deploy bot' });
    expect(created.status, created.text).toBe(201);
    const key = created.body as Key;
    expect(key).toEqual({ id: expect.stringMatching(/^key_/), name: 'deploy bot', key: expect.stringMatching(/^hb_sk_/), createdAt: expect.any(String) });
    expect((await hb.request('GET', '/v1/applications', undefined, asKey(key.key))).status).toBe(200);

    const list = await hb.request('GET', '/v1/admin/api-keys');
    expect(list.status).toBe(200);
    const keys = (list.body as { data: Record<string, unknown>[] }).data;
    expect(keys).toContainEqual({ id: key.id, name: 'deploy bot', revoked: false, createdAt: key.createdAt });
    expect(keys.map((k) => k.name)).toContain('bootstrap (HOOKBASE_API_KEY)');
    expect(list.text).not.toContain(key.key);
    expect(list.text).not.toContain('keyHash');
    // Only the hash is kept: the key is in no event.
    expect(await storedEventText()).not.toContain(key.key);

    expect((await hb.request('DELETE', `/v1/admin/api-keys/${key.id}`)).status).toBe(204);
    expect((await hb.request('DELETE', `/v1/admin/api-keys/${key.id}`)).status).toBe(204); // again: no error
    const after = (await hb.request('GET', '/v1/admin/api-keys')).body as { data: { id: string; revoked: boolean }[] };
    expect(after.data.find((k) => k.id === key.id)?.revoked).toBe(true);
    // Within the auth cache's second.
    await eventually(async () => (await hb.request('GET', '/v1/applications', undefined, asKey(key.key))).status === 401, 5_000);

    await rejected('DELETE', '/v1/admin/api-keys/key_nope', undefined, 404, 'api_key_not_found');
    await rejected('POST', '/v1/admin/api-keys', {}, 422, 'validation_failed', { field: 'name', rule: 'required' });
    await rejected('POST', '/v1/admin/api-keys', { name: 'x', extra: 1 }, 422, 'validation_failed');
    expectErrorBody(await hb.request('GET', '/v1/admin/api-keys', undefined, asKey('nope')), 401, 'unauthorized');
  });
});

describe('/v1/admin/deliveries', () => {
  it('every attempt after a position, in commit order, with its outcome (success, failed, exhausted) and event type; after=now; 422 for a bad position', async () => {
    const start = (await hb.request('GET', '/v1/admin/deliveries?after=now')).body as Feed;
    expect(start.data).toEqual([]);
    const app = ((await hb.request('POST', '/v1/applications', { name: 'Feed' })).body as { id: string }).id;
    const good = ((await hb.request('POST', `/v1/applications/${app}/endpoints`, { url: ok.url })).body as { id: string }).id;
    const bad = ((await hb.request('POST', `/v1/applications/${app}/endpoints`, { url: failing.url })).body as { id: string }).id;
    const sent = await hb.request('POST', `/v1/applications/${app}/messages`, { eventType: 'order.placed', payload: { n: 1 } });
    expect(sent.status).toBe(202);
    const messageId = (sent.body as { id: string }).id;

    const feed = await eventually(async () => {
      const res = (await hb.request('GET', `/v1/admin/deliveries?after=${start.nextAfter ?? ''}`)).body as Feed;
      return res.data.length === 3 ? res : undefined;
    });
    const byEndpoint = (id: string) => feed.data.filter((d) => d.endpointId === id);
    expect(byEndpoint(good)).toEqual([
      expect.objectContaining({ messageId, applicationId: app, eventType: 'order.placed', status: 'success', attemptNumber: 1, responseStatus: 200, error: null }),
    ]);
    expect(byEndpoint(bad)).toEqual([
      expect.objectContaining({ eventType: 'order.placed', status: 'failed', attemptNumber: 1, responseStatus: 500, error: expect.any(String) }),
      expect.objectContaining({ eventType: 'order.placed', status: 'exhausted', attemptNumber: 2, responseStatus: 500 }),
    ]);
    const commits = feed.data.map((d) => BigInt(d.position.split('/')[0] ?? ''));
    expect(commits).toEqual([...commits].sort((a, b) => (a < b ? -1 : 1)));
    expect(feed.nextAfter).not.toBeNull();

    // From nextAfter: nothing new; limit pages through the same attempts.
    expect(((await hb.request('GET', `/v1/admin/deliveries?after=${feed.nextAfter}`)).body as Feed).data).toEqual([]);
    const first = (await hb.request('GET', `/v1/admin/deliveries?after=${start.nextAfter ?? ''}&limit=1`)).body as Feed;
    expect(first.data).toEqual([feed.data[0]]);
    const rest = (await hb.request('GET', `/v1/admin/deliveries?after=${first.nextAfter}&limit=5`)).body as Feed;
    expect(rest.data).toEqual(feed.data.slice(1));

    await rejected('GET', '/v1/admin/deliveries?after=yesterday', undefined, 422, 'validation_failed', { field: 'after' });
    await rejected('GET', '/v1/admin/deliveries?wait=31', undefined, 422, 'validation_failed', { field: 'wait' });
  });

  it('wait: held open until an attempt comes (long poll)', async () => {
    const { nextAfter } = (await hb.request('GET', '/v1/admin/deliveries?after=now')).body as Feed;
    const app = ((await hb.request('POST', '/v1/applications', { name: 'Poll' })).body as { id: string }).id;
    await hb.request('POST', `/v1/applications/${app}/endpoints`, { url: ok.url });
    const began = Date.now();
    const polled = hb.request('GET', `/v1/admin/deliveries?after=${nextAfter ?? ''}&wait=20`);
    await new Promise((r) => setTimeout(r, 300));
    await hb.request('POST', `/v1/applications/${app}/messages`, { eventType: 'order.placed', payload: { n: 2 } });
    const res = await polled;
    expect(res.status).toBe(200);
    expect((res.body as Feed).data).toEqual([expect.objectContaining({ applicationId: app, status: 'success' })]);
    expect(Date.now() - began).toBeGreaterThanOrEqual(300);
    expect(Date.now() - began).toBeLessThan(15_000);
  });

  it('are in /openapi.json', async () => {
    const doc = (await hb.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.paths['/v1/admin/api-keys']?.post?.operationId).toBe('v1.apiKey.create');
    expect(doc.paths['/v1/admin/api-keys']?.get?.operationId).toBe('v1.apiKey.list');
    expect(doc.paths['/v1/admin/api-keys/{keyId}']?.delete?.operationId).toBe('v1.apiKey.revoke');
    expect(doc.paths['/v1/admin/deliveries']?.get?.operationId).toBe('v1.admin.deliveries');
  });
});
