import { describe, expect, it } from 'vitest';
import { apiAssertions, expectErrorBody, useTestHookbase } from '../test/apiAssertions';
import type { Page } from '../test/apiAssertions';
import type { TestHookbase } from '../test/harness';

// Messages and outbound messages over a real server without a dispatcher: what the API answers and appends.

type OutboundRef = { id: string; endpointId: string; status: string };
type Message = { id: string; eventType: string; payload: unknown; eventId: string | null; timestamp: string; outbound: OutboundRef[] };
type Outbound = Record<string, unknown> & { id: string; messageId: string; endpointId: string; status: string };
type HistoryEntry = { stream: string; revision: string; position: string; type: string; recordedAt: string; data: Record<string, unknown> };

const MESSAGE_FIELDS = ['eventId', 'eventType', 'id', 'outbound', 'payload', 'timestamp'];
const OUTBOUND_FIELDS = [
  'attempts', 'createdAt', 'deliveredAt', 'endpointId', 'endpointUrl', 'eventType', 'id', 'lastAttemptAt', 'lastError', 'lastResponseStatus',
  'maxAttempts', 'messageId', 'nextAttemptAt', 'status',
];
const CREATED = 'msg.order.created';
const SHIPPED = 'msg.order.shipped';
const ARCHIVED = 'msg.order.archived';
const orderSchema = {
  type: 'object',
  required: ['orderId', 'amount'],
  properties: {
    orderId: { type: 'string' },
    amount: { type: 'number' },
    items: { type: 'array', items: { type: 'object', required: ['sku'] } },
  },
};

let hb: TestHookbase;
let appId: string;
let otherAppId: string;
let allTypes: string;
let createdOnly: string;
let disabled: string;

const { eventsSince, rejected, pageThrough } = apiAssertions(() => hb);

const messageShape = (m: unknown): void => {
  expect(Object.keys(m as object).sort()).toEqual(MESSAGE_FIELDS);
  const msg = m as Message;
  expect(msg.id).toMatch(/^msg_[0-9A-Z]{26}$/);
  expect(new Date(msg.timestamp).toISOString()).toBe(msg.timestamp);
  for (const o of msg.outbound) expect(Object.keys(o).sort()).toEqual(['endpointId', 'id', 'status']);
};

const outboundShape = (o: unknown): void => {
  expect(Object.keys(o as object).sort()).toEqual(OUTBOUND_FIELDS);
  expect((o as Outbound).id).toMatch(/^out_[0-9A-Z]{26}$/);
};

const msgs = (app = appId) => `/v1/applications/${app}/messages`;
const outs = (app = appId) => `/v1/applications/${app}/outbound`;
const order = (orderId = 'ord_1') => ({ orderId, amount: 99.5, items: [{ sku: 'A', qty: 1 }] });

const send = async (body: Record<string, unknown>, app = appId): Promise<Message> => {
  const res = await hb.request('POST', msgs(app), body);
  expect(res.status, res.text).toBe(202);
  return res.body as Message;
};

const newApp = async (name: string): Promise<string> => {
  const res = await hb.request('POST', '/v1/applications', { name });
  expect(res.status).toBe(201);
  return (res.body as { id: string }).id;
};

const newEndpoint = async (app: string, body: Record<string, unknown>): Promise<string> => {
  const res = await hb.request('POST', `/v1/applications/${app}/endpoints`, { url: 'https://example.com/hooks', ...body });
  expect(res.status, res.text).toBe(201);
  return (res.body as { id: string }).id;
};

useTestHookbase(async (started) => {
  hb = started;
  for (const body of [{ name: CREATED, schema: orderSchema }, { name: SHIPPED }, { name: ARCHIVED }]) {
    expect((await hb.request('POST', '/v1/event-types', body)).status).toBe(201);
  }
  expect((await hb.request('DELETE', `/v1/event-types/${ARCHIVED}`)).status).toBe(204);
  appId = await newApp('Messages A');
  otherAppId = await newApp('Messages B');
  allTypes = await newEndpoint(appId, {});
  createdOnly = await newEndpoint(appId, { eventTypes: [CREATED] });
  disabled = await newEndpoint(appId, { disabled: true });
});

