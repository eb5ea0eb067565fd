// The cloud-compatible surface (COMPAT.md), driven with plain HTTP against a real server: every /api resource route,
// the exact keys and types of each answer (test/compatShapes.ts), and each error class the official clients branch on.
// Portal tokens, the portal API and the MCP server's routes: compatAccess.test.ts.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sendEventUrl, uid, useCompatServer } from './compatClient';
import { expectCompatError, expectList, expectOne, expectShape, FIELDS } from './compatShapes';

const { ctx, api, createApp, createType, createEndpoint, expectDriven } = useCompatServer({ HOOKBASE_ORG_NAME: 'Acme Webhooks' });

describe('transport', () => {
  it('takes a whr_ key set by HOOKBASE_API_KEY; 401 in the compat error body without a valid key', async () => {
    const me = await api('GET', '/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ organizations: [{ id: 'org_default', name: 'Acme Webhooks', slug: 'acme-webhooks' }] });
    for (const headers of [{ authorization: '' }, { authorization: 'Bearer whr_not_a_key_of_ours_00000000' }]) {
      const res = await api('GET', '/api/webhook-applications', undefined, headers);
      expectCompatError(res, 401);
      expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    }
  });

  it('404 in the compat shape for an unknown /api route and an unknown id', async () => {
    expectCompatError(await api('GET', '/api/no-such-thing'), 404);
    expectCompatError(await api('GET', '/api/webhook-applications/app_00000000000000000000000000'), 404);
  });

  it('400 for malformed JSON and 422 for a broken rule, both with fieldErrors; unknown body keys are ignored', async () => {
    const malformed = await api('POST', '/api/webhook-applications', '{"name":', {});
    expectCompatError(malformed, 400);
    expectCompatError(await api('POST', '/api/webhook-applications', { externalId: uid('x') }), 422, 'name');
    expectCompatError(await api('POST', '/api/webhook-applications', { name: 7 }), 422, 'name');
    const app = await createApp();
    const res = await api('POST', '/api/webhook-applications', { name: 'With extras', someClientOnlyKey: { x: 1 }, organizationId: 'org_x' });
    expectOne(res, 201, FIELDS.application, sendEventUrl);
    expect(app.organizationId).toBe('org_default');
  });

  it('honours Idempotency-Key on a POST: the same answer, one application', async () => {
    const key = uid('idem');
    const body = { name: 'Once', externalId: uid('once') };
    const first = await api('POST', '/api/webhook-applications', body, { 'idempotency-key': key });
    const second = await api('POST', '/api/webhook-applications', body, { 'idempotency-key': key });
    expect(second.status).toBe(201);
    expect((second.body as { data: { id: string } }).data.id).toBe((first.body as { data: { id: string } }).data.id);
  });
});

describe('applications', () => {
  it('create, get, get by externalId, patch, upsert (created false), PUT /, delete; uid and externalId are one field', async () => {
    const externalId = uid('cust');
    const created = expectOne(await api('POST', '/api/webhook-applications', { name: 'Acme', uid: externalId, metadata: { plan: 'pro' } }), 201, FIELDS.application, sendEventUrl);
    expect(created).toMatchObject({ name: 'Acme', externalId, uid: externalId, metadata: { plan: 'pro' }, isDisabled: false, totalEndpoints: 0 });
    expect(created.sendEventUrl).toBe(`${ctx.hb.url}/api/send-event`);
    const id = created.id as string;
    expect(expectOne(await api('GET', `/api/webhook-applications/${id}`), 200, FIELDS.application).id).toBe(id);
    expect(expectOne(await api('GET', `/api/webhook-applications/by-external-id/${externalId}`), 200, FIELDS.application).id).toBe(id);
    expectCompatError(await api('GET', `/api/webhook-applications/by-external-id/${uid('nobody')}`), 404);

    const patched = expectOne(await api('PATCH', `/api/webhook-applications/${id}`, { name: 'Acme Corp', rateLimitPerSecond: 5 }), 200, FIELDS.application);
    expect(patched.name).toBe('Acme Corp');

    const again = await api('PUT', '/api/webhook-applications/upsert', { externalId, name: 'Other name' });
    expect(again.status).toBe(200);
    expectShape(again.body, { data: 'object', created: 'boolean' });
    expect(again.body).toMatchObject({ created: false, data: { id, name: 'Acme Corp' } });
    expectShape((again.body as { data: unknown }).data, FIELDS.application);

    const fresh = await api('PUT', '/api/webhook-applications', { uid: uid('new'), name: 'New' });
    expect(fresh.status).toBe(201);
    expect(fresh.body).toMatchObject({ created: true });
    expectShape((fresh.body as { data: unknown }).data, FIELDS.application);
    expectCompatError(await api('PUT', '/api/webhook-applications/upsert', { name: 'no id' }), 422, 'externalId');

    expectCompatError(await api('POST', '/api/webhook-applications', { name: 'Dup', externalId }), 409);

    const deleted = await api('DELETE', `/api/webhook-applications/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true });
    expectCompatError(await api('GET', `/api/webhook-applications/${id}`), 404);
  });

  it('isDisabled is modelled: a disabled application keeps its messages and delivers none until enabled again', async () => {
    const app = await createApp();
    const type = await createType();
    await createEndpoint(app.id as string);
    const off = expectOne(await api('PATCH', `/api/webhook-applications/${app.id as string}`, { isDisabled: true, disabledReason: 'unpaid' }), 200, FIELDS.application);
    expect(off).toMatchObject({ isDisabled: true, disabledReason: 'unpaid' });
    expect(off.disabledAt).not.toBeNull();
    const muted = expectOne(await api('POST', '/api/send-event', { applicationId: app.id, eventType: type.name, payload: {} }), 202, FIELDS.sendEvent);
    expect(muted).toMatchObject({ messagesQueued: 0, endpoints: [] });
    const on = expectOne(await api('PATCH', `/api/webhook-applications/${app.id as string}`, { isDisabled: false }), 200, FIELDS.application);
    expect(on).toMatchObject({ isDisabled: false, disabledReason: null, disabledAt: null });
    expect(expectOne(await api('POST', '/api/send-event', { applicationId: app.id, eventType: type.name, payload: {} }), 202, FIELDS.sendEvent).messagesQueued).toBe(1);
  });

  it('lists newest first with cursor pagination, search (contains, case-insensitive) and isDisabled', async () => {
    const tag = randomBytes(3).toString('hex');
    const names = [`Zeta ${tag} one`, `zeta ${tag.toUpperCase()} two`, `Zeta ${tag} three`];
    const apps = [];
    for (const name of names) apps.push(await createApp(name));
    const first = expectList(await api('GET', `/api/webhook-applications?search=ZETA%20${tag}&limit=2`), FIELDS.application);
    expect(first.data.map((a) => a.name)).toEqual([names[2], names[1]]);
    expect(first.pagination.hasMore).toBe(true);
    const second = expectList(await api('GET', `/api/webhook-applications?search=zeta%20${tag}&limit=2&cursor=${first.pagination.nextCursor}&offset=40`), FIELDS.application);
    expect(second.data.map((a) => a.name)).toEqual([names[0]]);
    expect(second.pagination).toEqual({ hasMore: false, nextCursor: null });
    expect(expectList(await api('GET', `/api/webhook-applications?search=${tag}&isDisabled=true`), FIELDS.application).data).toEqual([]);
    await api('PATCH', `/api/webhook-applications/${apps[0]?.id as string}`, { isDisabled: true, disabledReason: 'unpaid' });
    expect(expectList(await api('GET', `/api/webhook-applications?search=${tag}&isDisabled=true`), FIELDS.application).data.map((a) => a.id)).toEqual([apps[0]?.id]);
    expect(expectList(await api('GET', `/api/webhook-applications?search=${tag}&isDisabled=false`), FIELDS.application).data).toHaveLength(2);
    expectCompatError(await api('GET', '/api/webhook-applications?limit=500'), 422, 'limit');
    expectCompatError(await api('GET', '/api/webhook-applications?cursor=nonsense'), 422, 'cursor');
  });
});

describe('event types', () => {
  it('schema as JSON text or object, answered as JSON text; 409 when the name exists; get by name', async () => {
    const schema = { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } };
    const name = uid('invoice.paid');
    const t = await createType(name, { displayName: 'Invoice paid', category: 'billing', schema: JSON.stringify(schema), examplePayload: '{"orderId":"o1"}', unknownKey: 1 });
    expect(t).toMatchObject({ id: name, name, displayName: 'Invoice paid', category: 'billing', isEnabled: true, isArchived: false, subscriptionCount: 0 });
    expect(JSON.parse(t.schema as string)).toEqual(schema);
    const other = await createType(uid('invoice.void'), { schema });
    expect(JSON.parse(other.schema as string)).toEqual(schema);
    expectCompatError(await api('POST', '/api/event-types', { name }), 409);
    expectCompatError(await api('POST', '/api/event-types', { name: uid('bad'), schema: '{not json' }), 422, 'schema');
    expect(expectOne(await api('GET', `/api/event-types/${name}`), 200, FIELDS.eventType).name).toBe(name);
    expectCompatError(await api('GET', `/api/event-types/${uid('missing')}`), 404);
  });

  it('PATCH changes fields, isEnabled false archives and true unarchives; DELETE archives', async () => {
    const name = uid('ship.sent');
    await createType(name);
    const patched = expectOne(await api('PATCH', `/api/event-types/${name}`, { description: 'Shipped', schema: '{"type":"object"}', isEnabled: false }), 200, FIELDS.eventType);
    expect(patched).toMatchObject({ description: 'Shipped', schema: '{"type":"object"}', isEnabled: false, isArchived: true });
    expect(expectOne(await api('PATCH', `/api/event-types/${name}`, { isEnabled: true }), 200, FIELDS.eventType)).toMatchObject({ isEnabled: true, isArchived: false });
    const del = await api('DELETE', `/api/event-types/${name}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true });
    expect(expectOne(await api('GET', `/api/event-types/${name}`), 200, FIELDS.eventType).isArchived).toBe(true);
  });

  it('filters by category and isEnabled (indexes) and search over name or display name', async () => {
    const category = uid('cat');
    const tag = randomBytes(3).toString('hex');
    await createType(`${tag}.alpha`, { category });
    await createType(uid('beta'), { category, displayName: `Beta ${tag.toUpperCase()}` });
    const archived = await createType(uid('gamma'), { category });
    await api('DELETE', `/api/event-types/${archived.name as string}`);
    expect(expectList(await api('GET', `/api/event-types?category=${category}`), FIELDS.eventType).data).toHaveLength(3);
    const enabled = expectList(await api('GET', `/api/event-types?category=${category}&isEnabled=true`), FIELDS.eventType);
    expect(enabled.data.every((t) => t.isEnabled === true)).toBe(true);
    expect(enabled.data).toHaveLength(2);
    expect(expectList(await api('GET', `/api/event-types?category=${category}&isEnabled=false`), FIELDS.eventType).data.map((t) => t.name)).toEqual([archived.name]);
    const found = expectList(await api('GET', `/api/event-types?search=${tag.toUpperCase()}`), FIELDS.eventType);
    expect(found.data).toHaveLength(2);
    const paged = expectList(await api('GET', `/api/event-types?search=${tag}&limit=1`), FIELDS.eventType);
    expect(paged.pagination.hasMore).toBe(true);
    const rest = expectList(await api('GET', `/api/event-types?search=${tag}&limit=1&cursor=${paged.pagination.nextCursor}`), FIELDS.eventType);
    expect(rest.data).toHaveLength(1);
    expect(rest.data[0]?.name).not.toBe(paged.data[0]?.name);
  });
});

