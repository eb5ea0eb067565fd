import { describe, expect, it } from 'vitest';
import { apiAssertions, expectErrorBody, useTestHookbase } from '../test/apiAssertions';
import type { Page } from '../test/apiAssertions';
import type { TestHookbase } from '../test/harness';

// /v1/event-types over a real server: the HTTP answer, and the events appended (or not) for it.

type EventType = {
  name: string;
  displayName: string | null;
  description: string | null;
  category: string | null;
  schema: Record<string, unknown> | null;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
};

let hb: TestHookbase;

useTestHookbase((started) => {
  hb = started;
});
const { eventsSince, rejected, pageThrough } = apiAssertions(() => hb);

const typeShape = (t: unknown): void => {
  expect(Object.keys(t as object).sort()).toEqual(['archived', 'category', 'createdAt', 'description', 'displayName', 'name', 'schema', 'updatedAt']);
  const e = t as EventType;
  expect(new Date(e.createdAt).toISOString()).toBe(e.createdAt);
  expect(new Date(e.updatedAt).toISOString()).toBe(e.updatedAt);
};

let counter = 0;
const fresh = (prefix: string): string => `${prefix}.${Date.now().toString(36)}${++counter}`;

const createType = async (body: Record<string, unknown>): Promise<EventType> => {
  const res = await hb.request('POST', '/v1/event-types', body);
  expect(res.status, res.text).toBe(201);
  return res.body as EventType;
};

const orderSchema = { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } };

describe('POST /v1/event-types', () => {
  it('defines an event type: 201 EventType, EventTypeCreated on eventtype-{name}', async () => {
    const name = fresh('order.created');
    const before = await hb.events.headPosition();
    const res = await hb.request('POST', '/v1/event-types', {
      name,
      displayName: 'Order Created',
      description: 'Triggered when a new order is placed',
      category: 'Orders',
      schema: orderSchema,
    });
    expect(res.status).toBe(201);
    typeShape(res.body);
    const type = res.body as EventType;
    expect(type).toMatchObject({ name, displayName: 'Order Created', description: 'Triggered when a new order is placed', category: 'Orders', schema: orderSchema, archived: false });

    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`eventtype-${name}`, 'EventTypeCreated']]);
    expect(appended[0]?.data).toEqual({
      name,
      displayName: 'Order Created',
      description: 'Triggered when a new order is placed',
      category: 'Orders',
      schema: orderSchema,
      // v2 of the event (issue 19): the example, the documentation link and the deprecation, null when not given.
      examplePayload: null,
      documentationUrl: null,
      deprecated: null,
      createdAt: type.createdAt,
    });
  });

  it('needs only a name; the rest is null', async () => {
    const name = fresh('plain');
    const type = await createType({ name });
    expect(type).toMatchObject({ name, displayName: null, description: null, category: null, schema: null, archived: false });
  });

  it('409 when the name exists, appending nothing', async () => {
    const name = fresh('dup');
    await createType({ name });
    const error = await rejected('POST', '/v1/event-types', { name, displayName: 'again' }, 409, 'event_type_exists');
    expect(error.error.message).toContain(name);
  });

  it('refuses a missing name, a name of the wrong type, an unknown field', async () => {
    await rejected('POST', '/v1/event-types', { displayName: 'x' }, 422, 'validation_failed', { field: 'name', rule: 'required' });
    await rejected('POST', '/v1/event-types', { name: ['a'] }, 422, 'validation_failed', { field: 'name', rule: 'type' });
    await rejected('POST', '/v1/event-types', { name: fresh('x'), version: 2 }, 422, 'validation_failed', { field: 'version', rule: 'additionalProperties' });
    await rejected('POST', '/v1/event-types', { name: fresh('x'), displayName: 3 }, 422, 'validation_failed', { field: 'displayName', rule: 'type' });
    await rejected('POST', '/v1/event-types', { name: fresh('x'), schema: 'object' }, 422, 'validation_failed', { field: 'schema', rule: 'type' });
  });

  it('refuses a bad event type name (422 pattern / maxLength)', async () => {
    await rejected('POST', '/v1/event-types', { name: 'order created' }, 422, 'validation_failed', { field: 'name', rule: 'pattern' });
    await rejected('POST', '/v1/event-types', { name: '.order' }, 422, 'validation_failed', { field: 'name', rule: 'pattern' });
    await rejected('POST', '/v1/event-types', { name: 'order/created' }, 422, 'validation_failed', { field: 'name', rule: 'pattern' });
    await rejected('POST', '/v1/event-types', { name: 'a'.repeat(257) }, 422, 'validation_failed', { field: 'name', rule: 'maxLength' });
  });

  it('refuses a schema that is not a valid JSON Schema', async () => {
    const error = await rejected('POST', '/v1/event-types', { name: fresh('bad.schema'), schema: { type: 'nope' } }, 422, 'validation_failed', {
      field: 'schema',
      rule: 'json_schema',
    });
    expect(error.error.message).toContain('schema');
  });
});

describe('GET /v1/event-types/{name}', () => {
  it('gets an event type; 404 for an unknown one', async () => {
    const type = await createType({ name: fresh('get.me'), category: 'Get' });
    const res = await hb.request('GET', `/v1/event-types/${type.name}`);
    expect(res.status).toBe(200);
    typeShape(res.body);
    expect(res.body).toEqual(type);
    expectErrorBody(await hb.request('GET', '/v1/event-types/no.such.type'), 404, 'event_type_not_found');
  });
});

