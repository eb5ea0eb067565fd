import { describe, expect, it } from 'vitest';
import { apiAssertions, expectErrorBody, useTestHookbase } from '../test/apiAssertions';
import type { Page } from '../test/apiAssertions';
import type { TestHookbase } from '../test/harness';

// /v1/applications over a real server: the HTTP answer, and the events appended (or not) for it.

type App = { id: string; name: string; uid: string | null; metadata: Record<string, unknown>; createdAt: string; updatedAt: string };

let hb: TestHookbase;
useTestHookbase((started) => {
  hb = started;
});
const { eventsSince, rejected, pageThrough } = apiAssertions(() => hb);

const appShape = (app: unknown): void => {
  expect(Object.keys(app as object).sort()).toEqual(['createdAt', 'id', 'metadata', 'name', 'uid', 'updatedAt']);
  const a = app as App;
  expect(a.id).toMatch(/^app_[0-9A-Z]{26}$/);
  expect(new Date(a.createdAt).toISOString()).toBe(a.createdAt);
  expect(new Date(a.updatedAt).toISOString()).toBe(a.updatedAt);
};

let uidCounter = 0;
const freshUid = (): string => `cus_${Date.now().toString(36)}_${++uidCounter}`;

const createApp = async (body: Record<string, unknown>): Promise<App> => {
  const res = await hb.request('POST', '/v1/applications', body);
  expect(res.status, res.text).toBe(201);
  return res.body as App;
};

describe('POST /v1/applications', () => {
  it('creates an application: 201 Application, ApplicationCreated on application-{id}', async () => {
    const before = await hb.events.headPosition();
    const res = await hb.request('POST', '/v1/applications', { name: 'Acme Corp' });
    expect(res.status).toBe(201);
    appShape(res.body);
    const app = res.body as App;
    expect(app).toMatchObject({ name: 'Acme Corp', uid: null, metadata: {} });
    expect(app.updatedAt).toBe(app.createdAt);

    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`application-${app.id}`, 'ApplicationCreated']]);
    expect(appended[0]?.data).toEqual({ applicationId: app.id, name: 'Acme Corp', uid: null, metadata: {}, createdAt: app.createdAt });
  });

  it('with a uid also claims it: ApplicationUidClaimed on application_uid-{uid}, then ApplicationCreated', async () => {
    const uid = freshUid();
    const before = await hb.events.headPosition();
    const res = await hb.request('POST', '/v1/applications', { name: '  Globex  ', uid, metadata: { plan: 'pro', seats: 3 } });
    expect(res.status).toBe(201);
    appShape(res.body);
    const app = res.body as App;
    expect(app).toMatchObject({ name: 'Globex', uid, metadata: { plan: 'pro', seats: 3 } });

    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([
      [`application_uid-${uid}`, 'ApplicationUidClaimed'],
      [`application-${app.id}`, 'ApplicationCreated'],
    ]);
    expect(appended[0]?.data).toMatchObject({ uid, applicationId: app.id });
    expect(appended[1]?.data).toMatchObject({ applicationId: app.id, name: 'Globex', uid, metadata: { plan: 'pro', seats: 3 } });
  });

  it('accepts uid: null as no uid', async () => {
    const app = await createApp({ name: 'No uid', uid: null });
    expect(app.uid).toBeNull();
  });

  it('refuses a missing name (422 required)', async () => {
    await rejected('POST', '/v1/applications', { metadata: {} }, 422, 'validation_failed', { field: 'name', rule: 'required' });
  });

  it('refuses a name of the wrong type (422 type)', async () => {
    await rejected('POST', '/v1/applications', { name: 42 }, 422, 'validation_failed', { field: 'name', rule: 'type' });
  });

  it('refuses a blank name', async () => {
    await rejected('POST', '/v1/applications', { name: '   ' }, 422, 'validation_failed', { field: 'name', rule: 'required' });
    await rejected('POST', '/v1/applications', { name: '' }, 422, 'validation_failed', { field: 'name', rule: 'minLength' });
  });

  it('refuses an unknown field (422 additionalProperties)', async () => {
    const error = await rejected('POST', '/v1/applications', { name: 'Acme', plan: 'pro' }, 422, 'validation_failed', { field: 'plan', rule: 'additionalProperties' });
    expect(error.error.message).toContain('plan');
  });

  it('refuses metadata that is not an object and a uid that is not a string', async () => {
    await rejected('POST', '/v1/applications', { name: 'Acme', metadata: ['a'] }, 422, 'validation_failed', { field: 'metadata', rule: 'type' });
    await rejected('POST', '/v1/applications', { name: 'Acme', uid: 7 }, 422, 'validation_failed', { field: 'uid', rule: 'type' });
  });

  it('refuses a bad uid: characters outside the pattern, or the app_ prefix', async () => {
    await rejected('POST', '/v1/applications', { name: 'Acme', uid: 'has space' }, 422, 'validation_failed', { field: 'uid', rule: 'pattern' });
    await rejected('POST', '/v1/applications', { name: 'Acme', uid: 'a/b' }, 422, 'validation_failed', { field: 'uid', rule: 'pattern' });
    await rejected('POST', '/v1/applications', { name: 'Acme', uid: 'app_123' }, 422, 'validation_failed', { field: 'uid', rule: 'prefix' });
  });

  it('refuses a body that is not an object', async () => {
    await rejected('POST', '/v1/applications', ['Acme'], 422, 'validation_failed', { field: 'body', rule: 'type' });
  });

  it('409 when the uid is taken, and nothing is appended', async () => {
    const uid = freshUid();
    const first = await createApp({ name: 'First', uid });
    const error = await rejected('POST', '/v1/applications', { name: 'Second', uid }, 409, 'uid_taken');
    expect(error.error.message).toContain(uid);
    const got = await hb.request('GET', `/v1/applications/uid/${uid}`);
    expect((got.body as App).id).toBe(first.id);
  });
});

