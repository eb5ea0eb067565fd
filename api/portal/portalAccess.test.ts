import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { portalTokenDecider } from '../../domain/access/access';
import { streams } from '../../domain/streams';
import { handleCommand } from '../../store/commandHandler';
import { apiAssertions, awayFromWindowEdge, useTestHookbase } from '../../test/apiAssertions';
import type { Res } from '../../test/apiAssertions';
import { eventually } from '../../test/harness';
import type { TestHookbase } from '../../test/harness';
import { hashCredential } from '../auth';
import { portalRoutes } from './portalRoutes';

// Who reaches what through the portal API, over a real server: a token reaches its own application only, a
// read-only token changes nothing, expired and revoked tokens are refused saying so, CORS for /portal only.

const TOKEN_LIMIT = 3;
const TYPE = 'access.order.created';

let hb: TestHookbase;
const { unchanged } = apiAssertions(() => hb);

type Ids = { app: string; endpoint: string; subscription: string; outbound: string };
let a: Ids;
let b: Ids;
let tokenA: string;
let readOnlyA: string;

const newApp = async (name: string): Promise<string> => ((await hb.request('POST', '/v1/applications', { name })).body as { id: string }).id;

const portalToken = async (app: string, body: Record<string, unknown> = {}): Promise<{ id: string; token: string }> => {
  const res = await hb.request('POST', `/v1/applications/${app}/portal-tokens`, body);
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; token: string };
};