describe('POST /v1/applications/{appId}/messages', () => {
  it('sends: 202 Message with one pending delivery per subscribed, enabled endpoint; MessageSent on message-{id}', async () => {
    const before = await hb.events.headPosition();
    const res = await hb.request('POST', msgs(), { eventType: CREATED, payload: order() });
    expect(res.status).toBe(202);
    messageShape(res.body);
    const m = res.body as Message;
    expect(m).toMatchObject({ eventType: CREATED, payload: order(), eventId: null });
    expect(m.outbound.map((o) => o.endpointId).sort()).toEqual([allTypes, createdOnly].sort());
    expect(m.outbound.every((o) => o.status === 'pending' && /^out_/.test(o.id))).toBe(true);
    expect(m.outbound.map((o) => o.endpointId)).not.toContain(disabled);

    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`message-${m.id}`, 'MessageSent']]);
    const data = appended[0]?.data as { messageId: string; applicationId: string; eventType: string; payload: unknown; eventId: null; outbound: { outboundId: string; endpointId: string }[] };
    expect(data).toMatchObject({ messageId: m.id, applicationId: appId, eventType: CREATED, payload: order(), eventId: null, timestamp: m.timestamp });
    expect(data.outbound.map((o) => [o.outboundId, o.endpointId]).sort()).toEqual(m.outbound.map((o) => [o.id, o.endpointId]).sort());
  });

  it('only endpoints subscribed to the event type (or to all) receive it', async () => {
    const m = await send({ eventType: SHIPPED, payload: { anything: ['goes'] } });
    expect(m.outbound.map((o) => o.endpointId)).toEqual([allTypes]);
  });

  it('the same eventId again: 200 with the original message, Idempotent-Replayed: true, nothing appended', async () => {
    const first = await hb.request('POST', msgs(), { eventType: CREATED, payload: order('ord_evt'), eventId: 'evt_1' });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const original = first.body as Message;
    expect(original.eventId).toBe('evt_1');

    const before = await hb.events.headPosition();
    const again = await hb.request('POST', msgs(), { eventType: CREATED, payload: { items: [{ qty: 1, sku: 'A' }], amount: 99.5, orderId: 'ord_evt' }, eventId: 'evt_1' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    messageShape(again.body);
    expect(again.body).toEqual(original);
    expect(await hb.events.headPosition()).toEqual(before);

    // the same eventId in another application is another message
    const elsewhere = await send({ eventType: CREATED, payload: order('ord_evt'), eventId: 'evt_1' }, otherAppId);
    expect(elsewhere.id).not.toBe(original.id);
  });

  it('the same eventId with another payload or event type: 409, nothing appended', async () => {
    await send({ eventType: CREATED, payload: order('ord_409'), eventId: 'evt_409' });
    const error = await rejected('POST', msgs(), { eventType: CREATED, payload: order('ord_other'), eventId: 'evt_409' }, 409, 'event_id_reused');
    expect(error.error.message).toContain('evt_409');
    await rejected('POST', msgs(), { eventType: SHIPPED, payload: order('ord_409'), eventId: 'evt_409' }, 409, 'event_id_reused');
  });

  it('a send carries its Idempotency-Key by its append: the same answer again, one message even for concurrent duplicates, nothing kept in the operational store', async () => {
    const keys = hb.ops.collection<{ id: string }>({ name: 'idempotency_keys', indexes: [{ equal: [], sort: 'expiresAt' }] });
    const keptBefore = await keys.count();
    const headers = { 'Idempotency-Key': 'send-by-append-1' };
    const before = await hb.events.headPosition();
    const answers = await Promise.all([1, 2, 3].map(() => hb.request('POST', msgs(), { eventType: SHIPPED, payload: { n: 'append' } }, headers)));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(2);
    const first = answers.find((a) => a.headers.get('idempotent-replayed') === null);
    for (const a of answers) {
      expect(a.body).toEqual(first?.body);
      expect(a.headers.get('hookbase-consistency-token')).toBe(first?.headers.get('hookbase-consistency-token'));
    }
    const appended = await eventsSince(before);
    expect(appended.map((e) => e.type)).toEqual(['MessageSent']);
    expect(await keys.count()).toBe(keptBefore);
    // Later, the same: the first answer (every delivery pending, as it was), not the message as it is now.
    const later = await hb.request('POST', msgs(), { eventType: SHIPPED, payload: { n: 'append' } }, headers);
    expect(later.status).toBe(202);
    expect(later.body).toEqual(first?.body);
  });

  it('one Idempotency-Key is not reused across a send and another route, whichever came first', async () => {
    const sendFirst = { 'Idempotency-Key': 'send-then-app' };
    expect((await hb.request('POST', msgs(), { eventType: SHIPPED, payload: { n: 'x' } }, sendFirst)).status).toBe(202);
    expectErrorBody(await hb.request('POST', '/v1/applications', { name: 'Reuses a send key' }, sendFirst), 409, 'idempotency_key_reused');
    expectErrorBody(await hb.request('POST', msgs(otherAppId), { eventType: SHIPPED, payload: { n: 'x' } }, sendFirst), 409, 'idempotency_key_reused');

    const appFirst = { 'Idempotency-Key': 'app-then-send' };
    expect((await hb.request('POST', '/v1/applications', { name: 'Holds a key' }, appFirst)).status).toBe(201);
    const before = await hb.events.headPosition();
    expectErrorBody(await hb.request('POST', msgs(), { eventType: SHIPPED, payload: { n: 'y' } }, appFirst), 409, 'idempotency_key_reused');
    expect(await hb.events.headPosition()).toEqual(before);
  });

  it('an Idempotency-Key replays the first answer without a second message', async () => {
    const headers = { 'Idempotency-Key': 'send-once-1' };
    const first = await hb.request('POST', msgs(), { eventType: SHIPPED, payload: { n: 1 } }, headers);
    expect(first.status).toBe(202);
    const before = await hb.events.headPosition();
    const again = await hb.request('POST', msgs(), { eventType: SHIPPED, payload: { n: 1 } }, headers);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((again.body as Message).id).toBe((first.body as Message).id);
    expect(await hb.events.headPosition()).toEqual(before);
    expectErrorBody(await hb.request('POST', msgs(), { eventType: SHIPPED, payload: { n: 2 } }, headers), 409, 'idempotency_key_reused');
    expect(await hb.events.headPosition()).toEqual(before);
  });

  it('refuses missing fields, wrong types and unknown fields (422, nothing appended)', async () => {
    await rejected('POST', msgs(), { payload: {} }, 422, 'validation_failed', { field: 'eventType', rule: 'required' });
    await rejected('POST', msgs(), { eventType: SHIPPED }, 422, 'validation_failed', { field: 'payload', rule: 'required' });
    await rejected('POST', msgs(), { eventType: 7, payload: {} }, 422, 'validation_failed', { field: 'eventType', rule: 'type' });
    await rejected('POST', msgs(), { eventType: SHIPPED, payload: {}, eventId: 12 }, 422, 'validation_failed', { field: 'eventId', rule: 'type' });
    await rejected('POST', msgs(), { eventType: SHIPPED, payload: {}, eventId: '' }, 422, 'validation_failed', { field: 'eventId', rule: 'minLength' });
    await rejected('POST', msgs(), { eventType: SHIPPED, payload: {}, channel: 'x' }, 422, 'validation_failed', { field: 'channel', rule: 'additionalProperties' });
  });

  it('refuses an unknown or archived event type', async () => {
    const unknown = await rejected('POST', msgs(), { eventType: 'no.such.type', payload: {} }, 422, 'validation_failed', { field: 'eventType', rule: 'event_type_exists' });
    expect(unknown.error.message).toContain('no.such.type');
    const archived = await rejected('POST', msgs(), { eventType: ARCHIVED, payload: {} }, 422, 'validation_failed', { field: 'eventType', rule: 'event_type_archived' });
    expect(archived.error.message).toContain('archived');
  });

  it("refuses a payload failing the event type's JSON Schema, naming the payload fields", async () => {
    const missing = await rejected('POST', msgs(), { eventType: CREATED, payload: { amount: 1 } }, 422, 'payload_schema_mismatch', { field: 'payload.orderId', rule: 'required' });
    expect(missing.error.message).toContain('orderId');
    await rejected('POST', msgs(), { eventType: CREATED, payload: { orderId: 'o', amount: 'ten' } }, 422, 'payload_schema_mismatch', { field: 'payload.amount', rule: 'type' });
    await rejected('POST', msgs(), { eventType: CREATED, payload: { orderId: 'o', amount: 1, items: [{}] } }, 422, 'payload_schema_mismatch', {
      field: 'payload.items[0].sku',
      rule: 'required',
    });
    await rejected('POST', msgs(), { eventType: CREATED, payload: 'not an object' }, 422, 'payload_schema_mismatch', { field: 'payload', rule: 'type' });
  });

  it('a changed schema applies from the next send', async () => {
    const name = 'msg.schema.changes';
    expect((await hb.request('POST', '/v1/event-types', { name, schema: { type: 'object', required: ['a'] } })).status).toBe(201);
    await rejected('POST', msgs(), { eventType: name, payload: { b: 1 } }, 422, 'payload_schema_mismatch', { field: 'payload.a', rule: 'required' });
    expect((await hb.request('PATCH', `/v1/event-types/${name}`, { schema: { type: 'object', required: ['b'] } })).status).toBe(200);
    await send({ eventType: name, payload: { b: 1 } });
  });

  it('404 for an unknown application, and for one deleted after a send', async () => {
    await rejected('POST', msgs('app_00000000000000000000000000'), { eventType: SHIPPED, payload: {} }, 404, 'application_not_found');
    const gone = await newApp('Gone');
    // A send first: what it looked up is not answered again once the application is deleted.
    expect((await hb.request('POST', msgs(gone), { eventType: SHIPPED, payload: {} })).status).toBe(202);
    expect((await hb.request('DELETE', `/v1/applications/${gone}`)).status).toBe(204);
    await rejected('POST', msgs(gone), { eventType: SHIPPED, payload: {} }, 404, 'application_not_found');
  });
});

