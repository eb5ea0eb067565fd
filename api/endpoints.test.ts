import { join } from 'node:path';
import type { Endpoint, EndpointWithSecret } from '@hookbase/sdk';
import { describe, expect, it } from 'vitest';
import { apiAssertions, expectErrorBody, useTestHookbase } from '../test/apiAssertions';
import type { Page } from '../test/apiAssertions';
import type { TestHookbase } from '../test/harness';

// /v1/applications/{appId}/endpoints over a real server that refuses private networks (the production default):
// the HTTP answer, the events appended (or not), and where the signing secret may never appear.

// The shapes a client sees, as the SDK declares them.
type CreatedEndpoint = EndpointWithSecret;

const ENDPOINT_FIELDS = [
  'applicationId', 'circuit', 'createdAt', 'description', 'disabled', 'disabledReason', 'eventTypes', 'headers', 'id', 'metadata',
  'rateLimitPerSecond', 'retryDelays', 'timeoutSeconds', 'updatedAt', 'url',
];
const URL_OK = 'https://example.com/webhooks';
const CREATED = 'ep.order.created';
const SHIPPED = 'ep.order.shipped';
const ARCHIVED = 'ep.order.archived';

let hb: TestHookbase;
let appId: string;
let otherAppId: string;
/** Every secret the server handed out in this file. */
const secrets: string[] = [];

const { eventsSince, rejected, pageThrough, storedEventText, storeFiles } = apiAssertions(() => hb);

const endpointShape = (e: unknown): void => {
  expect(Object.keys(e as object).sort()).toEqual(ENDPOINT_FIELDS);
  const ep = e as Endpoint;
  expect(ep.id).toMatch(/^ep_[0-9A-Z]{26}$/);
  expect(['closed', 'open', 'half_open']).toContain(ep.circuit);
  expect(new Date(ep.createdAt).toISOString()).toBe(ep.createdAt);
};

const expectSecret = (secret: string): void => {
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
  const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64').length;
  expect(bytes).toBeGreaterThanOrEqual(24);
  expect(bytes).toBeLessThanOrEqual(64);
  secrets.push(secret);
};

const eps = (app = appId) => `/v1/applications/${app}/endpoints`;

const createEndpoint = async (body: Record<string, unknown> = { url: URL_OK }, app = appId): Promise<CreatedEndpoint> => {
  const res = await hb.request('POST', eps(app), body);
  expect(res.status, res.text).toBe(201);
  const created = res.body as CreatedEndpoint;
  expectSecret(created.secret);
  return created;
};

useTestHookbase(
  async (started) => {
    hb = started;
    appId = ((await hb.request('POST', '/v1/applications', { name: 'Endpoints A' })).body as { id: string }).id;
    otherAppId = ((await hb.request('POST', '/v1/applications', { name: 'Endpoints B' })).body as { id: string }).id;
    for (const name of [CREATED, SHIPPED, ARCHIVED]) expect((await hb.request('POST', '/v1/event-types', { name })).status).toBe(201);
    expect((await hb.request('DELETE', `/v1/event-types/${ARCHIVED}`)).status).toBe(204);
  },
  { env: { HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'false' } },
);

