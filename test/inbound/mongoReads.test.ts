import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wireMongoUrl } from '../wire/databases';
import { eventually, startReceiver, startTestHookbase } from '../harness';
import type { Receiver, TestHookbase } from '../harness';

// The inbound read models on MongoDB (the run's jongodb wire server): the same ingest → route → delivery, and the
// lists the API makes (by source, by status, the DLQ), each served by its declared index there too.
const url = wireMongoUrl('inbound');

describe.skipIf(url === null)('inbound with the read models on MongoDB', () => {
  let hb: TestHookbase;
  let receiver: Receiver;
  beforeAll(async () => {
    hb = await startTestHookbase({ env: { HOOKBASE_EVENTS: 'embedded', HOOKBASE_READS: 'mongo', HOOKBASE_MONGO_URL: url ?? '' } });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await hb?.stop();
    await receiver?.close();
  });

  it('ingests, routes through a filter, delivers, and lists events, deliveries and the DLQ', async () => {
    const source = (await hb.request('POST', '/v1/sources', { name: 'Mongo source', dedupStrategy: 'payload_hash' })).body as { id: string; ingestUrl: string };
    const destination = (await hb.request('POST', '/v1/destinations', { name: 'Receiver', url: receiver.url })).body as { id: string };
    const route = await hb.request('POST', '/v1/routes', { name: 'Orders', sourceId: source.id, destinationId: destination.id, filterConditions: [{ field: 'kind', operator: 'equals', value: 'order' }] });
    expect(route.status).toBe(201);
    const send = async (body: string) => (await fetch(source.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json() as Promise<{ id: string; duplicate: boolean }>;
    const order = await send('{"kind":"order"}');
    await send('{"kind":"other"}');
    expect((await send('{"kind":"order"}')).duplicate).toBe(true);
    await receiver.waitFor(1);
    expect(receiver.received[0]!.body).toBe('{"kind":"order"}');
    const events = await eventually(async () => {
      const page = (await hb.request('GET', `/v1/inbound-events?sourceId=${source.id}&status=routed`)).body as { data: { id: string }[] };
      return page.data.length === 2 ? page.data : undefined;
    });
    expect(events.map((e) => e.id)).toContain(order.id);
    const deliveries = await eventually(async () => {
      const page = (await hb.request('GET', `/v1/inbound-deliveries?eventId=${order.id}&status=success`)).body as { data: unknown[] };
      return page.data.length === 1 ? page.data : undefined;
    });
    expect(deliveries).toMatchObject([{ eventId: order.id, destinationId: destination.id, attempts: 1 }]);
    expect((await hb.request('GET', `/v1/dlq?sourceId=${source.id}`)).body).toMatchObject({ data: [] });
  });
});