describe('GET /v1/applications/{appId}/messages[/{id}]', () => {
  it('gets a message with its deliveries; 404 from another application', async () => {
    const m = await send({ eventType: CREATED, payload: order('ord_get') });
    const res = await hb.request('GET', `${msgs()}/${m.id}`);
    expect(res.status).toBe(200);
    messageShape(res.body);
    expect(res.body).toEqual(m);
    expectErrorBody(await hb.request('GET', `${msgs(otherAppId)}/${m.id}`), 404, 'message_not_found');
    expectErrorBody(await hb.request('GET', `${msgs()}/msg_00000000000000000000000000`), 404, 'message_not_found');
  });

  it('lists newest first with limit and cursor, every message once; filters by eventType, since and until', async () => {
    const app = await newApp('Message list');
    const made: Message[] = [];
    for (let i = 0; i < 5; i++) made.push(await send({ eventType: i % 2 ? SHIPPED : CREATED, payload: order(`ord_list_${i}`) }, app));

    const { seen, pages } = await pageThrough<Message>(msgs(app), (page) => page.data.forEach(messageShape));
    expect(pages).toBe(3);
    expect(seen.map((m) => m.id)).toEqual(made.map((m) => m.id).reverse());

    const shipped = (await hb.request('GET', `${msgs(app)}?eventType=${SHIPPED}`)).body as Page<Message>;
    expect(shipped.data.map((m) => m.id)).toEqual([made[3]?.id, made[1]?.id]);

    const since = made[2]?.timestamp ?? '';
    const until = made[3]?.timestamp ?? '';
    const window = (await hb.request('GET', `${msgs(app)}?since=${since}&until=${until}`)).body as Page<Message>;
    for (const m of window.data) expect(m.timestamp >= since && m.timestamp <= until).toBe(true);
    expect(window.data.map((m) => m.id)).toEqual(expect.arrayContaining([made[2]?.id, made[3]?.id]));
    const outside = made.filter((m) => m.timestamp < since || m.timestamp > until).map((m) => m.id);
    for (const id of outside) expect(window.data.map((m) => m.id)).not.toContain(id);

    expectErrorBody(await hb.request('GET', `${msgs(app)}?limit=0`), 422, 'validation_failed', { field: 'limit', rule: 'minimum' });
    expectErrorBody(await hb.request('GET', `${msgs(app)}?limit=101`), 422, 'validation_failed', { field: 'limit', rule: 'maximum' });
    expectErrorBody(await hb.request('GET', `${msgs(app)}?since=yesterday`), 422, 'validation_failed', { field: 'since', rule: 'format' });
    expectErrorBody(await hb.request('GET', msgs('app_00000000000000000000000000')), 404, 'application_not_found');
  });
});