describe('POST /v1/applications/{appId}/endpoints', () => {
  it('registers an endpoint: 201 Endpoint + secret, EndpointCreated on endpoint-{id} holding only the sealed secret', async () => {
    const before = await hb.events.headPosition();
    const res = await hb.request('POST', eps(), { url: URL_OK });
    expect(res.status).toBe(201);
    const { secret, ...endpoint } = res.body as CreatedEndpoint;
    expectSecret(secret);
    endpointShape(endpoint);
    expect(endpoint).toMatchObject({
      applicationId: appId,
      url: URL_OK,
      description: '',
      eventTypes: [],
      headers: {},
      rateLimitPerSecond: null,
      timeoutSeconds: 15,
      retryDelays: null,
      disabled: false,
      disabledReason: null,
      circuit: 'closed',
      metadata: {},
    });

    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`endpoint-${endpoint.id}`, 'EndpointCreated']]);
    const data = appended[0]?.data as Record<string, unknown>;
    expect(data).toMatchObject({ endpointId: endpoint.id, applicationId: appId, url: URL_OK, disabled: false });
    expect(data.secret).toEqual({ alg: 'A256GCM', iv: expect.any(String), tag: expect.any(String), data: expect.any(String) });
    expect(JSON.stringify(data)).not.toContain(secret.slice('whsec_'.length));
  });

  it('keeps every setting given', async () => {
    const body = {
      url: 'https://example.com/hooks?x=1',
      description: 'Orders',
      eventTypes: [CREATED, SHIPPED, CREATED],
      headers: { 'X-Customer': 'acme' },
      rateLimitPerSecond: 10,
      timeoutSeconds: 30,
      retryDelays: [1, 60],
      disabled: true,
      metadata: { team: 'billing' },
    };
    const { secret: _s, ...endpoint } = await createEndpoint(body);
    endpointShape(endpoint);
    expect(endpoint).toMatchObject({ ...body, eventTypes: [CREATED, SHIPPED], applicationId: appId, disabled: true });
  });

  it('accepts the application uid in place of its id', async () => {
    const uid = `ep-uid-${Date.now()}`;
    const app = (await hb.request('POST', '/v1/applications', { name: 'By uid', uid })).body as { id: string };
    const created = await createEndpoint({ url: URL_OK }, uid);
    expect(created.applicationId).toBe(app.id);
  });

  it('refuses a missing url, a wrong type, an unknown field (422, nothing appended)', async () => {
    await rejected('POST', eps(), {}, 422, 'validation_failed', { field: 'url', rule: 'required' });
    await rejected('POST', eps(), { url: 42 }, 422, 'validation_failed', { field: 'url', rule: 'type' });
    await rejected('POST', eps(), { url: URL_OK, secret: 'whsec_abc' }, 422, 'validation_failed', { field: 'secret', rule: 'additionalProperties' });
    await rejected('POST', eps(), { url: URL_OK, eventTypes: 'all' }, 422, 'validation_failed', { field: 'eventTypes', rule: 'type' });
    await rejected('POST', eps(), { url: URL_OK, headers: { 'X-N': 1 } }, 422, 'validation_failed', { field: 'headers.X-N', rule: 'type' });
    await rejected('POST', eps(), { url: URL_OK, disabled: 'yes' }, 422, 'validation_failed', { field: 'disabled', rule: 'type' });
  });

  it('refuses a URL that is not absolute http(s): 422 [{field: url, rule: scheme}]', async () => {
    const error = await rejected('POST', eps(), { url: 'ftp://example.com/hooks' }, 422, 'validation_failed', { field: 'url', rule: 'scheme' });
    expect(error.error.details).toEqual([{ field: 'url', rule: 'scheme', message: expect.stringContaining('http') }]);
    await rejected('POST', eps(), { url: 'file:///etc/passwd' }, 422, 'validation_failed', { field: 'url', rule: 'scheme' });
    await rejected('POST', eps(), { url: 'gopher://127.0.0.1:6379/_FLUSHALL' }, 422, 'validation_failed', { field: 'url', rule: 'scheme' });
    await rejected('POST', eps(), { url: 'not a url' }, 422, 'validation_failed', { field: 'url', rule: 'url' });
    await rejected('POST', eps(), { url: `https://user:pw${'@'}example.com/x` }, 422, 'validation_failed', { field: 'url', rule: 'credentials' });
  });

  it.each([
    'http://127.0.0.1:9000/hooks',
    'http://10.0.0.1/hooks',
    'http://169.254.169.254/latest/meta-data',
    'http://localhost:3000/hooks',
    'http://[::1]/hooks',
    'http://192.168.1.20/hooks',
    'http://2130706433/hooks',
    'http://127.1/hooks',
    'http://0.0.0.0/hooks',
    'http://[::ffff:127.0.0.1]/hooks',
    'http://LOCALHOST./hooks',
    'http://api.localhost/hooks',
    'http://metadata.google.internal/computeMetadata/v1/',
  ])('refuses the private URL %s and tells how to allow it', async (url) => {
    const error = await rejected('POST', eps(), { url }, 422, 'validation_failed', { field: 'url', rule: 'private_network' });
    expect(error.error.message).toContain('HOOKBASE_ALLOW_PRIVATE_NETWORKS=true');
    expect(error.error.details[0]?.message).toContain('HOOKBASE_ALLOW_PRIVATE_NETWORKS=true');
  });

  it('refuses headers Hookbase sets itself', async () => {
    for (const name of ['Content-Type', 'user-agent', 'Host', 'webhook-signature', 'Webhook-Id']) {
      await rejected('POST', eps(), { url: URL_OK, headers: { [name]: 'x' } }, 422, 'validation_failed', { field: `headers.${name}`, rule: 'reserved' });
    }
    await rejected('POST', eps(), { url: URL_OK, headers: { 'Bad Header': 'x' } }, 422, 'validation_failed', { field: 'headers.Bad Header', rule: 'header_name' });
    await rejected('POST', eps(), { url: URL_OK, headers: { 'X-A': 'a\r\nX-B: b' } }, 422, 'validation_failed', { field: 'headers.X-A', rule: 'header_value' });
  });

  it('refuses timeoutSeconds, rateLimitPerSecond and retryDelays out of range', async () => {
    await rejected('POST', eps(), { url: URL_OK, timeoutSeconds: 0 }, 422, 'validation_failed', { field: 'timeoutSeconds', rule: 'range' });
    await rejected('POST', eps(), { url: URL_OK, timeoutSeconds: 61 }, 422, 'validation_failed', { field: 'timeoutSeconds', rule: 'range' });
    await rejected('POST', eps(), { url: URL_OK, timeoutSeconds: 1.5 }, 422, 'validation_failed', { field: 'timeoutSeconds', rule: 'type' });
    await rejected('POST', eps(), { url: URL_OK, rateLimitPerSecond: 0 }, 422, 'validation_failed', { field: 'rateLimitPerSecond', rule: 'range' });
    await rejected('POST', eps(), { url: URL_OK, retryDelays: [5, -1] }, 422, 'validation_failed', { field: 'retryDelays[1]', rule: 'range' });
  });

  it('refuses unknown and archived event types in the filter', async () => {
    const unknown = await rejected('POST', eps(), { url: URL_OK, eventTypes: [CREATED, 'no.such.type'] }, 422, 'validation_failed', {
      field: 'eventTypes[1]',
      rule: 'event_type_exists',
    });
    expect(unknown.error.message).toContain('no.such.type');
    const archived = await rejected('POST', eps(), { url: URL_OK, eventTypes: [ARCHIVED] }, 422, 'validation_failed', { field: 'eventTypes[0]', rule: 'event_type_exists' });
    expect(archived.error.message).toContain('archived');
  });

  it('404 for an unknown application', async () => {
    await rejected('POST', eps('app_00000000000000000000000000'), { url: URL_OK }, 404, 'application_not_found');
  });
});