const portal = (token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> =>
  hb.request(method, path, body, { authorization: `Bearer ${token}`, ...headers });

/** An application with an endpoint subscribed to TYPE and one delivery to it. */
const setUp = async (name: string): Promise<Ids> => {
  const app = await newApp(name);
  const ep = await hb.request('POST', `/v1/applications/${app}/endpoints`, { url: 'https://example.com/hooks', eventTypes: [TYPE] });
  const endpoint = (ep.body as { id: string }).id;
  const sent = await hb.request('POST', `/v1/applications/${app}/messages`, { eventType: TYPE, payload: { n: 1 } });
  const outbound = (sent.body as { outbound: { id: string }[] }).outbound[0]!.id;
  const subs = await portal((await portalToken(app)).token, 'GET', `/portal/subscriptions?endpointId=${endpoint}`);
  const subscription = (subs.body as { data: { id: string }[] }).data[0]!.id;
  return { app, endpoint, subscription, outbound };
};

useTestHookbase(
  async (started) => {
    hb = started;
    expect((await hb.request('POST', '/v1/event-types', { name: TYPE, category: 'Orders' })).status).toBe(201);
    await awayFromWindowEdge(3_600_000);
    a = await setUp('Portal A');
    b = await setUp('Portal B');
    tokenA = (await portalToken(a.app)).token;
    readOnlyA = (await portalToken(a.app, { scopes: ['read'], name: 'Auditor' })).token;
  },
  { env: { HOOKBASE_RATE_LIMIT_PORTAL_TOKENS: String(TOKEN_LIMIT) } },
);

/** Every portal route, with application B's resources where it names one. */
const routesOnB = (): { method: string; path: string; body?: unknown }[] => [
  { method: 'GET', path: `/portal/endpoints/${b.endpoint}` },
  { method: 'PATCH', path: `/portal/endpoints/${b.endpoint}`, body: { description: 'taken over' } },
  { method: 'DELETE', path: `/portal/endpoints/${b.endpoint}` },
  { method: 'POST', path: `/portal/endpoints/${b.endpoint}/rotate-secret`, body: {} },
  { method: 'POST', path: `/portal/endpoints/${b.endpoint}/test`, body: {} },
  { method: 'POST', path: `/portal/endpoints/${b.endpoint}/verify`, body: {} },
  { method: 'POST', path: `/portal/endpoints/${b.endpoint}/replay-failed?since=2020-01-01T00:00:00Z`, body: {} },
  { method: 'GET', path: `/portal/subscriptions?endpointId=${b.endpoint}` },
  { method: 'POST', path: '/portal/subscriptions', body: { endpointId: b.endpoint, eventTypeId: TYPE } },
  { method: 'GET', path: `/portal/subscriptions/${b.subscription}` },
  { method: 'PATCH', path: `/portal/subscriptions/${b.subscription}`, body: { isEnabled: false } },
  { method: 'DELETE', path: `/portal/subscriptions/${b.subscription}` },
  { method: 'GET', path: `/portal/messages?endpointId=${b.endpoint}` },
  { method: 'GET', path: `/portal/messages/${b.outbound}` },
  { method: 'GET', path: `/portal/messages/${b.outbound}/attempts` },
  { method: 'GET', path: `/portal/messages/${b.outbound}/attempts/1/receipt` },
  { method: 'POST', path: `/portal/messages/${b.outbound}/replay`, body: {} },
];

/** The routes that name no resource of another application: they answer the token's own application only. */
const OWN_ONLY = ['GET /portal/application', 'GET /portal/endpoints', 'POST /portal/endpoints', 'GET /portal/event-types', 'GET /portal/subscriptions', 'GET /portal/messages'];

const template = (path: string): string =>
  path
    .split('?')[0]!
    .replace(/\/(ep|sub|out)_[0-9A-Z]+/g, (_m, prefix: string) => `/{${{ ep: 'endpointId', sub: 'subscriptionId', out: 'messageId' }[prefix]}}`)
    .replace(/\/attempts\/\d+\//, '/attempts/{attemptNumber}/');

describe("a token of application A and application B's resources", () => {
  it('the table below covers every portal route', () => {
    const covered = new Set([...routesOnB().map((r) => `${r.method} ${template(r.path)}`), ...OWN_ONLY]);
    expect(portalRoutes.map((r) => `${r.method} ${r.path}`).filter((r) => !covered.has(r))).toEqual([]);
  });

  it('403 or 404 on every route that names one of them, and nothing is appended', async () => {
    for (const { method, path, body } of routesOnB()) {
      const res = await unchanged(() => portal(tokenA, method, path, body));
      expect([403, 404], `${method} ${path}: ${res.text}`).toContain(res.status);
      expect(JSON.stringify(res.body)).not.toContain('taken over');
    }
    // B's resources are as they were.
    const own = await portal((await portalToken(b.app)).token, 'GET', `/portal/subscriptions/${b.subscription}`);
    expect(own.body).toMatchObject({ data: { id: b.subscription, isEnabled: true } });
  });

  it('the routes that name none answer with A only', async () => {
    expect((await portal(tokenA, 'GET', '/portal/application')).body).toMatchObject({ data: { id: a.app, name: 'Portal A', organizationId: 'org_default' } });
    const lists = await Promise.all(['/portal/endpoints', '/portal/subscriptions', '/portal/messages'].map((p) => portal(tokenA, 'GET', p)));
    for (const res of lists) {
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(b.endpoint);
      expect(res.text).toContain(a.endpoint);
    }
    const created = await portal(tokenA, 'POST', '/portal/endpoints', { url: 'https://example.com/new', applicationId: b.app });
    expect(created.status).toBe(201);
    const id = (created.body as { data: { id: string } }).data.id;
    expect((await hb.request('GET', `/v1/applications/${a.app}/endpoints/${id}`)).status).toBe(200);
    expect((await hb.request('GET', `/v1/applications/${b.app}/endpoints/${id}`)).status).toBe(404);
  });
});

describe('a read-only token', () => {
  const writes = (): { method: string; path: string; body?: unknown }[] => [
    { method: 'POST', path: '/portal/endpoints', body: { url: 'https://example.com/ro' } },
    { method: 'PATCH', path: `/portal/endpoints/${a.endpoint}`, body: { isDisabled: true } },
    { method: 'DELETE', path: `/portal/endpoints/${a.endpoint}` },
    { method: 'POST', path: `/portal/endpoints/${a.endpoint}/rotate-secret`, body: {} },
    { method: 'POST', path: `/portal/endpoints/${a.endpoint}/test`, body: {} },
    { method: 'POST', path: `/portal/endpoints/${a.endpoint}/verify`, body: {} },
    { method: 'POST', path: `/portal/endpoints/${a.endpoint}/replay-failed?since=2020-01-01T00:00:00Z`, body: {} },
    { method: 'POST', path: '/portal/subscriptions', body: { endpointId: a.endpoint, eventTypeId: TYPE } },
    { method: 'PATCH', path: `/portal/subscriptions/${a.subscription}`, body: { isEnabled: false } },
    { method: 'DELETE', path: `/portal/subscriptions/${a.subscription}` },
    { method: 'POST', path: `/portal/messages/${a.outbound}/replay`, body: {} },
  ];

  it('covers every write route', () => {
    const covered = new Set(writes().map((r) => `${r.method} ${template(r.path)}`));
    expect(portalRoutes.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`).filter((r) => !covered.has(r))).toEqual([]);
  });

  it('403 insufficient_scope on every write, appending nothing; reads work', async () => {
    for (const { method, path, body } of writes()) {
      const res = await unchanged(() => portal(readOnlyA, method, path, body));
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(403);
      expect(res.body).toMatchObject({ code: 'insufficient_scope', error: expect.stringContaining('read-only') });
    }
    const read = await portal(readOnlyA, 'GET', `/portal/endpoints/${a.endpoint}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ data: { id: a.endpoint, isDisabled: false } });
  });
});

describe('expired and revoked tokens', () => {
  it('401 token_revoked, saying so, once revoked', async () => {
    const t = await portalToken(await newApp('Revoked'));
    expect((await portal(t.token, 'GET', '/portal/application')).status).toBe(200);
    expect((await hb.request('DELETE', `/v1/portal-tokens/${t.id}`)).status).toBe(204);
    const res = await portal(t.token, 'GET', '/portal/application');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'token_revoked', message: expect.stringMatching(/revoked/), error: expect.stringMatching(/revoked/) });
  });

  it('401 token_expired, saying so, after its expiry', async () => {
    // A token that expired a minute ago, written as the command handler writes any token.
    const token = `whpt_${randomBytes(32).toString('base64url')}`;
    const tokenId = `ptk_EXPIRED${Date.now()}`;
    const { position } = await handleCommand(hb.events, streams.portalToken(tokenId), portalTokenDecider, {
      type: 'CreatePortalToken',
      data: { tokenId, applicationId: a.app, tokenHash: hashCredential(token), tokenPrefix: token.slice(0, 13), expiresAt: new Date(Date.now() - 60_000).toISOString() },
      metadata: { now: new Date(Date.now() - 120_000).toISOString() },
    });
    expect(position).not.toBeNull();
    const res = await eventually(async () => {
      const r = await portal(token, 'GET', '/portal/endpoints');
      return r.body !== undefined && (r.body as { code?: string }).code === 'token_expired' ? r : undefined;
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ message: expect.stringMatching(/expired/), error: expect.stringMatching(/expired/) });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('401 for no token or an unknown one, in the portal error body', async () => {
    const none = await hb.request('GET', '/portal/endpoints', undefined, { authorization: '' });
    expect(none.status).toBe(401);
    const unknown = await portal('whpt_nope', 'GET', '/portal/endpoints');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({
      error: expect.any(String),
      message: (unknown.body as { error: string }).error,
      code: 'unauthorized',
      details: null,
      requestId: unknown.headers.get('x-request-id'),
    });
  });
});

describe('token creation rate limit (HOOKBASE_RATE_LIMIT_PORTAL_TOKENS=3 per application per hour)', () => {
  it(`the ${TOKEN_LIMIT + 1}th token of an hour is refused with 429 and Retry-After`, async () => {
    await awayFromWindowEdge(3_600_000);
    const app = await newApp('Limited');
    for (let i = 0; i < TOKEN_LIMIT; i++) await portalToken(app);
    const res = await unchanged(() => hb.request('POST', `/v1/applications/${app}/portal-tokens`, {}));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('CORS', () => {
  const preflight = (path: string) =>
    fetch(`${hb.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://customer.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });

  it('preflights of every portal route are answered 204 for any origin, without credentials', async () => {
    for (const path of [...routesOnB().map((r) => r.path), '/portal/application', '/portal/endpoints', '/portal/event-types', '/portal/messages']) {
      const res = await preflight(path);
      expect(res.status, path).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
      expect(res.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
      expect(res.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const answer = await portal(tokenA, 'GET', '/portal/endpoints', undefined, { origin: 'https://customer.example' });
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.headers.get('access-control-expose-headers')).toMatch(/X-Request-Id/);
  });

  it('nothing under /v1 is answered to a preflight or carries CORS headers', async () => {
    for (const path of ['/v1/applications', `/v1/applications/${a.app}/endpoints`, `/v1/applications/${a.app}/portal-tokens`, '/v1/event-types', '/v1/portal-tokens/x']) {
      const res = await preflight(path);
      expect(res.status, path).not.toBe(204);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const answer = await hb.request('GET', '/v1/applications', undefined, { origin: 'https://customer.example' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});
