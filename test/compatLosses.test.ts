// Issue 19 item 7: the nine fields the official MCP server sends or reads that the /api surface lost. Each case
// drives the request as the MCP server builds it (its src/lib/api.ts and src/tools/*.ts, cited per case) against a
// real server and receivers on 127.0.0.1, and reads the answer under the names the tool reads.
import { describe, expect, it } from 'vitest';
import { eventually } from './harness';
import { data, uid, useCompatServer } from './compatClient';

const { ctx, api, createApp, createType, createEndpoint } = useCompatServer();
const ORG = '/api/organizations/org_default';

type Row = Record<string, unknown>;
const list = (res: { body: unknown }): Row[] => (res.body as { data: Row[] }).data;

const settled = async (applicationId: string, count: number): Promise<Row[]> =>
  eventually(async () => {
    const rows = list(await api('GET', `${ORG}/outbound-messages?applicationId=${applicationId}`));
    return rows.length === count && rows.every((r) => r.status !== 'pending' || (r.attempts as number) > 0) ? rows : undefined;
  });

describe('the nine losses of issue 19 item 7', () => {
  it('send_event: endpointId delivers only to that endpoint (mcp src/lib/api.ts sendOutboundEvent body: endpointId)', async () => {
    const app = await createApp();
    const type = await createType();
    await createEndpoint(app.id as string);
    const target = await createEndpoint(app.id as string);
    const sent = await api('POST', `${ORG}/send-event`, { eventType: type.name, payload: { n: 1 }, applicationId: app.id, endpointId: target.id });
    expect(sent.status, sent.text).toBe(202);
    expect(data(sent)).toMatchObject({ messagesQueued: 1, endpoints: [{ id: target.id, url: ctx.receiver.url }] });
    // application_id is optional in the tool: the endpoint names its application.
    const bare = await api('POST', `${ORG}/send-event`, { eventType: type.name, payload: { n: 2 }, endpointId: target.id });
    expect(bare.status, bare.text).toBe(202);
    expect(data(bare)).toMatchObject({ messagesQueued: 1, endpoints: [{ id: target.id }] });
  });

  it('get_message_attempts reads status, responseTimeMs, errorMessage, createdAt (mcp src/tools/outbound-messages.ts)', async () => {
    const app = await createApp();
    const type = await createType();
    await createEndpoint(app.id as string, ctx.failing.url);
    await api('POST', `${ORG}/send-event`, { eventType: type.name, payload: {}, applicationId: app.id });
    const [row] = await settled(app.id as string, 1);
    const attempts = list(await api('GET', `${ORG}/outbound-messages/${row?.id as string}/attempts`));
    expect(attempts).toHaveLength(1);
    const a = attempts[0] as Row;
    expect(a).toMatchObject({ attemptNumber: 1, status: 'failed', responseStatus: 500 });
    expect(a.responseTimeMs).toEqual(expect.any(Number));
    expect(a.errorMessage).toEqual(expect.any(String));
    expect(a.createdAt).toBe(a.attemptedAt);
  });

  it('list_outbound_messages reads lastErrorMessage, completedAt and applicationName (mcp src/tools/outbound-messages.ts)', async () => {
    const app = await createApp();
    const type = await createType();
    await createEndpoint(app.id as string);
    await api('POST', `${ORG}/send-event`, { eventType: type.name, payload: {}, applicationId: app.id });
    const [ok] = await eventually(async () => {
      const rows = list(await api('GET', `${ORG}/outbound-messages?applicationId=${app.id as string}&status=success`));
      return rows.length === 1 ? rows : undefined;
    });
    expect(ok).toMatchObject({ applicationName: app.name, lastErrorMessage: null });
    expect(ok?.completedAt).toBe(ok?.deliveredAt);
    expect(ok?.completedAt).toEqual(expect.any(String));

    const failingApp = await createApp();
    await createEndpoint(failingApp.id as string, ctx.failing.url);
    await api('POST', `${ORG}/send-event`, { eventType: type.name, payload: {}, applicationId: failingApp.id });
    const [failed] = await settled(failingApp.id as string, 1);
    expect(failed?.lastErrorMessage).toEqual(expect.any(String));
    expect(failed?.lastErrorMessage).toBe(failed?.lastError);
  });

  it('reset_endpoint_circuit reads circuitState at the top of the answer (mcp src/tools/outbound.ts)', async () => {
    const app = await createApp();
    const ep = await createEndpoint(app.id as string);
    const res = await api('POST', `${ORG}/webhook-endpoints/${ep.id}/reset-circuit`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, circuitState: 'closed', data: { id: ep.id, circuitState: 'closed' } });
  });

  it('get_webhook_analytics takes timeRange and endpointId; answers success rate, latency and the top failing endpoints (mcp src/tools/webhook-analytics.ts)', async () => {
    const app = await createApp();
    const type = await createType();
    const good = await createEndpoint(app.id as string);
    const bad = await createEndpoint(app.id as string, ctx.failing.url);
    await api('POST', `${ORG}/send-event`, { eventType: type.name, payload: {}, applicationId: app.id });
    await api('POST', `${ORG}/send-event`, { eventType: type.name, payload: {}, applicationId: app.id });
    await settled(app.id as string, 4);
    const all = data(await api('GET', `${ORG}/webhooks/analytics?timeRange=1h&applicationId=${app.id as string}`));
    expect(all).toMatchObject({ timeRange: '1h', totals: { total: 4, success: 2 }, successRate: 0.5 });
    expect(all.latency).toMatchObject({ avgMs: expect.any(Number), p50Ms: expect.any(Number), p95Ms: expect.any(Number), p99Ms: expect.any(Number) });
    expect(all.topFailingEndpoints).toEqual([expect.objectContaining({ endpointId: bad.id, url: ctx.failing.url, failed: 2, total: 2 })]);
    const one = data(await api('GET', `${ORG}/webhooks/analytics?timeRange=24h&endpointId=${good.id}`));
    expect(one).toMatchObject({ timeRange: '24h', endpointId: good.id, totals: { total: 2, success: 2 }, successRate: 1, topFailingEndpoints: [] });
  });

  it('list/get_subscription read the joined endpoint URL and application (mcp src/tools/outbound.ts)', async () => {
    const app = await createApp();
    const type = await createType(uid('order.paid'), { displayName: 'Order paid' });
    const ep = await createEndpoint(app.id as string);
    const sub = data(await api('POST', `${ORG}/webhook-subscriptions`, { endpointId: ep.id, eventTypeId: type.id }));
    const [listed] = list(await api('GET', `${ORG}/webhook-subscriptions?endpointId=${ep.id}`));
    expect(listed).toMatchObject({ endpointUrl: ctx.receiver.url, applicationId: app.id, applicationName: app.name, eventTypeName: type.name, eventTypeDisplayName: 'Order paid' });
    const got = data(await api('GET', `${ORG}/webhook-subscriptions/${sub.id as string}`));
    expect(got).toMatchObject({
      endpoint: { id: ep.id, url: ctx.receiver.url },
      eventType: { id: type.id, name: type.name, displayName: 'Order paid' },
      application: { id: app.id, name: app.name },
    });
  });

  it('update_event_type keeps isDeprecated and deprecatedMessage, with deprecatedAt (mcp src/tools/outbound-event-types.ts)', async () => {
    const type = await createType(uid('legacy.thing'), { examplePayload: '{"a":1}', documentationUrl: 'https://docs.example.com/legacy' });
    expect(type).toMatchObject({ examplePayload: '{"a":1}', documentationUrl: 'https://docs.example.com/legacy', isDeprecated: false, deprecatedAt: null });
    const res = await api('PATCH', `${ORG}/event-types/${type.id as string}`, { isDeprecated: true, deprecatedMessage: 'Use thing.v2' });
    expect(res.status, res.text).toBe(200);
    expect(data(res)).toMatchObject({ isDeprecated: true, deprecatedMessage: 'Use thing.v2' });
    expect(data(res).deprecatedAt).toEqual(expect.any(String));
    const [listed] = list(await api('GET', `${ORG}/event-types?search=${type.name as string}`));
    expect(listed).toMatchObject({ isDeprecated: true });
    const undone = data(await api('PATCH', `${ORG}/event-types/${type.id as string}`, { isDeprecated: false }));
    expect(undone).toMatchObject({ isDeprecated: false, deprecatedAt: null, deprecatedMessage: null });
  });

  it('subscription label filters (all / any) decide who receives a send with labels (mcp src/tools/outbound.ts, outbound-messages.ts)', async () => {
    const app = await createApp();
    const type = await createType();
    const prod = await createEndpoint(app.id as string);
    const west = await createEndpoint(app.id as string);
    const created = await api('POST', `${ORG}/webhook-subscriptions`, { endpointId: prod.id, eventTypeId: type.id, labelFilters: { env: 'production' }, labelFilterMode: 'all' });
    expect(created.status, created.text).toBe(201);
    expect(data(created)).toMatchObject({ labelFilters: { env: 'production' }, labelFilterMode: 'all', filterExpression: null });
    await api('POST', `${ORG}/webhook-subscriptions`, { endpointId: west.id, eventTypeId: type.id, labelFilters: { region: ['us-west', 'eu-west'], tier: 'gold' }, labelFilterMode: 'any' });
    const send = async (labels: Record<string, string>) => {
      const res = await api('POST', `${ORG}/send-event`, { applicationId: app.id, eventType: type.name, payload: {}, labels });
      expect(res.status, res.text).toBe(202);
      return ((data(res).endpoints as { id: string }[]) ?? []).map((e) => e.id).sort();
    };
    expect(await send({ env: 'production', region: 'eu-west' })).toEqual([prod.id, west.id].sort());
    expect(await send({ env: 'staging', region: 'ap-south' })).toEqual([]);
    expect(await send({ env: 'staging', tier: 'gold' })).toEqual([west.id]);
  });

  it('a subscription filter expression (JSONata) decides per payload; a broken one is a 422 naming the field', async () => {
    const app = await createApp();
    const type = await createType();
    const ep = await createEndpoint(app.id as string);
    const sub = data(await api('POST', `${ORG}/webhook-subscriptions`, { endpointId: ep.id, eventTypeId: type.id, filterExpression: 'amount > 100' }));
    expect(sub.filterExpression).toBe('amount > 100');
    const send = async (amount: number) => data(await api('POST', `${ORG}/send-event`, { applicationId: app.id, eventType: type.name, payload: { amount } })).messagesQueued;
    expect(await send(50)).toBe(0);
    expect(await send(150)).toBe(1);
    const cleared = await api('PATCH', `${ORG}/webhook-subscriptions/${sub.id as string}`, { filterExpression: null });
    expect(data(cleared).filterExpression).toBeNull();
    expect(await send(50)).toBe(1);
    const broken = await api('PATCH', `${ORG}/webhook-subscriptions/${sub.id as string}`, { filterExpression: 'amount >' });
    expect(broken.status).toBe(422);
    expect((broken.body as { validationErrors: Record<string, string[]> }).validationErrors.filterExpression).toBeDefined();
  });
});