describe('GET /v1/applications/{appId}/endpoints[/{id}]', () => {
  it('gets an endpoint without its secret', async () => {
    const { secret, ...endpoint } = await createEndpoint({ url: URL_OK, description: 'get me' });
    const res = await hb.request('GET', `${eps()}/${endpoint.id}`);
    expect(res.status).toBe(200);
    endpointShape(res.body);
    expect(res.body).toEqual(endpoint);
    expect(res.text).not.toContain(secret);
  });

  it("is 404 for another application's endpoint, whatever the operation, and appends nothing", async () => {
    const theirs = await createEndpoint({ url: URL_OK }, otherAppId);
    const path = `${eps()}/${theirs.id}`;
    expectErrorBody(await hb.request('GET', path), 404, 'endpoint_not_found');
    expectErrorBody(await hb.request('GET', `${path}/stats`), 404, 'endpoint_not_found');
    await rejected('PATCH', path, { description: 'mine now' }, 404, 'endpoint_not_found');
    await rejected('DELETE', path, undefined, 404, 'endpoint_not_found');
    await rejected('PUT', `${path}/subscriptions`, { eventTypes: [] }, 404, 'endpoint_not_found');
    await rejected('POST', `${path}/rotate-secret`, {}, 404, 'endpoint_not_found');
    await rejected('POST', `${path}/disable`, undefined, 404, 'endpoint_not_found');
    await rejected('POST', `${path}/enable`, undefined, 404, 'endpoint_not_found');
    await rejected('POST', `${path}/test`, {}, 404, 'endpoint_not_found');
    await rejected('POST', `${path}/recover`, { since: '2020-01-01T00:00:00Z' }, 404, 'endpoint_not_found');
    expectErrorBody(await hb.request('GET', `${eps()}/ep_00000000000000000000000000`), 404, 'endpoint_not_found');
    // still there for its own application
    expect((await hb.request('GET', `${eps(otherAppId)}/${theirs.id}`)).status).toBe(200);
  });

  it('lists newest first with limit and cursor, every endpoint once, never a secret', async () => {
    const app = ((await hb.request('POST', '/v1/applications', { name: 'Listing' })).body as { id: string }).id;
    const made: CreatedEndpoint[] = [];
    for (let i = 0; i < 5; i++) made.push(await createEndpoint({ url: `https://example.com/hooks/${i}` }, app));

    const { seen, pages } = await pageThrough<Endpoint>(eps(app), (page, res) => {
      for (const e of made) expect(res.text).not.toContain(e.secret);
      page.data.forEach(endpointShape);
    });
    expect(pages).toBe(3);
    expect(seen.map((e) => e.id)).toEqual(made.map((e) => e.id).reverse());
    expect(seen.every((e) => e.applicationId === app)).toBe(true);

    expectErrorBody(await hb.request('GET', `${eps(app)}?limit=0`), 422, 'validation_failed', { field: 'limit', rule: 'minimum' });
    expectErrorBody(await hb.request('GET', `${eps(app)}?limit=101`), 422, 'validation_failed', { field: 'limit', rule: 'maximum' });
    expectErrorBody(await hb.request('GET', eps('app_00000000000000000000000000')), 404, 'application_not_found');
  });
});