describe('endpoints', () => {
  it('create with headers as a list or a record (answered as a list), the secret once; get, list with subscriptionCount, filters', async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id as string, ctx.receiver.url, { headers: [{ name: 'X-Tenant', value: 'acme' }], description: 'main', successStatusCodes: [200], backoffType: 'linear' });
    expect(ep.secret).toMatch(/^whsec_/);
    expect(ep.headers).toEqual([{ name: 'X-Tenant', value: 'acme' }]);
    const second = await createEndpoint(app.id as string, ctx.receiver.url, { headers: { 'X-Env': 'prod' }, timeoutSeconds: 5, retryDelays: [1, 60] });
    expect(second.headers).toEqual([{ name: 'X-Env', value: 'prod' }]);
    const got = expectOne(await api('GET', `/api/webhook-endpoints/${ep.id}`), 200, FIELDS.endpoint);
    expect(got.secretPrefix).toBe(`${ep.secret.slice(0, 10)}…`);
    expect(got).toMatchObject({ hasSecret: true, secretVersion: 1, circuitState: 'closed', isDisabled: false, isVerified: false });

    const list = expectList(await api('GET', `/api/webhook-endpoints?applicationId=${app.externalId as string}`), FIELDS.endpoint, { subscriptionCount: 'integer' });
    expect(list.data.map((e) => e.id)).toEqual([second.id, ep.id]);
    expect(expectList(await api('GET', `/api/webhook-endpoints?applicationId=${app.id as string}&circuitState=open`), FIELDS.endpoint, { subscriptionCount: 'integer' }).data).toEqual([]);

    const disabled = expectOne(await api('PATCH', `/api/webhook-endpoints/${second.id}`, { isDisabled: true, disabledReason: 'maintenance', description: 'off' }), 200, FIELDS.endpoint);
    expect(disabled).toMatchObject({ isDisabled: true, disabledReason: 'maintenance', description: 'off' });
    expect(disabled.disabledAt).not.toBeNull();
    const onlyDisabled = expectList(await api('GET', `/api/webhook-endpoints?applicationId=${app.id as string}&isDisabled=true`), FIELDS.endpoint, { subscriptionCount: 'integer' });
    expect(onlyDisabled.data.map((e) => e.id)).toEqual([second.id]);
    expect(expectOne(await api('PATCH', `/api/webhook-endpoints/${second.id}`, { isDisabled: false }), 200, FIELDS.endpoint)).toMatchObject({ isDisabled: false, disabledReason: null, disabledAt: null });

    expectCompatError(await api('POST', '/api/webhook-endpoints', { applicationId: app.id, url: 'not a url' }), 422, 'url');
    expectCompatError(await api('POST', '/api/webhook-endpoints', { url: ctx.receiver.url }), 422, 'applicationId');
    expectCompatError(await api('POST', '/api/webhook-endpoints', { applicationId: app.id, url: ctx.receiver.url, headers: [{ name: 1 }] }), 422);
    expectCompatError(await api('GET', '/api/webhook-endpoints/ep_missing'), 404);

    const del = await api('DELETE', `/api/webhook-endpoints/${second.id}`);
    expect(del.body).toEqual({ success: true });
    expectCompatError(await api('GET', `/api/webhook-endpoints/${second.id}`), 404);
  });

  it('rotate-secret (unwrapped), reset-circuit, test and verify against a live and a failing receiver', async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id as string);
    const rotated = await api('POST', `/api/webhook-endpoints/${ep.id}/rotate-secret`, { gracePeriod: 60 });
    expect(rotated.status).toBe(200);
    const r = expectShape(rotated.body, FIELDS.rotated);
    expect(r.secret).toMatch(/^whsec_/);
    expect(r.secret).not.toBe(ep.secret);
    expect(r.secretVersion).toBe(2);
    expect(Date.parse(r.previousSecretExpiresAt as string) - Date.now()).toBeLessThan(61_000);

    const reset = await api('POST', `/api/webhook-endpoints/${ep.id}/reset-circuit`);
    expect(reset.status).toBe(200);
    expect(Object.keys(reset.body as object).sort()).toEqual(['circuitState', 'data', 'success']);
    expect(expectShape((reset.body as { data: unknown }).data, FIELDS.endpoint).circuitState).toBe('closed');
    expect(reset.body).toMatchObject({ success: true, circuitState: 'closed' });

    const before = ctx.receiver.received.length;
    const test = await api('POST', `/api/webhook-endpoints/${ep.id}/test`, {});
    expect(test.status).toBe(200);
    const t = expectShape(test.body, FIELDS.testResult);
    expect(t.success).toBe(true);
    expectShape(t.testEvent, { id: 'string', type: 'string', timestamp: 'iso' });
    expectShape(t.delivery, { status: 'string', responseStatus: 'integer?', responseTimeMs: 'number?', responseBody: 'string?', errorMessage: 'string?' });
    expectShape(t.signature, { header: 'string', value: 'string', timestamp: 'integer' });
    expect(t.delivery).toMatchObject({ status: 'success', responseStatus: 200, errorMessage: null });
    expect(ctx.receiver.received.length).toBeGreaterThan(before);
    const hook = ctx.receiver.received.find((h) => h.headers['webhook-id'] === (t.testEvent as { id: string }).id);
    expect(hook?.headers['webhook-signature']).toContain((t.signature as { value: string }).value);

    const verify = expectOne(await api('POST', `/api/webhook-endpoints/${ep.id}/verify`), 200, FIELDS.verify);
    expect(verify).toEqual({ verified: true, error: null });
    const verified = expectOne(await api('GET', `/api/webhook-endpoints/${ep.id}`), 200, FIELDS.endpoint);
    expect(verified).toMatchObject({ isVerified: true, totalSuccesses: 2, totalMessages: 2, lastResponseStatus: 200 });
    expect(verified.verifiedAt).not.toBeNull();

    const bad = await createEndpoint(app.id as string, ctx.failing.url);
    const failed = await api('POST', `/api/webhook-endpoints/${bad.id}/test`, { eventType: undefined });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ success: false, delivery: { status: 'failed', responseStatus: 500 } });
    expect(expectOne(await api('POST', `/api/webhook-endpoints/${bad.id}/verify`), 200, FIELDS.verify).verified).toBe(false);
  });
});

