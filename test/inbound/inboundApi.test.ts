import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../harness';
import { eventually, startReceiver, startTestHookbase } from '../harness';
import type { TestHookbase } from '../harness';

// The rest of the /v1 inbound API over the real server: replay through the current routes, transient mode, IP lists,
// transform tests, schema validation and routes that skip on a schema.

type Json = Record<string, unknown>;

describe('inbound /v1 API', () => {
  let hb: TestHookbase;
  let receiver: Receiver;
  let destinationId = '';
  beforeAll(async () => {
    hb = await startTestHookbase();
    receiver = await startReceiver();
    destinationId = String(((await hb.request('POST', '/v1/destinations', { name: 'Receiver', url: receiver.url, retryInterval: 1 })).body as Json).id);
  });
  afterAll(async () => {
    await hb?.stop();
    await receiver?.close();
  });

  const source = async (body: Json): Promise<{ id: string; ingestUrl: string }> => {
    const res = await hb.request('POST', '/v1/sources', body);
    expect(res.status).toBe(201);
    return res.body as { id: string; ingestUrl: string };
  };
  const ingest = async (url: string, payload: unknown) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const routed = (id: string) =>
    eventually(async () => {
      const e = (await hb.request('GET', `/v1/inbound-events/${id}`)).body as Json & { deliveries: Json[]; history: { type: string }[] };
      return e.status === 'routed' ? e : undefined;
    });

  it('a replay routes the event again through the routes as they are now: a route added since delivers it too', async () => {
    const s = await source({ name: 'Replayed' });
    const accepted = await ingest(s.ingestUrl, { kind: 'replay-me' });
    const first = await routed(String(accepted.body.id));
    expect(first.deliveryIds).toEqual([]);
    await hb.request('POST', '/v1/routes', { name: 'Added later', sourceId: s.id, destinationId });
    const replay = await hb.request('POST', `/v1/inbound-events/${String(accepted.body.id)}/replay`);
    expect(replay.status).toBe(202);
    expect((replay.body as { deliveryIds: string[] }).deliveryIds).toHaveLength(1);
    await eventually(async () => receiver.received.some((r) => r.body === '{"kind":"replay-me"}'));
    const after = (await hb.request('GET', `/v1/inbound-events/${String(accepted.body.id)}`)).body as { history: { type: string }[]; replays: number };
    expect(after.history.map((h) => h.type)).toEqual(['InboundEventReceived', 'InboundEventRouted', 'InboundEventReplayed']);
    expect(after.replays).toBe(1);
  });

  it('transient mode: no payload in the read models, the key destroyed once delivered, and the event cannot be replayed', async () => {
    const s = await source({ name: 'Transient', transientMode: true });
    await hb.request('POST', '/v1/routes', { name: 'Transient route', sourceId: s.id, destinationId });
    const accepted = await ingest(s.ingestUrl, { secret: 'personal-data-42' });
    const id = String(accepted.body.id);
    await eventually(async () => receiver.received.some((r) => r.body === '{"secret":"personal-data-42"}'));
    const event = await eventually(async () => {
      const e = (await hb.request('GET', `/v1/inbound-events/${id}`)).body as Json & { history: { type: string }[] };
      return e.payloadPurged === true ? e : undefined;
    });
    expect(event).toMatchObject({ transient: true, payload: null, payloadPurged: true });
    expect(event.history.map((h) => h.type)).toContain('InboundPayloadPurged');
    expect(JSON.stringify(event)).not.toContain('personal-data-42');
    // The log holds only ciphertext of it.
    const found: string[] = [];
    for await (const e of hb.events.readStream(`inbound-${id}`)) found.push(JSON.stringify(e.data));
    expect(found.join('')).not.toContain('personal-data-42');
    const replay = await hb.request('POST', `/v1/inbound-events/${id}/replay`);
    expect(replay).toMatchObject({ status: 409, body: { error: { code: 'payload_purged' } } });
  });

  it('an IP allowlist refuses other addresses with 403 and records the refusal', async () => {
    const s = await source({ name: 'Allowlisted', ipFilterMode: 'allowlist', ipAllowlist: ['203.0.113.0/24'] });
    const refused = await ingest(s.ingestUrl, { n: 1 });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'ip_denied' } } });
    const events = (await hb.request('GET', `/v1/inbound-events?sourceId=${s.id}`)).body as { data: Json[] };
    expect(events.data).toMatchObject([{ status: 'rejected', rejection: { reason: 'ip_denied' } }]);
    const bad = await hb.request('POST', '/v1/sources', { name: 'Bad list', ipFilterMode: 'denylist', ipDenylist: ['10.0.0.300'] });
    expect(bad).toMatchObject({ status: 422, body: { error: { details: [{ field: 'ipDenylist[0]', rule: 'ip' }] } } });
  });

  it('transforms are tested without saving; a schema validates with ajv, and a route skips what fails it', async () => {
    const test = await hb.request('POST', '/v1/transforms/test', { transformType: 'mapping', code: JSON.stringify([{ source: 'a.b', target: 'x', type: 'number' }]), payload: { a: { b: '42' } } });
    expect(test.body).toMatchObject({ success: true, output: { x: 42 } });
    const broken = await hb.request('POST', '/v1/transforms', { name: 'Broken', transformType: 'jsonata', code: '{"a": ' });
    expect(broken).toMatchObject({ status: 422, body: { error: { details: [{ field: 'code' }] } } });
    const schema = await hb.request('POST', '/v1/schemas', { name: 'Order', jsonSchema: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } } });
    expect(schema.status).toBe(201);
    const schemaId = String((schema.body as Json).id);
    expect((await hb.request('POST', `/v1/schemas/${schemaId}/validate`, { payload: { orderId: 'o1' } })).body).toEqual({ valid: true, errors: [] });
    expect((await hb.request('POST', `/v1/schemas/${schemaId}/validate`, { payload: { orderId: 7 } })).body).toEqual({ valid: false, errors: [{ path: '/orderId', message: 'must be string' }] });

    const s = await source({ name: 'Orders' });
    await hb.request('POST', '/v1/routes', { name: 'Typed', sourceId: s.id, destinationId, schemaId });
    const accepted = await ingest(s.ingestUrl, { orderId: 7 });
    const event = await routed(String(accepted.body.id));
    expect(event).toMatchObject({ deliveryIds: [], skippedRoutes: [{ reason: 'schema', detail: '/orderId must be string' }] });
    // Still used by a route: not deleted.
    expect((await hb.request('DELETE', `/v1/schemas/${schemaId}`)).body).toMatchObject({ error: { code: 'in_use' } });
  });
});