describe('PATCH /v1/applications/{appId}/endpoints/{id}', () => {
  it('changes the settings given: 200 Endpoint, EndpointUpdated (and EndpointDisabled with disabled: true)', async () => {
    const created = await createEndpoint({ url: URL_OK, description: 'before', headers: { 'X-A': '1' } });
    const before = await hb.events.headPosition();
    const res = await hb.request('PATCH', `${eps()}/${created.id}`, { url: 'https://example.com/v2', headers: { 'X-B': '2' }, timeoutSeconds: 5, disabled: true });
    expect(res.status).toBe(200);
    endpointShape(res.body);
    expect(res.body).toMatchObject({ id: created.id, url: 'https://example.com/v2', description: 'before', headers: { 'X-B': '2' }, timeoutSeconds: 5, disabled: true });
    expect((res.body as Endpoint).disabledReason).toEqual(expect.any(String));
    expect(res.text).not.toContain(created.secret);
    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([
      [`endpoint-${created.id}`, 'EndpointUpdated'],
      [`endpoint-${created.id}`, 'EndpointDisabled'],
    ]);
    expect(appended[0]?.data).toMatchObject({ endpointId: created.id, url: 'https://example.com/v2', timeoutSeconds: 5 });
  });

  it('refuses the same bad input as create, appending nothing', async () => {
    const { id } = await createEndpoint();
    const path = `${eps()}/${id}`;
    await rejected('PATCH', path, { url: 'ftp://example.com' }, 422, 'validation_failed', { field: 'url', rule: 'scheme' });
    const priv = await rejected('PATCH', path, { url: 'http://10.0.0.1/x' }, 422, 'validation_failed', { field: 'url', rule: 'private_network' });
    expect(priv.error.message).toContain('HOOKBASE_ALLOW_PRIVATE_NETWORKS=true');
    await rejected('PATCH', path, { timeoutSeconds: 600 }, 422, 'validation_failed', { field: 'timeoutSeconds', rule: 'range' });
    await rejected('PATCH', path, { headers: { Host: 'evil' } }, 422, 'validation_failed', { field: 'headers.Host', rule: 'reserved' });
    await rejected('PATCH', path, { eventTypes: ['nope'] }, 422, 'validation_failed', { field: 'eventTypes[0]', rule: 'event_type_exists' });
    await rejected('PATCH', path, { applicationId: otherAppId }, 422, 'validation_failed', { field: 'applicationId', rule: 'additionalProperties' });
    await rejected('PATCH', path, { description: 1 }, 422, 'validation_failed', { field: 'description', rule: 'type' });
  });
});