describe('subscriptions', () => {
  it('create (409 for the pair again), get, list with filters, patch isEnabled, bulk (unwrapped, skips existing), delete; counts on both sides', async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id as string);
    const [a, b, c] = [await createType(), await createType(), await createType()];
    const sub = expectOne(await api('POST', '/api/webhook-subscriptions', { endpointId: ep.id, eventTypeId: a.id, extra: true }), 201, FIELDS.subscription);
    expect(sub).toMatchObject({ endpointId: ep.id, eventTypeId: a.name, eventTypeName: a.name, isEnabled: true });
    expect(sub.id).toMatch(/^sub_/);
    expectCompatError(await api('POST', '/api/webhook-subscriptions', { endpointId: ep.id, eventTypeId: a.id }), 409);
    expectCompatError(await api('POST', '/api/webhook-subscriptions', { endpointId: ep.id, eventTypeId: uid('nope') }), 422, 'eventTypeId');
    expectCompatError(await api('POST', '/api/webhook-subscriptions', { eventTypeId: a.id }), 422, 'endpointId');
    expect(expectOne(await api('GET', `/api/webhook-subscriptions/${sub.id as string}`), 200, FIELDS.subscription).id).toBe(sub.id);

    const bulk = await api('POST', '/api/webhook-subscriptions/bulk', { endpointId: ep.id, eventTypeIds: [a.id, b.id, c.id] });
    expect(bulk.status).toBe(200);
    const bk = expectShape(bulk.body, { created: 'integer', skipped: 'integer', subscriptions: 'array' });
    expect(bk).toMatchObject({ created: 2, skipped: 1 });
    (bk.subscriptions as unknown[]).forEach((x) => expectShape(x, FIELDS.subscription));
    expectCompatError(await api('POST', '/api/webhook-subscriptions/bulk', { endpointId: ep.id, eventTypeIds: [uid('x')] }), 422, 'eventTypeIds[0]');

    const off = expectOne(await api('PATCH', `/api/webhook-subscriptions/${sub.id as string}`, { isEnabled: false }), 200, FIELDS.subscription);
    expect(off.isEnabled).toBe(false);
    const all = expectList(await api('GET', `/api/webhook-subscriptions?endpointId=${ep.id}`), FIELDS.subscription);
    expect(all.data).toHaveLength(3);
    expect(expectList(await api('GET', `/api/webhook-subscriptions?applicationId=${app.id as string}&isEnabled=false`), FIELDS.subscription).data.map((x) => x.id)).toEqual([sub.id]);
    expect(expectList(await api('GET', `/api/webhook-subscriptions?eventTypeId=${b.name as string}`), FIELDS.subscription).data).toHaveLength(1);
    const page = expectList(await api('GET', `/api/webhook-subscriptions?endpointId=${ep.id}&isEnabled=true&limit=1`), FIELDS.subscription);
    expect(page.pagination.hasMore).toBe(true);
    const next = expectList(await api('GET', `/api/webhook-subscriptions?endpointId=${ep.id}&isEnabled=true&limit=1&cursor=${page.pagination.nextCursor as string}`), FIELDS.subscription);
    expect(next.data.map((x) => x.id)).not.toEqual(page.data.map((x) => x.id));

    const listed = expectList(await api('GET', `/api/webhook-endpoints?applicationId=${app.id as string}`), FIELDS.endpoint, { subscriptionCount: 'integer' });
    expect(listed.data[0]?.subscriptionCount).toBe(3);
    expect(expectOne(await api('GET', `/api/event-types/${a.name as string}`), 200, FIELDS.eventType).subscriptionCount).toBe(1);

    expect((await api('DELETE', `/api/webhook-subscriptions/${sub.id as string}`)).body).toEqual({ success: true });
    expectCompatError(await api('GET', `/api/webhook-subscriptions/${sub.id as string}`), 404);
  });
});