describe('POST .../messages/{id}/resend and GET .../messages/{id}/history', () => {
  it('resend: 202 {outbound} to the endpoints subscribed now, MessageResent; history lists every event in commit order', async () => {
    const app = await newApp('Resend');
    const first = await newEndpoint(app, {});
    const m = await send({ eventType: SHIPPED, payload: { resend: true } }, app);
    expect(m.outbound.map((o) => o.endpointId)).toEqual([first]);
    const later = await newEndpoint(app, { eventTypes: [SHIPPED] });

    const before = await hb.events.headPosition();
    const res = await hb.request('POST', `${msgs(app)}/${m.id}/resend`);
    expect(res.status).toBe(202);
    const body = res.body as { outbound: OutboundRef[] };
    expect(Object.keys(body)).toEqual(['outbound']);
    expect(body.outbound.map((o) => o.endpointId).sort()).toEqual([first, later].sort());
    for (const o of body.outbound) {
      expect(o).toEqual({ id: expect.stringMatching(/^out_/), endpointId: expect.any(String), status: 'pending' });
      expect(m.outbound.map((x) => x.id)).not.toContain(o.id);
    }
    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`message-${m.id}`, 'MessageResent']]);

    const got = (await hb.request('GET', `${msgs(app)}/${m.id}`)).body as Message;
    expect(got.outbound).toHaveLength(3);

    // a retry adds an event to one delivery's stream
    const outId = m.outbound[0]?.id ?? '';
    expect((await hb.request('POST', `${outs(app)}/${outId}/retry`)).status).toBe(202);

    const history = await hb.request('GET', `${msgs(app)}/${m.id}/history`);
    expect(history.status).toBe(200);
    const entries = (history.body as { data: HistoryEntry[] }).data;
    expect(entries.map((e) => [e.stream, e.type])).toEqual([
      [`message-${m.id}`, 'MessageSent'],
      [`message-${m.id}`, 'MessageResent'],
      [`outbound-${outId}`, 'RetryRequested'],
    ]);
    for (const e of entries) {
      expect(Object.keys(e).sort()).toEqual(['data', 'position', 'recordedAt', 'revision', 'stream', 'type']);
      expect(new Date(e.recordedAt).toISOString()).toBe(e.recordedAt);
    }
    const positions = entries.map((e) => BigInt(e.position));
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
    expect(entries[0]?.revision).toBe('0');
    expect(entries[1]?.revision).toBe('1');
    expect(entries[0]?.data).toMatchObject({ messageId: m.id, payload: { resend: true } });
  });

  it('404 for unknown messages and for another application', async () => {
    const m = await send({ eventType: SHIPPED, payload: {} });
    await rejected('POST', `${msgs(otherAppId)}/${m.id}/resend`, undefined, 404, 'message_not_found');
    await rejected('POST', `${msgs()}/msg_00000000000000000000000000/resend`, undefined, 404, 'message_not_found');
    expectErrorBody(await hb.request('GET', `${msgs(otherAppId)}/${m.id}/history`), 404, 'message_not_found');
    expectErrorBody(await hb.request('GET', `${msgs()}/msg_00000000000000000000000000/history`), 404, 'message_not_found');
  });
});

