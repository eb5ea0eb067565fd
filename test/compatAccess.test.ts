// The cloud-compatible surface (COMPAT.md), continued: portal tokens made on /api and used on the portal API, the
// 429 with retry-after, and the MCP server's routes (/api/auth/me, /api/organizations/{orgId}/…).
import { describe, expect, it } from 'vitest';
import { data, sendEventUrl, useCompatServer } from './compatClient';
import { expectCompatError, expectList, expectOne, expectShape, FIELDS } from './compatShapes';

const { ctx, api, createApp, createType, expectDriven } = useCompatServer({ HOOKBASE_RATE_LIMIT_PORTAL_TOKENS: '4', HOOKBASE_ORG_NAME: 'Acme Webhooks' });

describe('portal tokens', () => {
  it('create (token and magic link once), list without values, read-only 403 on a portal write, delete (then 401); 429 with an integer retry-after past the limit', async () => {
    const app = await createApp();
    const created = expectOne(await api('POST', `/api/portal/webhook-applications/${app.id as string}/tokens`, { name: 'Support', scopes: ['read'], expiresInDays: 7 }), 201, FIELDS.portalToken, { token: 'string', url: 'string' });
    expect(created).toMatchObject({ applicationId: app.id, name: 'Support', scopes: ['read'], isExpired: false, isRevoked: false });
    expect(created.url).toBe(`${ctx.hb.url}/portal#token=${created.token as string}`);
    expect(Date.parse(created.expiresAt as string) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expectCompatError(await api('POST', `/api/portal/webhook-applications/${app.id as string}/tokens`, { expiresInDays: 400 }), 422, 'expiresInDays');

    const listed = await api('GET', `/api/portal/webhook-applications/${app.id as string}/tokens`);
    expect(listed.status).toBe(200);
    const tokens = (listed.body as { data: unknown[] }).data;
    expect(tokens).toHaveLength(1);
    expectShape(tokens[0], FIELDS.portalToken);
    expect(JSON.stringify(listed.body)).not.toContain(created.token as string);

    // a read-only token: the portal reads with it, and every write is a 403 in the same error body
    const asPortal = { authorization: `Bearer ${created.token as string}` };
    expect((await api('GET', '/portal/endpoints', undefined, asPortal)).status).toBe(200);
    expectCompatError(await api('POST', '/portal/endpoints', { url: ctx.receiver.url }, asPortal), 403);

    expect((await api('DELETE', `/api/portal/tokens/${created.id as string}`)).body).toEqual({ success: true });
    expectCompatError(await api('GET', '/portal/endpoints', undefined, asPortal), 401);
    expect(((await api('GET', `/api/portal/webhook-applications/${app.id as string}/tokens`)).body as { data: { isRevoked: boolean }[] }).data[0]?.isRevoked).toBe(true);

    let limited;
    for (let i = 0; i < 6 && !limited; i++) {
      const res = await api('POST', `/api/portal/webhook-applications/${app.id as string}/tokens`, {});
      if (res.status === 429) limited = res;
    }
    expect(limited).toBeDefined();
    const retryAfter = limited!.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expectCompatError(limited!, 429);
  });
});

describe('the portal API with a token made on /api', () => {
  it('answers the documented fields: application, endpoints (secret once), event types, subscriptions, messages by offset', async () => {
    const app = await createApp();
    const type = await createType();
    const token = data(await api('POST', `/api/portal/webhook-applications/${app.id as string}/tokens`, { name: 'rw' }));
    const as = { authorization: `Bearer ${token.token as string}` };
    const portal = (method: string, path: string, body?: unknown) => ctx.hb.request(method, path, body, as);

    expectOne(await portal('GET', '/portal/application'), 200, FIELDS.portalApplication);
    const ep = expectOne(await portal('POST', '/portal/endpoints', { url: ctx.receiver.url, description: 'from the portal' }), 201, FIELDS.portalEndpoint, { secret: 'string' });
    expect(ep.secret).toMatch(/^whsec_/);
    const listed = await portal('GET', '/portal/endpoints');
    expect(listed.status).toBe(200);
    (listed.body as { data: unknown[] }).data.forEach((e) => expectShape(e, FIELDS.portalEndpoint));
    expectOne(await portal('GET', `/portal/endpoints/${ep.id as string}`), 200, FIELDS.portalEndpoint);
    expectOne(await portal('PATCH', `/portal/endpoints/${ep.id as string}`, { description: 'changed' }), 200, FIELDS.portalEndpoint);
    const types = await portal('GET', '/portal/event-types');
    expect((types.body as { data: { name: string }[] }).data.map((t) => t.name)).toContain(type.name);
    const sub = await portal('POST', '/portal/subscriptions', { endpointId: ep.id, eventTypeId: type.id });
    expect(sub.status).toBe(201);
    expectShape((sub.body as { data: unknown }).data, FIELDS.portalSubscription);

    await api('POST', '/api/send-event', { applicationId: app.id, eventType: type.name, payload: {} });
    const messages = await portal('GET', '/portal/messages?limit=10&offset=0');
    expect(messages.status).toBe(200);
    const page = expectShape(messages.body, { data: 'array', total: 'integer', limit: 'integer', offset: 'integer' });
    expect(page).toMatchObject({ total: 1, limit: 10, offset: 0 });
    (page.data as unknown[]).forEach((m) => expectShape(m, FIELDS.portalMessage));
    expectCompatError(await portal('GET', '/api/webhook-applications'), 401);
  });
});

describe('the MCP server: /api/organizations/{orgId}/…', () => {
  it('serves every route under our orgId, 404 under another; analytics by status and day', async () => {
    const me = await api('GET', '/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ organizations: [{ id: 'org_default', name: 'Acme Webhooks', slug: 'acme-webhooks' }] });
    const org = '/api/organizations/org_default';
    const app = expectOne(await api('POST', `${org}/webhook-applications`, { name: 'Via MCP' }), 201, FIELDS.application, sendEventUrl);
    expect(expectOne(await api('GET', `${org}/webhook-applications/${app.id as string}`), 200, FIELDS.application).name).toBe('Via MCP');
    expectList(await api('GET', `${org}/event-types?limit=5`), FIELDS.eventType);
    expectList(await api('GET', `${org}/outbound-messages?limit=5`), FIELDS.outbound);
    expectCompatError(await api('GET', `/api/organizations/org_other/webhook-applications/${app.id as string}`), 404);
    expectCompatError(await api('GET', '/api/organizations/org_other/webhooks/analytics'), 404);

    const analytics = await api('GET', `${org}/webhooks/analytics?days=3`);
    const a = expectOne(analytics, 200, {
      days: 'array', totals: 'object', truncated: 'boolean', timeRange: 'string?', since: 'iso', applicationId: 'string?', endpointId: 'string?',
      successRate: 'number?', latency: 'object', topFailingEndpoints: 'array',
    });
    expect(a.days).toHaveLength(3);
    const counts = { pending: 'integer', success: 'integer', failed: 'integer', exhausted: 'integer', total: 'integer' } as const;
    for (const day of a.days as unknown[]) expectShape(day, { date: 'string', ...counts });
    expectShape(a.totals, counts);
    expect((a.totals as { success: number }).success).toBeGreaterThan(0);
  });
});

describe('coverage', () => {
  it('drove the portal-token routes, /api/auth/me and the organization variants of a sample to a 2xx answer', () => {
    expectDriven((id) => id.startsWith('api.portalToken.') || id === 'api.auth.me');
    expectDriven((id) => ['org.application.create', 'org.application.get', 'org.eventType.list', 'org.outbound.list', 'org.webhooks.analytics'].includes(id));
  });
});
