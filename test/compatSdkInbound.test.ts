// Issue 19: the official Node SDK's inbound resources (and its outbound DLQ), method by method, driven as the HTTP
// request each builds (test/officialSdkInbound.ts, read from its source) against a real server: each answers 2xx,
// the fields it reads are there, and what it sent comes back. The SDK itself is not run: it is not on the npm
// registry, and its code stays in its repository.
import { randomBytes } from 'node:crypto';
import { missingPaths, valuesAt } from './compatShapes';
import { describe, expect, it } from 'vitest';
import { useCompatServer } from './compatClient';
import { eventually } from './harness';
import { SDK_INBOUND } from './officialSdkInbound';
import type { SdkState } from './officialSdkInbound';

// One retry 10 ms after the first attempt: a delivery to the failing receiver is dead-lettered at once.
const { ctx, api, createApp, createType, createEndpoint, expectDriven } = useCompatServer({ HOOKBASE_RETRY_SCHEDULE: '10ms' });

const at = valuesAt;
const missing = missingPaths;

const state: SdkState = {};

/** Traffic the traffic methods read: a webhook into the source, and an outbound message dead-lettered. */
const before: Record<string, () => Promise<void>> = {
  'events.list': async () => {
    const ingest = await fetch(state.ingestUrl ?? '', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'evt_sdk', type: 'invoice.paid' }) });
    expect(ingest.status, await ingest.text()).toBe(202);
    await eventually(async () => ctx.receiver.received.some((r) => r.body === '{"k":"invoice.paid"}'));
  },
  'dlq.list': async () => {
    const app = await createApp();
    const type = await createType();
    await createEndpoint(String(app.id), ctx.failing.url);
    expect((await api('POST', '/api/send-event', { applicationId: app.id, eventType: type.name, payload: { n: 1 } })).status).toBe(202);
    await eventually(async () => ((await api('GET', '/api/outbound-messages?status=exhausted')).body as { data: unknown[] }).data.length > 0);
  },
};

describe('the official Node SDK, inbound resources and the DLQ (hookbase-node src/resources/*.ts)', () => {
  it('drives create, list, get, update and delete of sources, destinations, routes, filters, transforms and schemas, and lists events, deliveries and the DLQ', () => {
    const methods = new Set(SDK_INBOUND.map((c) => c.method));
    for (const resource of ['sources', 'destinations', 'routes', 'filters', 'transforms', 'schemas']) {
      for (const m of ['create', 'list', 'get', 'update', 'delete']) expect(methods, `${resource}.${m}`).toContain(`${resource}.${m}`);
    }
    for (const m of ['events.list', 'events.get', 'deliveries.list', 'deliveries.get', 'dlq.list']) expect(methods).toContain(m);
  });

  for (const c of SDK_INBOUND) {
    it(`${c.method} (${c.source}) answers 2xx with the fields it reads, and what it sent comes back`, async () => {
      if (state.sourceSlug === undefined) Object.assign(state, { sourceSlug: `sdk-${randomBytes(3).toString('hex')}`, receiverUrl: ctx.receiver.url });
      await before[c.method]?.();
      const req = c.request(state);
      let res = await api(req.method, req.path, req.body);
      // The read models follow the log: a list or get of fresh traffic is asked again until it shows it.
      for (let i = 0; req.method === 'GET' && res.status === 200 && missing(res.body, c.reads).length > 0 && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 50));
        res = await api(req.method, req.path, req.body);
      }
      expect(res.status, `${c.method}: ${res.text}`).toBeGreaterThanOrEqual(200);
      expect(res.status, `${c.method}: ${res.text}`).toBeLessThan(300);
      expect(missing(res.body, c.reads), `${c.method} reads fields the answer lacks: ${res.text}`).toEqual([]);
      const shown = c.readBack ? await api(c.readBack(state).method, c.readBack(state).path) : res;
      for (const [path, value] of c.echoes?.(state) ?? []) expect(at(shown.body, path)[0], `${c.method}: ${path} in ${shown.text}`).toEqual(value);
      c.keep?.(res.body as Record<string, unknown>, state);
      if (req.method === 'DELETE') expect((await api('GET', req.path)).status).toBe(404);
    });
  }
});

describe('coverage', () => {
  it('drove every /api route the SDK\'s inbound and DLQ methods call to a 2xx answer (the SDK changes schemas with PUT, everything else with PATCH)', () => {
    const crud = /^api\.(source|destination|route|filter|transform)\.(create|list|get|update|delete)$/;
    const rest = /^api\.(schema\.(create|list|get|replace|delete|validate)|(transform|filter)\.test|inboundEvent\.(list|get)|inboundDelivery\.(list|get|replay)|dlq\.(list|stats|retry))$/;
    expectDriven((id) => crud.test(id) || rest.test(id));
  });
});