describe('sending and outbound messages', () => {
  it('send-event, the outbound list and its filters, get, attempts, replay and retry, summary, export json and csv', async () => {
    const app = await createApp();
    const type = await createType();
    const ep = await createEndpoint(app.id as string);
    const sent = await api('POST', '/api/send-event', { applicationId: app.externalId, eventType: type.name, payload: { n: 1 }, eventId: uid('evt'), metadata: { a: 1 } });
    const s = expectOne(sent, 202, FIELDS.sendEvent);
    expect(s.eventId).toMatch(/^msg_/);
    expect(s).toMatchObject({ messagesQueued: 1, endpoints: [{ id: ep.id, url: ctx.receiver.url }] });
    expectCompatError(await api('POST', '/api/send-event', { eventType: type.name, payload: {} }), 422, 'applicationId');
    // endpointIds: only these of the subscribed endpoints (an id of none of them: nothing queued); another application
    const app2 = await createApp();
    await createEndpoint(app2.id as string);
    const other = await createEndpoint(app2.id as string);
    const only = expectOne(await api('POST', '/api/send-event', { applicationId: app2.id, eventType: type.name, payload: { n: 2 }, endpointIds: [other.id] }), 202, FIELDS.sendEvent);
    expect(only).toMatchObject({ messagesQueued: 1, endpoints: [{ id: other.id, url: ctx.receiver.url }] });
    expect(expectOne(await api('POST', '/api/send-event', { applicationId: app2.id, eventType: type.name, payload: {}, endpointIds: ['ep_none'] }), 202, FIELDS.sendEvent).messagesQueued).toBe(0);
    expectCompatError(await api('POST', '/api/send-event', { applicationId: app.id, eventType: uid('undefined'), payload: {} }), 422, 'eventType');

    const delivered = await (async () => {
      for (let i = 0; i < 100; i++) {
        const list = expectList(await api('GET', `/api/outbound-messages?applicationId=${app.id as string}`), FIELDS.outbound);
        if (list.data[0]?.status === 'success') return list.data[0];
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('not delivered');
    })();
    expect(delivered).toMatchObject({ messageId: s.eventId, endpointId: ep.id, eventType: type.name, attempts: 1, lastResponseStatus: 200, lastResponseBody: 'ok' });
    const id = delivered.id as string;
    expect(expectList(await api('GET', `/api/outbound-messages?endpointId=${ep.id}&status=success&eventType=${type.name as string}&messageId=${s.eventId as string}`), FIELDS.outbound).data.map((o) => o.id)).toEqual([id]);
    expect(expectList(await api('GET', `/api/outbound-messages?applicationId=${app.id as string}&status=dlq`), FIELDS.outbound).data).toEqual([]);
    expect(expectList(await api('GET', `/api/outbound-messages?applicationId=${app.id as string}&status=processing`), FIELDS.outbound).data).toEqual([]);
    expect(expectList(await api('GET', `/api/outbound-messages?applicationId=${app.id as string}&startDate=2999-01-01T00:00:00Z`), FIELDS.outbound).data).toEqual([]);
    expectCompatError(await api('GET', '/api/outbound-messages?status=lost'), 422, 'status');

    expect(expectOne(await api('GET', `/api/outbound-messages/${id}`), 200, FIELDS.outbound).id).toBe(id);
    const attempts = await api('GET', `/api/outbound-messages/${id}/attempts`);
    expect(Object.keys(attempts.body as object)).toEqual(['data']);
    const list = (attempts.body as { data: unknown[] }).data;
    expect(list).toHaveLength(1);
    expectShape(list[0], FIELDS.attempt);
    expectCompatError(await api('GET', '/api/outbound-messages/out_missing'), 404);

    for (const action of ['replay', 'retry']) {
      const replayed = expectOne(await api('POST', `/api/outbound-messages/${id}/${action}`), 200, FIELDS.replay);
      expect(replayed).toEqual({ originalMessageId: id, newMessageId: id, status: 'pending' });
    }
    for (let i = 0; i < 100; i++) {
      const got = (await api('GET', `/api/outbound-messages/${id}`)).body as { data: { attempts: number } };
      if (got.data.attempts >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(((await api('GET', `/api/outbound-messages/${id}/attempts`)).body as { data: unknown[] }).data.length).toBeGreaterThanOrEqual(2);

    const summary = expectOne(await api('GET', `/api/outbound-messages/stats/summary?applicationId=${app.id as string}`), 200, FIELDS.summary);
    expect(summary).toEqual({ pending: 0, processing: 0, success: 1, failed: 0, exhausted: 0, dlq: 0, total: 1 });

    const json = await api('GET', `/api/outbound-messages/export?format=json&applicationId=${app.id as string}`);
    expect(json.status).toBe(200);
    const rows = (json.body as { data: unknown[] }).data;
    expect(rows).toHaveLength(1);
    expectShape(rows[0], FIELDS.outbound);
    const csv = await api('GET', `/api/outbound-messages/export?format=csv&applicationId=${app.id as string}`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]?.split(',')).toContain('endpointUrl');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(id);
  });
});

describe('coverage', () => {
  it('drove every /api resource route of COMPAT.md to a 2xx answer', () => {
    // The MCP server's own routes (API keys, analytics, the inbound resources, the 501s) are driven by compatMcpTools.test.ts,
    // the Node SDK's outbound DLQ (api.dlq.*) by compatSdkInbound.test.ts.
    const mcpOnly = /^api\.(notOffered|apiKey|analytics|source|destination|route|filter|transform|schema|inboundEvent|inboundDelivery|dlq|deliveryCluster)\./;
    expectDriven((id) => id.startsWith('api.') && !id.startsWith('api.portalToken.') && id !== 'api.auth.me' && !mcpOnly.test(id));
  });
});