describe('PUT /v1/applications/{appId}/endpoints/{id}/subscriptions', () => {
  it('replaces the filter: 200 Endpoint, one subscription event per pair changed; [] = every type', async () => {
    const { id } = await createEndpoint({ url: URL_OK, eventTypes: [CREATED] });
    const before = await hb.events.headPosition();
    const res = await hb.request('PUT', `${eps()}/${id}/subscriptions`, { eventTypes: [SHIPPED] });
    expect(res.status).toBe(200);
    endpointShape(res.body);
    expect(res.body).toMatchObject({ id, eventTypes: [SHIPPED] });
    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([
      [`endpoint-${id}`, 'EndpointSubscriptionRemoved'],
      [`endpoint-${id}`, 'EndpointSubscriptionAdded'],
    ]);
    expect(appended[0]?.data).toMatchObject({ endpointId: id, eventType: CREATED, subscriptionId: expect.stringMatching(/^sub_/) });
    expect(appended[1]?.data).toMatchObject({ endpointId: id, applicationId: appId, eventType: SHIPPED, subscriptionId: expect.stringMatching(/^sub_/) });

    const all = await hb.request('PUT', `${eps()}/${id}/subscriptions`, { eventTypes: [] });
    expect(all.body).toMatchObject({ eventTypes: [] });
  });

  it('refuses a missing filter, unknown or archived types, a bad name', async () => {
    const { id } = await createEndpoint();
    const path = `${eps()}/${id}/subscriptions`;
    await rejected('PUT', path, {}, 422, 'validation_failed', { field: 'eventTypes', rule: 'required' });
    await rejected('PUT', path, { eventTypes: [1] }, 422, 'validation_failed', { field: 'eventTypes[0]', rule: 'type' });
    await rejected('PUT', path, { eventTypes: ['no.such'] }, 422, 'validation_failed', { field: 'eventTypes[0]', rule: 'event_type_exists' });
    await rejected('PUT', path, { eventTypes: [CREATED, ARCHIVED] }, 422, 'validation_failed', { field: 'eventTypes[1]', rule: 'event_type_exists' });
    await rejected('PUT', path, { eventTypes: ['bad name'] }, 422, 'validation_failed', { field: 'eventTypes[0]' });
  });
});

