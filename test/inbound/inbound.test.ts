import { createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../harness';
import { eventually, startReceiver, startTestHookbase } from '../harness';
import type { TestHookbase } from '../harness';

// Inbound end to end over the real server (issue 19): a Stripe-signed invoice.paid to a source's ingest URL, routed
// through a filter and a JSONata transform to an HTTP destination on 127.0.0.1 that fails twice, then succeeds; a
// destination that always fails lands in the DLQ and a retry after fixing it delivers; refusals append only their
// record; dedup holds across a restart.

const SECRET = 'whsec_inbound_e2e_secret';
type Json = Record<string, unknown>;

const stripeSigned = (body: string, secret = SECRET, t = Math.floor(Date.now() / 1000)): Record<string, string> => ({
  'content-type': 'application/json',
  'stripe-signature': `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`,
});

const post = async (url: string, body: string, headers: Record<string, string>) => {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, body: (await res.json()) as Json };
};

const invoice = (id: string, amount = 4200) => JSON.stringify({ id, type: 'invoice.paid', data: { object: { id: `in_${id}`, amount_paid: amount, currency: 'eur' } } });

describe('inbound webhooks end to end', () => {
  let hb: TestHookbase;
  let flaky: Receiver;
  let broken: Receiver;
  let brokenFixed = false;
  let flakyCalls = 0;
  let sourceId = '';
  let ingestUrl = '';
  let flakyDestination = '';

  beforeAll(async () => {
    hb = await startTestHookbase();
    flaky = await startReceiver((_req, res) => {
      flakyCalls++;
      res.statusCode = flakyCalls <= 2 ? 500 : 200;
      res.end(flakyCalls <= 2 ? 'down' : 'ok');
    });
    broken = await startReceiver((_req, res) => {
      res.statusCode = brokenFixed ? 200 : 503;
      res.end(brokenFixed ? 'fixed' : 'broken');
    });
  });
  afterAll(async () => {
    await hb?.stop();
    if (hb) rmSync(hb.dataDir, { recursive: true, force: true });
    await flaky?.close();
    await broken?.close();
  });

  it('creates a Stripe source (with its ingest URL), two destinations, a JSONata transform and a filtered route', async () => {
    const source = await hb.request('POST', '/v1/sources', { name: 'Stripe billing', provider: 'stripe', verifySignature: true, signingSecret: SECRET, dedupStrategy: 'event_id', dedupWindow: 3600 });
    expect(source.status).toBe(201);
    const s = source.body as Json;
    sourceId = String(s.id);
    ingestUrl = String(s.ingestUrl);
    // The organization's slug (HOOKBASE_ORG_NAME, `hookbase` by default), then the source's.
    expect(ingestUrl).toBe(`${hb.url}/ingest/hookbase/stripe-billing`);
    expect(s).toMatchObject({ provider: 'stripe', verifySignature: true, hasSigningSecret: true, signingSecret: SECRET });
    // Never answered again: a get says only that there is one.
    expect((await hb.request('GET', `/v1/sources/${sourceId}`)).body).not.toHaveProperty('signingSecret');

    const d1 = await hb.request('POST', '/v1/destinations', { name: 'Billing service', url: flaky.url, retryCount: 3, retryInterval: 1, authType: 'bearer', authConfig: { token: 'tok_e2e' } });
    expect(d1.status).toBe(201);
    expect(d1.body).toMatchObject({ type: 'http', authType: 'bearer', hasAuth: true });
    expect(JSON.stringify(d1.body)).not.toContain('tok_e2e');
    flakyDestination = String((d1.body as Json).id);
    const s3 = await hb.request('POST', '/v1/destinations', { name: 'Archive', type: 's3', url: 'https://example.com' });
    expect(s3.status).toBe(422);
    expect(s3.body).toMatchObject({ error: { code: 'validation_failed', details: [{ field: 'type', rule: 'unsupported' }] } });
    expect(String((s3.body as { error: { message: string } }).error.message)).toContain('only http destinations are delivered');

    const js = await hb.request('POST', '/v1/transforms', { name: 'JS', transformType: 'javascript', code: 'return payload' });
    expect(js.status).toBe(422);
    expect(String((js.body as { error: { message: string } }).error.message)).toContain('no real sandbox');
    const transform = await hb.request('POST', '/v1/transforms', {
      name: 'Invoice summary',
      transformType: 'jsonata',
      code: '{"invoice": data.object.id, "amount": data.object.amount_paid / 100, "currency": $uppercase(data.object.currency)}',
    });
    expect(transform.status).toBe(201);
    const route = await hb.request('POST', '/v1/routes', {
      name: 'Paid invoices',
      sourceId,
      destinationId: flakyDestination,
      transformId: (transform.body as Json).id,
      filterConditions: [
        { field: 'type', operator: 'equals', value: 'invoice.paid' },
        { field: 'data.object.amount_paid', operator: 'greater_than', value: '1000' },
      ],
      filterLogic: 'and',
      priority: 10,
    });
    expect(route.status).toBe(201);
    expect(route.body).toMatchObject({ filterLogic: 'and', filterConditions: [{ field: 'type', operator: 'equals', value: 'invoice.paid' }, { field: 'data.object.amount_paid', operator: 'greater_than', value: '1000' }] });
  });

  it('a signed invoice.paid is accepted at once, delivered once with the transformed body after two failures, every attempt listed, its history read from the log', async () => {
    const body = invoice('evt_e2e_1');
    const accepted = await post(ingestUrl, body, stripeSigned(body));
    expect(accepted).toMatchObject({ status: 202, body: { status: 'accepted', duplicate: false } });
    const eventId = String(accepted.body.id);

    const received = await flaky.waitFor(3, 20_000);
    expect(received.map((r) => JSON.parse(r.body) as unknown)).toEqual(Array(3).fill({ invoice: 'in_evt_e2e_1', amount: 42, currency: 'EUR' }));
    expect(received[2]!.headers.authorization).toBe('Bearer tok_e2e');
    expect(received[2]!.headers['x-hookbase-event-id']).toBe(eventId);

    const event = await eventually(async () => {
      const r = await hb.request('GET', `/v1/inbound-events/${eventId}`);
      const e = r.body as { deliveries?: { status: string }[] };
      return e.deliveries?.[0]?.status === 'success' ? (r.body as Json & { deliveries: Json[]; history: { type: string }[] }) : undefined;
    }, 15_000);
    expect(event).toMatchObject({ status: 'routed', eventType: 'invoice.paid', signatureValid: true, dedupKey: 'evt_e2e_1', payload: JSON.parse(body) as Json });
    expect(event.history.map((h) => h.type)).toEqual(['InboundEventReceived', 'InboundEventRouted']);
    const deliveryId = String(event.deliveries[0]!.id);
    const delivery = (await hb.request('GET', `/v1/inbound-deliveries/${deliveryId}`)).body as { attemptList: Json[]; history: { type: string }[]; status: string; attempts: number };
    expect(delivery).toMatchObject({ status: 'success', attempts: 3 });
    expect(delivery.attemptList.map((a) => [a.attemptNumber, a.responseStatus])).toEqual([[1, 500], [2, 500], [3, 200]]);
    expect(delivery.history.map((h) => h.type)).toEqual([
      'InboundDeliveryCreated', 'InboundAttemptFailed', 'InboundRetryScheduled', 'InboundAttemptFailed', 'InboundRetryScheduled', 'InboundAttemptSucceeded',
    ]);
    // Delivered once: no fourth request comes.
    await new Promise((r) => setTimeout(r, 500));
    expect(flaky.received).toHaveLength(3);
  });

  it('an event the filter does not match is recorded with the route skipped and the reason, and delivered nowhere', async () => {
    const body = invoice('evt_small', 500);
    const accepted = await post(ingestUrl, body, stripeSigned(body));
    expect(accepted.status).toBe(202);
    const event = await eventually(async () => {
      const e = (await hb.request('GET', `/v1/inbound-events/${String(accepted.body.id)}`)).body as Json;
      return e.status === 'routed' ? e : undefined;
    });
    expect(event).toMatchObject({ deliveryIds: [], skippedRoutes: [{ reason: 'filter', detail: 'conditions[1] did not pass (and)' }] });
  });

  it('one byte changed, an old timestamp or a wrong secret: 401 naming the rule, and nothing appended beyond the refusal', async () => {
    const before = (await hb.events.headPosition()).commit;
    const body = invoice('evt_forged');
    const signed = stripeSigned(body);
    const cases: Array<[string, Record<string, string>, string]> = [
      [body.replace('4200', '4201'), signed, 'no_matching_signature'],
      [body, stripeSigned(body, SECRET, Math.floor(Date.now() / 1000) - 3600), 'timestamp_out_of_tolerance'],
      [body, stripeSigned(body, 'whsec_someone_else'), 'no_matching_signature'],
    ];
    for (const [sent, headers, code] of cases) {
      const res = await fetch(ingestUrl, { method: 'POST', body: sent, headers });
      const answer = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status).toBe(401);
      expect(answer.error.code).toBe(code);
      expect(answer.error.message).not.toContain(SECRET);
    }
    // Three appends, each a refusal's record: no receipt, no routing, no delivery.
    const after: string[] = [];
    for await (const e of hb.events.readAll({ fromPosition: { commit: before, prepare: before } })) {
      if (e.position.commit > before) after.push(e.type);
    }
    expect(after.filter((t) => t.startsWith('Inbound'))).toEqual(['InboundEventRejected', 'InboundEventRejected', 'InboundEventRejected']);
    const rejected = (await hb.request('GET', `/v1/inbound-events?sourceId=${sourceId}&status=rejected`)).body as { data: Json[] };
    expect(rejected.data.map((e) => (e.rejection as Json).code).sort()).toEqual(['no_matching_signature', 'no_matching_signature', 'timestamp_out_of_tolerance']);
  });

  it('a destination that always fails lands in the DLQ; after fixing it, a retry from the DLQ delivers', async () => {
    const dlqSource = await hb.request('POST', '/v1/sources', { name: 'Unsigned', provider: 'generic' });
    const destination = await hb.request('POST', '/v1/destinations', { name: 'Broken', url: broken.url, retryCount: 1, retryInterval: 1 });
    await hb.request('POST', '/v1/routes', { name: 'To broken', sourceId: (dlqSource.body as Json).id, destinationId: (destination.body as Json).id });
    const accepted = await post(String((dlqSource.body as Json).ingestUrl), '{"hello":"dlq"}', { 'content-type': 'application/json' });
    expect(accepted.status).toBe(202);
    const inDlq = await eventually(async () => {
      const page = (await hb.request('GET', '/v1/dlq')).body as { data: Json[] };
      return page.data.find((d) => d.eventId === accepted.body.id);
    }, 15_000);
    expect(inDlq).toMatchObject({ status: 'exhausted', attempts: 2 });
    expect(broken.received).toHaveLength(2);

    brokenFixed = true;
    const retried = await hb.request('POST', '/v1/dlq/retry', { deliveryIds: [inDlq.id] });
    expect(retried.body).toEqual({ succeeded: [inDlq.id], failed: [] });
    await broken.waitFor(3);
    expect(broken.received[2]!.body).toBe('{"hello":"dlq"}');
    await eventually(async () => ((await hb.request('GET', `/v1/inbound-deliveries/${String(inDlq.id)}`)).body as Json).status === 'success');
    expect(((await hb.request('GET', '/v1/dlq')).body as { data: Json[] }).data.find((d) => d.id === inDlq.id)).toBeUndefined();
  });

  it('dedup by the provider\'s event id holds across a restart', async () => {
    const body = invoice('evt_e2e_1');
    const again = await post(ingestUrl, body, stripeSigned(body));
    expect(again).toMatchObject({ status: 200, body: { status: 'duplicate', duplicate: true } });
    const { dataDir, apiKey } = hb;
    await hb.stop({ keepData: true });
    hb = await startTestHookbase({ dataDir, apiKey });
    const afterRestart = await post(ingestUrl.replace(/^http:\/\/[^/]+/, hb.url), body, stripeSigned(body));
    expect(afterRestart).toMatchObject({ status: 200, body: { id: again.body.id, duplicate: true } });
    expect(flaky.received).toHaveLength(3);
  });
});
