import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';

type ErrorBody = { error: { code: string; message: string; details: { field: string; rule: string }[] } };

// With private networks not allowed (the default), endpoints may not point into the server's own networks —
// neither when they are created nor, after a DNS change, when a delivery connects.
describe('SSRF guard', () => {
  let hb: TestHookbase;
  let receiver: Receiver;
  const dns: Record<string, string> = { 'loopback.test': '127.0.0.1', 'metadata.test': '169.254.169.254', 'rebind.test': '93.184.216.34' };
  let appId = '';

  beforeAll(async () => {
    hb = await startTestHookbase({ env: { HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'false' }, dns });
    receiver = await startReceiver();
    appId = (await hb.sdk.applications.create({ name: 'SSRF' })).id;
    await hb.sdk.eventTypes.create({ name: 'ssrf.probe' });
  });
  afterAll(async () => {
    await hb.stop();
    await receiver.close();
  });

  it.each([
    ['http://127.0.0.1:8080/hook', '127.0.0.1'],
    ['http://10.0.0.1/hook', '10.0.0.1'],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['http://localhost:3000/hook', 'localhost'],
    ['https://loopback.test/hook', '127.0.0.1'],
    ['https://metadata.test/hook', '169.254.169.254'],
  ])('refuses to create an endpoint at %s', async (url, shown) => {
    const before = await hb.events.headPosition();
    const res = await hb.request('POST', `/v1/applications/${appId}/endpoints`, { url });
    expect(res.status).toBe(422);
    const body = res.body as ErrorBody;
    expect(body.error.details).toEqual([expect.objectContaining({ field: 'url', rule: 'private_network' })]);
    expect(body.error.message).toContain(shown);
    expect(body.error.message).toContain('HOOKBASE_ALLOW_PRIVATE_NETWORKS=true');
    expect(await hb.events.headPosition()).toEqual(before);
  });

  it('checks again at delivery: a name that resolves to loopback by then is blocked and nothing is sent', async () => {
    const port = new URL(receiver.url).port;
    const endpoint = await hb.sdk.endpoints.create(appId, { url: `http://rebind.test:${port}/webhooks`, retryDelays: [] });
    dns['rebind.test'] = '127.0.0.1'; // the DNS answer changes after the check at creation
    const message = await hb.sdk.messages.send(appId, { eventType: 'ssrf.probe', payload: { x: 1 } });
    const out = await eventually(async () => {
      const { data } = await hb.sdk.messages.listOutbound(appId, { messageId: message.id, endpointId: endpoint.id });
      return data[0]?.status === 'exhausted' ? data[0] : undefined;
    });
    expect(out.lastError).toMatch(/^Blocked: rebind\.test resolves to 127\.0\.0\.1, a loopback address/);
    expect(out.lastError).toContain('HOOKBASE_ALLOW_PRIVATE_NETWORKS=true');
    expect(out.lastResponseStatus).toBeNull();
    expect(receiver.received).toHaveLength(0);
  });

  it('refuses schemes other than http and https', async () => {
    const res = await hb.request('POST', `/v1/applications/${appId}/endpoints`, { url: 'ftp://example.com/hook' });
    expect(res.status).toBe(422);
    expect((res.body as ErrorBody).error.details).toEqual([expect.objectContaining({ field: 'url', rule: 'scheme' })]);
  });
});