describe('GET /v1/applications/{id} and /v1/applications/uid/{uid}', () => {
  it('gets an application by id, by uid, and by uid in place of the id', async () => {
    const uid = freshUid();
    const app = await createApp({ name: 'Initech', uid, metadata: { tier: 'gold' } });
    for (const path of [`/v1/applications/${app.id}`, `/v1/applications/uid/${uid}`, `/v1/applications/${uid}`]) {
      const res = await hb.request('GET', path);
      expect(res.status, path).toBe(200);
      appShape(res.body);
      expect(res.body).toEqual(app);
    }
  });

  it('404 for an unknown id or uid', async () => {
    expectErrorBody(await hb.request('GET', '/v1/applications/app_00000000000000000000000000'), 404, 'application_not_found');
    expectErrorBody(await hb.request('GET', '/v1/applications/uid/nobody-has-this'), 404, 'application_not_found');
  });
});

describe('PUT /v1/applications/uid/{uid} (get-or-create)', () => {
  it('creates (201, claim + created) and then returns the same application (200, nothing appended)', async () => {
    const uid = freshUid();
    const before = await hb.events.headPosition();
    const created = await hb.request('PUT', `/v1/applications/uid/${uid}`, { name: 'Umbrella', metadata: { region: 'eu' } });
    expect(created.status).toBe(201);
    appShape(created.body);
    const app = created.body as App;
    expect(app).toMatchObject({ name: 'Umbrella', uid, metadata: { region: 'eu' } });
    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([
      [`application_uid-${uid}`, 'ApplicationUidClaimed'],
      [`application-${app.id}`, 'ApplicationCreated'],
    ]);

    const mid = await hb.events.headPosition();
    const again = await hb.request('PUT', `/v1/applications/uid/${uid}`, { name: 'Another name' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(app);
    expect(await hb.events.headPosition()).toEqual(mid);
  });

  it('returns the application POST created with that uid', async () => {
    const uid = freshUid();
    const app = await createApp({ name: 'Posted', uid });
    const res = await hb.request('PUT', `/v1/applications/uid/${uid}`, { name: 'Put' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(app);
  });

  it('refuses bad input and appends nothing', async () => {
    const uid = freshUid();
    await rejected('PUT', `/v1/applications/uid/${uid}`, {}, 422, 'validation_failed', { field: 'name', rule: 'required' });
    await rejected('PUT', `/v1/applications/uid/${uid}`, { name: 1 }, 422, 'validation_failed', { field: 'name', rule: 'type' });
    await rejected('PUT', `/v1/applications/uid/${uid}`, { name: 'A', uid }, 422, 'validation_failed', { field: 'uid', rule: 'additionalProperties' });
    await rejected('PUT', `/v1/applications/uid/${encodeURIComponent('bad uid')}`, { name: 'A' }, 422, 'validation_failed', { field: 'uid', rule: 'pattern' });
    await rejected('PUT', '/v1/applications/uid/app_looks_like_an_id', { name: 'A' }, 422, 'validation_failed', { field: 'uid', rule: 'prefix' });
    expectErrorBody(await hb.request('GET', `/v1/applications/uid/${uid}`), 404, 'application_not_found');
  });
});

describe('PATCH /v1/applications/{id}', () => {
  it('changes the name, keeps the metadata: 200 Application, ApplicationUpdated', async () => {
    const app = await createApp({ name: 'Old', metadata: { keep: true } });
    await new Promise((r) => setTimeout(r, 5));
    const before = await hb.events.headPosition();
    const res = await hb.request('PATCH', `/v1/applications/${app.id}`, { name: 'New' });
    expect(res.status).toBe(200);
    appShape(res.body);
    const updated = res.body as App;
    expect(updated).toMatchObject({ id: app.id, name: 'New', uid: null, metadata: { keep: true }, createdAt: app.createdAt });
    expect(updated.updatedAt > app.updatedAt).toBe(true);
    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`application-${app.id}`, 'ApplicationUpdated']]);
    expect(appended[0]?.data).toMatchObject({ applicationId: app.id, name: 'New', metadata: { keep: true } });

    const metadata = await hb.request('PATCH', `/v1/applications/${app.id}`, { metadata: { plan: 'free' } });
    expect(metadata.body).toMatchObject({ name: 'New', metadata: { plan: 'free' } });
  });

  it('refuses bad input and unknown applications, appending nothing', async () => {
    const app = await createApp({ name: 'Patch me' });
    await rejected('PATCH', `/v1/applications/${app.id}`, { name: 5 }, 422, 'validation_failed', { field: 'name', rule: 'type' });
    await rejected('PATCH', `/v1/applications/${app.id}`, { name: '  ' }, 422, 'validation_failed', { field: 'name', rule: 'required' });
    await rejected('PATCH', `/v1/applications/${app.id}`, { uid: 'x' }, 422, 'validation_failed', { field: 'uid', rule: 'additionalProperties' });
    await rejected('PATCH', `/v1/applications/${app.id}`, { metadata: 'x' }, 422, 'validation_failed', { field: 'metadata', rule: 'type' });
    await rejected('PATCH', '/v1/applications/app_00000000000000000000000000', { name: 'x' }, 404, 'application_not_found');
  });
});

describe('DELETE /v1/applications/{id}', () => {
  it('deletes: 204 without a body, ApplicationDeleted; then 404, and a second delete appends nothing', async () => {
    const app = await createApp({ name: 'Doomed' });
    const before = await hb.events.headPosition();
    const res = await hb.request('DELETE', `/v1/applications/${app.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`application-${app.id}`, 'ApplicationDeleted']]);

    expectErrorBody(await hb.request('GET', `/v1/applications/${app.id}`), 404, 'application_not_found');
    await rejected('DELETE', `/v1/applications/${app.id}`, undefined, 404, 'application_not_found');
    await rejected('PATCH', `/v1/applications/${app.id}`, { name: 'back' }, 404, 'application_not_found');
  });
});

describe('GET /v1/applications', () => {
  it('pages with limit and cursor, newest first, visiting every application once', async () => {
    const made: App[] = [];
    for (let i = 0; i < 5; i++) made.push(await createApp({ name: `Paged ${i}` }));

    const all = await hb.request('GET', '/v1/applications?limit=100');
    expect(all.status).toBe(200);
    const full = all.body as Page<App>;
    expect(full.hasMore).toBe(false);
    expect(full.nextCursor).toBeNull();
    full.data.forEach(appShape);

    const { seen, pages } = await pageThrough<App>('/v1/applications', undefined, { maxPages: 100 });

    const ids = seen.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(full.data.map((a) => a.id));
    expect(pages).toBe(Math.ceil(ids.length / 2));
    // newest first: creation times (and the time-sortable ids) descend
    const times = seen.map((a) => a.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect([...ids].sort().reverse()).toEqual(ids);
    // the five made last come first, in reverse order of creation
    expect(ids.slice(0, 5)).toEqual(made.map((a) => a.id).reverse());
  });

  it('defaults to at most 50 items', async () => {
    const res = await hb.request('GET', '/v1/applications');
    expect(res.status).toBe(200);
    expect((res.body as Page<App>).data.length).toBeLessThanOrEqual(50);
  });

  it('422 for limit=0, limit=101, a non-number limit, an unknown query field and a foreign cursor', async () => {
    expectErrorBody(await hb.request('GET', '/v1/applications?limit=0'), 422, 'validation_failed', { field: 'limit', rule: 'minimum' });
    expectErrorBody(await hb.request('GET', '/v1/applications?limit=101'), 422, 'validation_failed', { field: 'limit', rule: 'maximum' });
    expectErrorBody(await hb.request('GET', '/v1/applications?limit=ten'), 422, 'validation_failed', { field: 'limit', rule: 'type' });
    expectErrorBody(await hb.request('GET', '/v1/applications?sort=name'), 422, 'validation_failed', { field: 'sort', rule: 'additionalProperties' });
    expectErrorBody(await hb.request('GET', '/v1/applications?cursor=not-a-cursor'), 422, 'validation_failed', { field: 'cursor', rule: 'cursor' });
  });
});