describe('/v1/applications/{appId}/outbound', () => {
  it('pages through every filter combination, each delivery once, whether an index serves it whole or in part', async () => {
    const app = await newApp('Outbound filters');
    const both = await newEndpoint(app, {});
    const shippedOnly = await newEndpoint(app, { eventTypes: [SHIPPED] });
    const sent: Message[] = [];
    for (let i = 0; i < 7; i++) sent.push(await send({ eventType: i % 3 === 0 ? SHIPPED : CREATED, payload: i % 3 === 0 ? {} : order(`ord_f${i}`) }, app));
    const deliveries = sent.flatMap((m) => m.outbound.map((o) => ({ ...o, messageId: m.id, eventType: m.eventType })));
    const filters: Record<string, string>[] = [
      {},
      { status: 'pending' },
      { endpointId: both },
      { endpointId: shippedOnly, status: 'pending' },
      { eventType: CREATED },
      { eventType: SHIPPED, endpointId: both },
      { eventType: SHIPPED, status: 'pending', endpointId: shippedOnly },
      { messageId: sent[3]?.id ?? '', endpointId: both },
      { status: 'success' },
    ];
    for (const filter of filters) {
      const query = new URLSearchParams(filter).toString();
      const { seen } = await pageThrough<Outbound>(`/v1/applications/${app}/outbound${query ? `?${query}` : ''}`, () => {}, { limit: 2, maxPages: 20 });
      const expected = deliveries.filter((d) => Object.entries(filter).every(([k, v]) => d[k as keyof typeof d] === v));
      // Every matching delivery, once, and no other.
      expect(seen.map((o) => o.id).sort(), query).toEqual(expected.map((d) => d.id).sort());
      expect(new Set(seen.map((o) => o.id)).size).toBe(seen.length);
    }
  });

  it('lists deliveries with filters, gets one, lists its attempts, and retries it (202, RetryRequested)', async () => {
    const m = await send({ eventType: CREATED, payload: order('ord_out') });
    const mine = m.outbound.find((o) => o.endpointId === createdOnly);
    expect(mine).toBeDefined();

    const byMessage = await hb.request('GET', `${outs()}?messageId=${m.id}`);
    expect(byMessage.status).toBe(200);
    const page = byMessage.body as Page<Outbound>;
    page.data.forEach(outboundShape);
    expect(page.data.map((o) => o.id).sort()).toEqual(m.outbound.map((o) => o.id).sort());
    for (const o of page.data) expect(o).toMatchObject({ messageId: m.id, eventType: CREATED, status: 'pending', attempts: 0, maxAttempts: 8, lastAttemptAt: null, deliveredAt: null });

    const byEndpoint = (await hb.request('GET', `${outs()}?messageId=${m.id}&endpointId=${createdOnly}&status=pending&eventType=${CREATED}`)).body as Page<Outbound>;
    expect(byEndpoint.data.map((o) => o.id)).toEqual([mine?.id]);
    const none = (await hb.request('GET', `${outs()}?messageId=${m.id}&status=success`)).body as Page<Outbound>;
    expect(none.data).toEqual([]);

    const one = await hb.request('GET', `${outs()}/${mine?.id}`);
    expect(one.status).toBe(200);
    outboundShape(one.body);
    expect(one.body).toMatchObject({ id: mine?.id, messageId: m.id, endpointId: createdOnly, endpointUrl: 'https://example.com/hooks', status: 'pending' });

    const attempts = await hb.request('GET', `${outs()}/${mine?.id}/attempts`);
    expect(attempts.status).toBe(200);
    expect(attempts.body).toEqual({ data: [], hasMore: false, nextCursor: null });

    const before = await hb.events.headPosition();
    const retried = await hb.request('POST', `${outs()}/${mine?.id}/retry`);
    expect(retried.status).toBe(202);
    outboundShape(retried.body);
    expect(retried.body).toMatchObject({ id: mine?.id });
    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`outbound-${mine?.id}`, 'RetryRequested']]);
    expect(appended[0]?.data).toMatchObject({ outboundId: mine?.id, messageId: m.id, endpointId: createdOnly, applicationId: appId, attemptNumber: 1 });
  });

  it('pages newest first with limit and cursor', async () => {
    const app = await newApp('Outbound list');
    await newEndpoint(app, {});
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push(...(await send({ eventType: SHIPPED, payload: { i } }, app)).outbound.map((o) => o.id));
    const { seen, pages } = await pageThrough<Outbound>(outs(app));
    expect(pages).toBe(2);
    expect(seen.map((o) => o.id)).toEqual([...made].reverse());
  });

  it('422 for bad filters and limits; 404 for deliveries of another application', async () => {
    expectErrorBody(await hb.request('GET', `${outs()}?status=delivered`), 422, 'validation_failed', { field: 'status', rule: 'enum' });
    expectErrorBody(await hb.request('GET', `${outs()}?limit=0`), 422, 'validation_failed', { field: 'limit', rule: 'minimum' });
    expectErrorBody(await hb.request('GET', `${outs()}?limit=101`), 422, 'validation_failed', { field: 'limit', rule: 'maximum' });
    const m = await send({ eventType: SHIPPED, payload: {} });
    const outId = m.outbound[0]?.id ?? '';
    expectErrorBody(await hb.request('GET', `${outs(otherAppId)}/${outId}`), 404, 'outbound_message_not_found');
    expectErrorBody(await hb.request('GET', `${outs(otherAppId)}/${outId}/attempts`), 404, 'outbound_message_not_found');
    await rejected('POST', `${outs(otherAppId)}/${outId}/retry`, undefined, 404, 'outbound_message_not_found');
    await rejected('POST', `${outs()}/out_00000000000000000000000000/retry`, undefined, 404, 'outbound_message_not_found');
  });
});
