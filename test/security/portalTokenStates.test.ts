import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashCredential } from '../../api/auth';
import { portalRoutes } from '../../api/portal/portalRoutes';
import { portalTokenDecider } from '../../domain/access/access';
import { streams } from '../../domain/streams';
import { handleCommand } from '../../store/commandHandler';
import { apiAssertions, useTestHookbase } from '../apiAssertions';
import { eventually } from '../harness';
import type { TestHookbase } from '../harness';

// Expired, revoked and read-only tokens on EVERY portal route (api/portal/portalAccess.test.ts shows each state on
// one route and the read-only one on the writes): the route table drives it, so a route added later is covered.

const TYPE = 'states.order.created';

let hb: TestHookbase;
const { unchanged } = apiAssertions(() => hb);
let ids: Record<string, string> = {};
let revoked = '';
let expired = '';
let readOnly = '';

const issue = async (app: string, body: Record<string, unknown> = {}): Promise<{ id: string; token: string }> => {
  const res = await hb.request('POST', `/v1/applications/${app}/portal-tokens`, body);
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; token: string };
};

/** Each portal route with the application's own ids in its path (an unknown parameter fails the test). */
const concrete = (): { method: string; path: string }[] =>
  portalRoutes.map((r) => ({
    method: r.method,
    path: r.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      const v = ids[name];
      if (v === undefined) throw new Error(`portal path parameter {${name}} unknown to this test`);
      return v;
    }),
  }));

useTestHookbase(
  async (started) => {
    hb = started;
    await hb.sdk.eventTypes.create({ name: TYPE });
    const app = (await hb.sdk.applications.create({ name: 'States' })).id;
    const endpoint = (await hb.sdk.endpoints.create(app, { url: 'https://example.com/hooks', eventTypes: [TYPE] })).id;
    const sent = await hb.sdk.messages.send(app, { eventType: TYPE, payload: { n: 1 } });
    const good = await issue(app);
    const subs = await hb.request('GET', '/portal/subscriptions', undefined, { authorization: `Bearer ${good.token}` });
    const subscription = (subs.body as { data: { id: string }[] }).data[0]?.id ?? '';
    ids = { endpointId: endpoint, subscriptionId: subscription, messageId: sent.outbound[0]?.id ?? '', attemptNumber: '1' };

    const r = await issue(app);
    expect((await hb.request('DELETE', `/v1/portal-tokens/${r.id}`)).status).toBe(204);
    revoked = r.token;
    readOnly = (await issue(app, { scopes: ['read'] })).token;

    // A token that expired a minute ago, written as the command handler writes any token.
    expired = `whpt_${randomBytes(32).toString('base64url')}`;
    const tokenId = `ptk_STATES${Date.now()}`;
    await handleCommand(hb.events, streams.portalToken(tokenId), portalTokenDecider, {
      type: 'CreatePortalToken',
      data: { tokenId, applicationId: app, tokenHash: hashCredential(expired), tokenPrefix: expired.slice(0, 13), expiresAt: new Date(Date.now() - 60_000).toISOString() },
      metadata: { now: new Date(Date.now() - 120_000).toISOString() },
    });
    await eventually(async () => {
      const res = await hb.request('GET', '/portal/application', undefined, { authorization: `Bearer ${expired}` });
      return (res.body as { code?: string } | undefined)?.code === 'token_expired';
    });
  },
  { env: { HOOKBASE_RATE_LIMIT_PORTAL_TOKENS: '1000' } },
);

describe('portal token states on every portal route', () => {
  it.each([
    ['revoked', () => revoked, 'token_revoked'],
    ['expired', () => expired, 'token_expired'],
    ['unknown', () => `whpt_${randomBytes(32).toString('base64url')}`, 'unauthorized'],
  ])('a %s token: 401 with its code on every route, nothing appended, no data', async (_state, token, code) => {
    const routes = concrete();
    expect(routes.length).toBeGreaterThanOrEqual(16);
    for (const { method, path } of routes) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : { description: 'changed' };
      const res = await unchanged(() => hb.request(method, path, body, { authorization: `Bearer ${token()}` }));
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(401);
      expect(res.body, `${method} ${path}`).toMatchObject({ code });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.text).not.toContain(ids.endpointId);
    }
  });

  it('a read-only token: every GET answers, every other method is 403 insufficient_scope and appends nothing', async () => {
    for (const { method, path } of concrete()) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : { description: 'changed' };
      const res = await unchanged(() => hb.request(method, path, body, { authorization: `Bearer ${readOnly}` }));
      // A receipt exists once its attempt was made (the endpoint here is not reachable): 404 attempt_not_found until then.
      if (method === 'GET' && path.endsWith('/receipt') && res.status === 404) expect(res.body, `${method} ${path}: ${res.text}`).toMatchObject({ code: 'not_found', message: expect.stringContaining('has no attempt') });
      else if (method === 'GET') expect(res.status, `${method} ${path}: ${res.text}`).toBe(200);
      else {
        expect(res.status, `${method} ${path}: ${res.text}`).toBe(403);
        expect(res.body).toMatchObject({ code: 'insufficient_scope' });
      }
    }
  });
});