describe('POST .../rotate-secret', () => {
  it('answers a new secret and when the old one stops signing; EndpointSecretRotated', async () => {
    const created = await createEndpoint();
    const before = await hb.events.headPosition();
    const t0 = Date.now();
    const res = await hb.request('POST', `${eps()}/${created.id}/rotate-secret`, {});
    expect(res.status).toBe(200);
    const body = res.body as { secret: string; previousSecretExpiresAt: string };
    expect(Object.keys(body).sort()).toEqual(['previousSecretExpiresAt', 'secret']);
    expectSecret(body.secret);
    expect(body.secret).not.toBe(created.secret);
    const expires = Date.parse(body.previousSecretExpiresAt);
    expect(expires).toBeGreaterThanOrEqual(t0 + 86_400_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 86_400_000 + 1000);
    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`endpoint-${created.id}`, 'EndpointSecretRotated']]);
    expect(JSON.stringify(appended[0]?.data)).not.toContain(body.secret.slice(6));

    const short = await hb.request('POST', `${eps()}/${created.id}/rotate-secret`, { gracePeriodSeconds: 60 });
    expect(short.status).toBe(200);
    const s = short.body as { secret: string; previousSecretExpiresAt: string };
    expectSecret(s.secret);
    expect(Math.abs(Date.parse(s.previousSecretExpiresAt) - (Date.now() + 60_000))).toBeLessThan(5_000);
  });

  it('refuses a grace period out of range or an unknown field', async () => {
    const { id } = await createEndpoint();
    await rejected('POST', `${eps()}/${id}/rotate-secret`, { gracePeriodSeconds: -1 }, 422, 'validation_failed', { field: 'gracePeriodSeconds', rule: 'minimum' });
    await rejected('POST', `${eps()}/${id}/rotate-secret`, { gracePeriodSeconds: 604_801 }, 422, 'validation_failed', { field: 'gracePeriodSeconds', rule: 'maximum' });
    await rejected('POST', `${eps()}/${id}/rotate-secret`, { secret: 'whsec_x' }, 422, 'validation_failed', { field: 'secret', rule: 'additionalProperties' });
  });
});

describe('POST .../disable and .../enable', () => {
  it('disables (EndpointDisabled) and enables (EndpointEnabled); repeating changes nothing', async () => {
    const { id } = await createEndpoint();
    const before = await hb.events.headPosition();
    const off = await hb.request('POST', `${eps()}/${id}/disable`);
    expect(off.status).toBe(200);
    endpointShape(off.body);
    expect(off.body).toMatchObject({ id, disabled: true, disabledReason: expect.any(String) });
    expect((await eventsSince(before)).map((e) => [e.streamId, e.type])).toEqual([[`endpoint-${id}`, 'EndpointDisabled']]);

    const mid = await hb.events.headPosition();
    expect((await hb.request('POST', `${eps()}/${id}/disable`)).status).toBe(200);
    expect(await hb.events.headPosition()).toEqual(mid);

    const on = await hb.request('POST', `${eps()}/${id}/enable`);
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ id, disabled: false, disabledReason: null, circuit: 'closed' });
    expect((await eventsSince(mid)).map((e) => [e.streamId, e.type])).toEqual([[`endpoint-${id}`, 'EndpointEnabled']]);
  });
});