describe('PATCH /v1/event-types/{name}', () => {
  it('changes what is given: 200 EventType, EventTypeUpdated', async () => {
    const type = await createType({ name: fresh('patch.me'), displayName: 'Before', category: 'Keep' });
    const before = await hb.events.headPosition();
    const res = await hb.request('PATCH', `/v1/event-types/${type.name}`, { displayName: 'After', schema: orderSchema });
    expect(res.status).toBe(200);
    typeShape(res.body);
    expect(res.body).toMatchObject({ name: type.name, displayName: 'After', category: 'Keep', schema: orderSchema, createdAt: type.createdAt });
    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`eventtype-${type.name}`, 'EventTypeUpdated']]);
    expect(appended[0]?.data).toMatchObject({ name: type.name, displayName: 'After', category: 'Keep', schema: orderSchema });

    const cleared = await hb.request('PATCH', `/v1/event-types/${type.name}`, { schema: null, category: null });
    expect(cleared.body).toMatchObject({ displayName: 'After', category: null, schema: null });
  });

  it('refuses bad input and unknown names, appending nothing', async () => {
    const type = await createType({ name: fresh('patch.bad') });
    await rejected('PATCH', `/v1/event-types/${type.name}`, { name: 'renamed' }, 422, 'validation_failed', { field: 'name', rule: 'additionalProperties' });
    await rejected('PATCH', `/v1/event-types/${type.name}`, { description: false }, 422, 'validation_failed', { field: 'description', rule: 'type' });
    await rejected('PATCH', `/v1/event-types/${type.name}`, { schema: { type: 12 } }, 422, 'validation_failed', { field: 'schema', rule: 'json_schema' });
    await rejected('PATCH', '/v1/event-types/never.defined', { displayName: 'x' }, 404, 'event_type_not_found');
  });
});

describe('DELETE /v1/event-types/{name} (archive) and POST .../unarchive', () => {
  it('archives (204, EventTypeArchived), is idempotent, and unarchives (200, EventTypeUnarchived)', async () => {
    const category = fresh('Archive');
    const type = await createType({ name: fresh('archive.me'), category });
    const before = await hb.events.headPosition();
    const res = await hb.request('DELETE', `/v1/event-types/${type.name}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`eventtype-${type.name}`, 'EventTypeArchived']]);
    expect((await hb.request('GET', `/v1/event-types/${type.name}`)).body).toMatchObject({ archived: true });

    // archived: hidden from the list unless asked for
    const hidden = (await hb.request('GET', `/v1/event-types?category=${category}`)).body as Page<EventType>;
    expect(hidden.data).toEqual([]);
    const shown = (await hb.request('GET', `/v1/event-types?category=${category}&includeArchived=true`)).body as Page<EventType>;
    expect(shown.data.map((t) => t.name)).toEqual([type.name]);

    // archiving again changes nothing
    const mid = await hb.events.headPosition();
    expect((await hb.request('DELETE', `/v1/event-types/${type.name}`)).status).toBe(204);
    expect(await hb.events.headPosition()).toEqual(mid);

    const un = await hb.request('POST', `/v1/event-types/${type.name}/unarchive`);
    expect(un.status).toBe(200);
    typeShape(un.body);
    expect(un.body).toMatchObject({ name: type.name, archived: false });
    const unAppended = await eventsSince(mid);
    expect(unAppended.map((e) => [e.streamId, e.type])).toEqual([[`eventtype-${type.name}`, 'EventTypeUnarchived']]);
  });

  it('404 for unknown names, appending nothing', async () => {
    await rejected('DELETE', '/v1/event-types/never.defined', undefined, 404, 'event_type_not_found');
    await rejected('POST', '/v1/event-types/never.defined/unarchive', undefined, 404, 'event_type_not_found');
  });
});

describe('GET /v1/event-types', () => {
  it('filters by category and pages newest first with limit and cursor, visiting every type once', async () => {
    const category = fresh('Paging');
    const made: EventType[] = [];
    for (let i = 0; i < 5; i++) made.push(await createType({ name: fresh(`page${i}`), category }));
    await createType({ name: fresh('other'), category: fresh('Other') });

    const { seen, pages } = await pageThrough<EventType>(`/v1/event-types?category=${category}`, (page) => page.data.forEach(typeShape));
    expect(pages).toBe(3);
    expect(seen.map((t) => t.name)).toEqual(made.map((t) => t.name).reverse());
    expect(seen.every((t) => t.category === category)).toBe(true);
  });

  it('422 for limit=0, limit=101 and a non-boolean includeArchived', async () => {
    expectErrorBody(await hb.request('GET', '/v1/event-types?limit=0'), 422, 'validation_failed', { field: 'limit', rule: 'minimum' });
    expectErrorBody(await hb.request('GET', '/v1/event-types?limit=101'), 422, 'validation_failed', { field: 'limit', rule: 'maximum' });
    expectErrorBody(await hb.request('GET', '/v1/event-types?includeArchived=maybe'), 422, 'validation_failed', { field: 'includeArchived', rule: 'type' });
  });
});
