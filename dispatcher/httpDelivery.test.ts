import type { LookupAddress } from 'node:dns';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { collections } from '../projections/readModels';
import type { AttemptDoc } from '../projections/readModels';
import type { HttpDeliveryOptions } from './httpDelivery';
import { HttpDelivery, RESPONSE_BODY_LIMIT, toAttemptOutcome } from './httpDelivery';
import type { Harness, Receiver } from './testHarness';
import { createEndpoint, openHarness, sendMessage, startReceiver, waitFor } from './testHarness';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const receiver = async (...args: Parameters<typeof startReceiver>): Promise<Receiver> => {
  const r = await startReceiver(...args);
  cleanup.push(() => r.close());
  return r;
};
const delivery = (options: Partial<HttpDeliveryOptions> = {}): HttpDelivery => {
  const d = new HttpDelivery({ allowPrivateNetworks: false, connectTimeoutMs: 2_000, ...options });
  cleanup.push(() => d.close(true));
  return d;
};

/** A resolver that knows a few test names and nothing else (no network in tests). */
const fakeDns =
  (names: Record<string, string>): LookupFunction =>
  (hostname, options, callback) => {
    const address = names[hostname];
    if (!address) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
    const family = address.includes(':') ? 6 : 4;
    if (options.all) callback(null, [{ address, family }] as LookupAddress[]);
    else callback(null, address, family);
  };

const post = (d: HttpDelivery, url: string, timeoutMs = 2_000) => d.send({ url, headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs });
const port = (r: Receiver) => new URL(r.url).port;
const HINT = 'set HOOKBASE_ALLOW_PRIVATE_NETWORKS=true to allow private networks';

describe('HttpDelivery: SSRF protection', () => {
  it('refuses a literal blocked address before connecting', async () => {
    const r = await receiver();
    const result = await post(delivery(), r.url);
    expect(result).toMatchObject({ kind: 'blocked', error: `Blocked: 127.0.0.1 is a loopback address; ${HINT}` });
    expect(r.requests).toHaveLength(0);
    const mapped = await post(delivery(), `http://[::ffff:127.0.0.1]:${port(r)}/`);
    expect(mapped).toMatchObject({ kind: 'blocked', error: expect.stringContaining('a loopback address') });
  });

  it('refuses localhost and metadata names whatever they resolve to', async () => {
    const r = await receiver();
    const d = delivery({ lookup: fakeDns({ 'localhost': '127.0.0.1', 'api.localhost': '127.0.0.1' }) });
    expect(await post(d, `http://localhost:${port(r)}/`)).toMatchObject({ kind: 'blocked', error: `Blocked: localhost is a local or metadata host name; ${HINT}` });
    expect(await post(d, `http://api.localhost:${port(r)}/`)).toMatchObject({ kind: 'blocked' });
    expect(await post(d, 'http://metadata.google.internal/computeMetadata/v1/')).toMatchObject({ kind: 'blocked' });
    expect(r.requests).toHaveLength(0);
  });

  it('checks the address a name resolves to when connecting', async () => {
    const r = await receiver();
    const d = delivery({ lookup: fakeDns({ 'rebind.test': '127.0.0.1', 'meta.test': '169.254.169.254' }) });
    const result = await post(d, `http://rebind.test:${port(r)}/hook`);
    expect(result).toMatchObject({ kind: 'blocked', error: `Blocked: rebind.test resolves to 127.0.0.1, a loopback address; ${HINT}` });
    expect(await post(d, 'http://meta.test/latest/meta-data')).toMatchObject({ kind: 'blocked', error: expect.stringContaining('169.254.169.254, a cloud metadata address') });
    expect(r.requests).toHaveLength(0);
    // A blocked attempt is a failure the domain may retry (DNS can change).
    if (result.kind === 'blocked') expect(toAttemptOutcome(result)).toMatchObject({ kind: 'failed', responseStatus: null, final: false });
  });

  it('connects to private addresses when they are allowed', async () => {
    const r = await receiver();
    const d = delivery({ allowPrivateNetworks: true, lookup: fakeDns({ 'rebind.test': '127.0.0.1' }) });
    expect(await post(d, `http://rebind.test:${port(r)}/hook`)).toMatchObject({ kind: 'succeeded', responseStatus: 200 });
    expect(r.requests[0]!.headers.host).toBe(`rebind.test:${port(r)}`);
  });
});