describe('POST .../test, .../recover and GET .../stats', () => {
  it('test sends a real message to that endpoint only: 202 OutboundMessage, MessageSent', async () => {
    const target = await createEndpoint({ url: URL_OK, eventTypes: [CREATED] });
    const bystander = await createEndpoint({ url: URL_OK });
    const before = await hb.events.headPosition();
    const res = await hb.request('POST', `${eps()}/${target.id}/test`, {});
    expect(res.status).toBe(202);
    const out = res.body as Record<string, unknown>;
    expect(out).toMatchObject({ id: expect.stringMatching(/^out_/), messageId: expect.stringMatching(/^msg_/), endpointId: target.id, endpointUrl: URL_OK, eventType: 'hookbase.ping', status: 'pending', attempts: 0 });
    const appended = await eventsSince(before);
    const sent = appended.find((e) => e.type === 'MessageSent');
    expect(sent?.streamId).toBe(`message-${String(out.messageId)}`);
    const refs = (sent?.data as { outbound: { endpointId: string }[] }).outbound;
    expect(refs.map((r) => r.endpointId)).toEqual([target.id]);
    expect(refs.map((r) => r.endpointId)).not.toContain(bystander.id);

    const named = await hb.request('POST', `${eps()}/${target.id}/test`, { eventType: SHIPPED });
    expect(named.status).toBe(202);
    expect(named.body).toMatchObject({ endpointId: target.id, eventType: SHIPPED });

    await rejected('POST', `${eps()}/${target.id}/test`, { eventType: 'no.such' }, 422, 'validation_failed', { field: 'eventType', rule: 'event_type_exists' });
    await rejected('POST', `${eps()}/${target.id}/test`, { eventType: ARCHIVED }, 422, 'validation_failed', { field: 'eventType', rule: 'event_type_archived' });
    await rejected('POST', `${eps()}/${target.id}/test`, { payload: {} }, 422, 'validation_failed', { field: 'payload', rule: 'additionalProperties' });

    const stats = await hb.request('GET', `${eps()}/${target.id}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.body).toEqual({ totalMessages: 2, successes: 0, failures: 0, successRate: null, latencyMsP50: null, latencyMsP99: null, recentFailures: 0 });
  });

  it('recover re-queues nothing when nothing failed: 202 {requeued: 0}; bad windows are 422', async () => {
    const { id } = await createEndpoint();
    const before = await hb.events.headPosition();
    const res = await hb.request('POST', `${eps()}/${id}/recover`, { since: new Date(Date.now() - 3_600_000).toISOString() });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ requeued: 0 });
    expect(await hb.events.headPosition()).toEqual(before);

    await rejected('POST', `${eps()}/${id}/recover`, {}, 422, 'validation_failed', { field: 'since', rule: 'required' });
    await rejected('POST', `${eps()}/${id}/recover`, { since: 'yesterday' }, 422, 'validation_failed', { field: 'since', rule: 'format' });
    await rejected('POST', `${eps()}/${id}/recover`, { since: '2030-01-02T00:00:00Z', until: '2030-01-01T00:00:00Z' }, 422, 'validation_failed', { field: 'since', rule: 'range' });
  });
});

describe('DELETE /v1/applications/{appId}/endpoints/{id}', () => {
  it('deletes: 204, EndpointDeleted; then 404 and gone from the list', async () => {
    const { id } = await createEndpoint();
    const before = await hb.events.headPosition();
    const res = await hb.request('DELETE', `${eps()}/${id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await eventsSince(before)).map((e) => [e.streamId, e.type])).toEqual([[`endpoint-${id}`, 'EndpointDeleted']]);
    expectErrorBody(await hb.request('GET', `${eps()}/${id}`), 404, 'endpoint_not_found');
    await rejected('DELETE', `${eps()}/${id}`, undefined, 404, 'endpoint_not_found');
    const list = (await hb.request('GET', `${eps()}?limit=100`)).body as Page<Endpoint>;
    expect(list.data.map((e) => e.id)).not.toContain(id);
  });
});

describe('the signing secret', () => {
  it('is shown on create and rotation only: never by GET or list, never in clear in the event store or the read-model files', async () => {
    // through the SDK too: it sends an Idempotency-Key with every POST
    const viaSdk = await hb.sdk.endpoints.create(appId, { url: 'https://example.com/sdk' });
    expectSecret(viaSdk.secret);
    const rotated = await hb.sdk.endpoints.rotateSecret(appId, viaSdk.id, {});
    expectSecret(rotated.secret);
    const viaKey = await hb.request('POST', eps(), { url: 'https://example.com/keyed' }, { 'Idempotency-Key': 'secret-test-key' });
    expect(viaKey.status).toBe(201);
    expectSecret((viaKey.body as CreatedEndpoint).secret);
    const replay = await hb.request('POST', eps(), { url: 'https://example.com/keyed' }, { 'Idempotency-Key': 'secret-test-key' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(viaKey.body);
    expect(secrets.length).toBeGreaterThan(5);

    const listed = await hb.request('GET', `${eps()}?limit=100`);
    const got = await hb.request('GET', `${eps()}/${viaSdk.id}`);
    const eventText = await storedEventText();

    const files = storeFiles();
    expect(files.map(([f]) => f)).toContain(join(hb.dataDir, 'read-models.db'));

    for (const secret of secrets) {
      const key = secret.slice('whsec_'.length);
      expect(listed.text).not.toContain(key);
      expect(got.text).not.toContain(key);
      expect(eventText).not.toContain(key);
      for (const [file, bytes] of files) {
        expect(bytes.includes(Buffer.from(key, 'utf8')), `${secret} in ${file}`).toBe(false);
        expect(bytes.includes(Buffer.from(key, 'base64')), `raw bytes of ${secret} in ${file}`).toBe(false);
      }
    }
  });
});
