import { createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// This branch's SDK sources (node_modules/@hookbase/sdk is main's build).
import { Hookbase, NotFoundError, ValidationError } from '../../sdk/src/index';
import type { Receiver, TestHookbase } from '../harness';
import { eventually, startReceiver, startTestHookbase } from '../harness';

// Our SDK's inbound resources (sdk/src/resources/inbound*.ts) driven against the real server, method by method.

const SECRET = 'whsec_sdk_inbound_secret';
const stripeSigned = (body: string): Record<string, string> => {
  const t = Math.floor(Date.now() / 1000);
  return { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}` };
};

describe('our SDK: inbound resources', () => {
  let hb: TestHookbase;
  let sdk: Hookbase;
  let receiver: Receiver;
  let failing = true;

  beforeAll(async () => {
    hb = await startTestHookbase();
    sdk = new Hookbase({ apiKey: hb.apiKey, baseUrl: hb.url, retries: 0 });
    receiver = await startReceiver((req, res) => {
      const broken = failing && req.url.endsWith('/broken');
      res.statusCode = broken ? 503 : 200;
      res.end(broken ? 'down' : 'ok');
    });
  });
  afterAll(async () => {
    await hb?.stop();
    if (hb) rmSync(hb.dataDir, { recursive: true, force: true });
    await receiver?.close();
  });

  it('sources: create (ingestUrl + secret once), get, list, update, rotateSecret, delete; the ingest URL accepts a signed request', async () => {
    const source = await sdk.sources.create({ name: 'SDK Stripe', provider: 'stripe', verifySignature: true, signingSecret: SECRET });
    expect(source).toMatchObject({ name: 'SDK Stripe', slug: 'sdk-stripe', provider: 'stripe', hasSigningSecret: true, signingSecret: SECRET });
    expect(source.ingestUrl).toBe(`${hb.url}/ingest/hookbase/sdk-stripe`);
    const got = await sdk.sources.get(source.id);
    expect(got).not.toHaveProperty('signingSecret');
    expect((await sdk.sources.list()).data.map((s) => s.id)).toContain(source.id);
    expect(await sdk.sources.update(source.id, { description: 'billing', dedupStrategy: 'event_id' })).toMatchObject({ description: 'billing', dedupStrategy: 'event_id' });

    const body = JSON.stringify({ id: 'evt_sdk_1', type: 'invoice.paid' });
    const accepted = await fetch(source.ingestUrl, { method: 'POST', body, headers: stripeSigned(body) });
    expect(accepted.status).toBe(202);
    const refused = await fetch(source.ingestUrl, { method: 'POST', body: `${body} `, headers: stripeSigned(body) });
    expect(refused.status).toBe(401);

    const rotated = await sdk.sources.rotateSecret(source.id);
    expect(rotated.signingSecret).toEqual(expect.any(String));
    expect(rotated.signingSecret).not.toBe(SECRET);
    const oldSecretNow = JSON.stringify({ id: 'evt_sdk_2', type: 'invoice.paid' });
    expect((await fetch(source.ingestUrl, { method: 'POST', body: oldSecretNow, headers: stripeSigned(oldSecretNow) })).status).toBe(401);

    await sdk.sources.delete(source.id);
    await expect(sdk.sources.get(source.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('destinations, filters, transforms (with test), schemas (with validate): create, get, list, update, delete', async () => {
    const destination = await sdk.destinations.create({ name: 'SDK dest', url: `${receiver.url}/x`, authType: 'bearer', authConfig: { token: 'tok_sdk' } });
    expect(destination).toMatchObject({ type: 'http', authType: 'bearer', hasAuth: true });
    expect(JSON.stringify(destination)).not.toContain('tok_sdk');
    expect((await sdk.destinations.get(destination.id)).url).toBe(`${receiver.url}/x`);
    expect((await sdk.destinations.list()).data.map((d) => d.id)).toContain(destination.id);
    expect((await sdk.destinations.update(destination.id, { timeoutMs: 5000 })).timeoutMs).toBe(5000);
    await expect(sdk.destinations.create({ name: 'S3', url: 'https://s3.example', type: 's3' as 'http' })).rejects.toBeInstanceOf(ValidationError);

    const filter = await sdk.filters.create({ name: 'Paid', conditions: [{ field: 'type', operator: 'equals', value: 'invoice.paid' }] });
    expect(filter).toMatchObject({ logic: 'and', version: 1 });
    expect((await sdk.filters.get(filter.id)).conditions).toEqual([{ field: 'type', operator: 'equals', value: 'invoice.paid' }]);
    expect((await sdk.filters.list()).data.map((f) => f.id)).toContain(filter.id);
    expect(await sdk.filters.update(filter.id, { logic: 'or' })).toMatchObject({ logic: 'or', version: 2 });

    const transform = await sdk.transforms.create({ name: 'Slim', transformType: 'jsonata', code: '{"kind": type}' });
    expect((await sdk.transforms.get(transform.id)).code).toBe('{"kind": type}');
    expect((await sdk.transforms.list()).data.map((t) => t.id)).toContain(transform.id);
    expect((await sdk.transforms.update(transform.id, { code: '{"k": type}' })).version).toBe(2);
    expect(await sdk.transforms.testSaved(transform.id, { type: 'a.b' })).toMatchObject({ success: true, output: { k: 'a.b' } });
    expect(await sdk.transforms.test({ transformType: 'jsonata', code: '$uppercase(name)', payload: { name: 'ada' } })).toMatchObject({ success: true, output: 'ADA' });
    const broken = await sdk.transforms.test({ transformType: 'jsonata', code: '{{', payload: {} });
    expect(broken.success).toBe(false);

    const schema = await sdk.schemas.create({ name: 'Invoice', jsonSchema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } });
    expect((await sdk.schemas.get(schema.id)).jsonSchema).toMatchObject({ required: ['id'] });
    expect((await sdk.schemas.list()).data.map((s) => s.id)).toContain(schema.id);
    expect((await sdk.schemas.update(schema.id, { description: 'v2' })).description).toBe('v2');
    expect(await sdk.schemas.validate(schema.id, { id: 'in_1' })).toEqual({ valid: true, errors: [] });
    const invalid = await sdk.schemas.validate(schema.id, { id: 7 });
    expect(invalid.valid).toBe(false);
    expect(invalid.errors[0]?.path).toBe('/id');

    for (const remove of [() => sdk.destinations.delete(destination.id), () => sdk.filters.delete(filter.id), () => sdk.transforms.delete(transform.id), () => sdk.schemas.delete(schema.id)]) {
      await remove();
    }
    await expect(sdk.filters.get(filter.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(sdk.schemas.get(schema.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('routes, inbound events, deliveries and the DLQ: an event routed, transformed, delivered, dead-lettered, retried, replayed and discarded', async () => {
    const source = await sdk.sources.create({ name: 'SDK traffic', provider: 'generic' });
    const good = await sdk.destinations.create({ name: 'Good', url: `${receiver.url}/good` });
    const bad = await sdk.destinations.create({ name: 'Bad', url: `${receiver.url}/broken`, retryCount: 1, retryInterval: 1 });
    const transform = await sdk.transforms.create({ name: 'Kind', transformType: 'jsonata', code: '{"kind": kind}' });
    const toGood = await sdk.routes.create({
      name: 'To good', sourceId: source.id, destinationId: good.id, transformId: transform.id,
      filterConditions: [{ field: 'kind', operator: 'starts_with', value: 'order.' }], filterLogic: 'and',
    });
    const toBad = await sdk.routes.create({ name: 'To bad', sourceId: source.id, destinationId: bad.id });
    expect(toGood).toMatchObject({ filterLogic: 'and', transformId: transform.id, filterConditions: [{ field: 'kind', operator: 'starts_with', value: 'order.' }] });
    expect((await sdk.routes.get(toBad.id)).destinationId).toBe(bad.id);
    expect((await sdk.routes.list({ sourceId: source.id })).data.map((r) => r.id).sort()).toEqual([toGood.id, toBad.id].sort());
    expect((await sdk.routes.update(toBad.id, { priority: 5 })).priority).toBe(5);

    const ingested = await fetch(source.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"order.created","n":1}' });
    expect(ingested.status).toBe(202);
    const eventId = ((await ingested.json()) as { id: string }).id;

    const delivered = await eventually(async () => (await sdk.inboundDeliveries.list({ eventId, status: 'success' })).data[0]);
    expect(delivered).toMatchObject({ routeId: toGood.id, destinationId: good.id });
    expect(receiver.received.find((r) => r.url.endsWith('/good'))?.body).toBe('{"kind":"order.created"}');
    const events = await sdk.inboundEvents.list({ sourceId: source.id });
    expect(events.data.map((e) => e.id)).toEqual([eventId]);
    const detail = await sdk.inboundEvents.get(eventId);
    expect(detail.payload).toEqual({ kind: 'order.created', n: 1 });
    expect(detail.deliveries.map((d) => d.routeId).sort()).toEqual([toGood.id, toBad.id].sort());
    expect(detail.history.map((h) => h.type)).toContain('InboundEventReceived');
    const attempts = await sdk.inboundDeliveries.get(delivered.id);
    expect(attempts.attemptList).toMatchObject([{ attemptNumber: 1, responseStatus: 200 }]);

    const dead = await eventually(async () => (await sdk.dlq.list({ sourceId: source.id })).data[0], 15_000);
    expect(dead).toMatchObject({ routeId: toBad.id, status: 'exhausted', attempts: 2 });
    failing = false;
    expect(await sdk.dlq.retry([dead.id])).toEqual({ succeeded: [dead.id], failed: [] });
    await eventually(async () => (await sdk.inboundDeliveries.get(dead.id)).status === 'success');
    expect((await sdk.dlq.list({ sourceId: source.id })).data).toEqual([]);

    const replayed = await sdk.inboundDeliveries.replay(delivered.id);
    expect(replayed.id).toBe(delivered.id);
    await eventually(async () => receiver.received.filter((r) => r.url.endsWith('/good')).length === 2);

    failing = true;
    const again = await sdk.inboundEvents.replay(eventId);
    expect(again.eventId).toBe(eventId);
    expect(again.deliveryIds).toHaveLength(2);
    const deadAgain = await eventually(async () => (await sdk.dlq.list({ sourceId: source.id })).data[0], 15_000);
    expect(again.deliveryIds).toContain(deadAgain.id);
    expect(await sdk.dlq.delete([deadAgain.id])).toEqual({ succeeded: [deadAgain.id], failed: [] });
    expect((await sdk.dlq.list({ sourceId: source.id })).data).toEqual([]);
    expect((await sdk.inboundDeliveries.get(deadAgain.id)).status).toBe('discarded');

    await sdk.routes.delete(toGood.id);
    expect((await sdk.routes.list({ sourceId: source.id })).data.map((r) => r.id)).toEqual([toBad.id]);
  });
});