describe('HttpDelivery: answers and errors', () => {
  it('keeps at most 4 KiB of the response body', async () => {
    const r = await receiver(() => ({ status: 500, body: 'x'.repeat(200_000) }));
    const result = await post(delivery({ allowPrivateNetworks: true }), r.url);
    expect(result).toMatchObject({ kind: 'failed', responseStatus: 500, error: 'HTTP 500' });
    if (result.kind === 'failed') expect(result.responseBody).toHaveLength(RESPONSE_BODY_LIMIT);
  });

  it('times out a receiver that never answers', async () => {
    const r = await receiver(() => 'hang');
    const started = Date.now();
    const result = await post(delivery({ allowPrivateNetworks: true }), r.url, 300);
    expect(result).toMatchObject({ kind: 'failed', responseStatus: null, error: 'Timed out after 0.3 s' });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('times out a receiver that sends its headers and then stalls in the body, and goes on with the next', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/stall') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial');
        return;
      }
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    server.unref();
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const d = delivery({ allowPrivateNetworks: true });
    const started = Date.now();
    expect(await post(d, `${base}/stall`, 300)).toMatchObject({ kind: 'failed', responseStatus: null, error: 'Timed out after 0.3 s' });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await post(d, `${base}/next`)).toMatchObject({ kind: 'succeeded', responseStatus: 200, responseBody: 'ok' });
  });

  it('reports a refused connection', async () => {
    const r = await receiver();
    await r.close();
    expect(await post(delivery({ allowPrivateNetworks: true }), r.url)).toMatchObject({ kind: 'failed', error: 'Connection refused' });
  });

  it('reads Retry-After only on 429 and 503', async () => {
    const r = await receiver((_q, i) => ({ status: [429, 503, 500][i] ?? 500, headers: { 'retry-after': '7' } }));
    const d = delivery({ allowPrivateNetworks: true });
    expect(await post(d, r.url)).toMatchObject({ retryAfterSeconds: 7 });
    expect(await post(d, r.url)).toMatchObject({ retryAfterSeconds: 7 });
    expect(await post(d, r.url)).toMatchObject({ retryAfterSeconds: null });
  });

  it('is cancelled, not failed, when the dispatcher stops', async () => {
    const r = await receiver(() => 'hang');
    const stop = new AbortController();
    const pending = delivery({ allowPrivateNetworks: true }).send({ url: r.url, headers: {}, body: '{}', timeoutMs: 5_000, signal: stop.signal });
    await waitFor('request received', () => r.requests.length === 1);
    stop.abort();
    expect(await pending).toEqual({ kind: 'cancelled' });
  });
});

describe('Dispatcher: SSRF at delivery time', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('fails the attempt with a clear error and sends nothing when a name resolves to loopback', async () => {
    h = await openHarness();
    const r = await receiver();
    const ep = await createEndpoint(h, { url: `http://rebind.test:${port(r)}/hook` });
    await h.dispatcher({ allowPrivateNetworks: false, lookup: fakeDns({ 'rebind.test': '127.0.0.1' }), retryScheduleMs: [] });
    const sent = await sendMessage(h, [ep], { maxAttempts: 1 });
    const attempt = await waitFor('attempt recorded', async () => {
      const page = await h.reads.collection<AttemptDoc>(collections.attempts).find({ where: { outboundMessageId: sent.outboundIds[0]! }, orderBy: { key: 'attemptedAt', direction: 'asc' } });
      return page.items[0];
    });
    expect(attempt).toMatchObject({ responseStatus: null, error: `Blocked: rebind.test resolves to 127.0.0.1, a loopback address; ${HINT}` });
    expect(r.requests).toHaveLength(0);
  });
});
