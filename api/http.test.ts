import { describe, expect, it } from 'vitest';
import { apiAssertions, awayFromWindowEdge, expectErrorBody, useTestHookbase } from '../test/apiAssertions';
import type { ErrorBody, Res } from '../test/apiAssertions';
import type { TestHookbase } from '../test/harness';
import { allRoutes, v1Routes } from './app';
import { portalRoutes } from './portal/portalRoutes';

// What every request meets whatever its route: auth, rate limits, body parsing, idempotency keys, errors,
// and the operational routes (/openapi.json, /health, /metrics).

type App = { id: string; name: string };

let hb: TestHookbase;

useTestHookbase((started) => {
  hb = started;
});
const { unchanged } = apiAssertions(() => hb);

const expectRateLimitHeaders = (res: Res, limit: number): void => {
  expect(res.headers.get('x-request-id')).toMatch(/^req_/);
  expect(res.headers.get('x-ratelimit-limit'), `${res.status} ${res.text}`).toBe(String(limit));
  const remaining = Number(res.headers.get('x-ratelimit-remaining'));
  expect(Number.isInteger(remaining) && remaining >= 0 && remaining < limit).toBe(true);
  const reset = Number(res.headers.get('x-ratelimit-reset'));
  const now = Date.now() / 1000;
  expect(Number.isInteger(reset)).toBe(true);
  expect(reset).toBeGreaterThanOrEqual(Math.floor(now));
  expect(reset).toBeLessThanOrEqual(Math.ceil(now) + 60);
};

/** Raw fetch: no API key unless given. */
const raw = async (method: string, path: string, init: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Res> => {
  const res = await fetch(`${hb.url}${path}`, { method, headers: init.headers, body: init.body });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body, text };
};

describe('authentication', () => {
  it('401 without credentials, with a bad key or a non-Bearer scheme: error body, X-Request-Id, WWW-Authenticate', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-real-key-0000000000000' }, { authorization: `Basic ${hb.apiKey}` }, { authorization: 'Bearer' }];
    for (const headers of attempts) {
      const res = await unchanged(() => raw('POST', '/v1/applications', { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x' }) }));
      const error = expectErrorBody(res, 401, 'unauthorized');
      expect(error.error.message).toMatch(/Bearer|API key/);
      expect(res.headers.get('x-request-id')).toBe(error.requestId);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expectRateLimitHeaders(res, 1000);
    }
    expectErrorBody(await raw('GET', '/v1/applications'), 401, 'unauthorized');
    // an unknown /v1 route tells nothing to a caller without credentials
    const unknown = await raw('GET', '/v1/widgets');
    expectErrorBody(unknown, 401, 'unauthorized');
    expectRateLimitHeaders(unknown, 1000);
  });

  it('accepts the key with any case of "bearer"', async () => {
    const res = await raw('GET', '/v1/applications', { headers: { authorization: `bearer ${hb.apiKey}` } });
    expect(res.status).toBe(200);
  });
});

describe('headers on every /v1 response', () => {
  it('X-Request-Id (unique) and X-RateLimit-* on successes and on every kind of error', async () => {
    await awayFromWindowEdge(60_000);
    const created = await hb.request('POST', '/v1/applications', { name: 'Headers' });
    const app = created.body as App;
    const responses: Res[] = [
      created,
      await hb.request('GET', '/v1/applications'),
      await hb.request('GET', `/v1/applications/${app.id}`),
      await hb.request('PATCH', `/v1/applications/${app.id}`, { name: 'Headers 2' }),
      await hb.request('GET', '/v1/applications/app_00000000000000000000000000'),
      await hb.request('POST', '/v1/applications', { nope: 1 }),
      await hb.request('POST', '/v1/applications', '{"name":'),
      await hb.request('POST', '/v1/applications', 'name=x', { 'content-type': 'text/plain' }),
      await hb.request('GET', '/v1/no-such-route'),
      await hb.request('PUT', '/v1/applications'),
      await raw('GET', '/v1/applications'),
      await hb.request('DELETE', `/v1/applications/${app.id}`),
    ];
    expect(responses.map((r) => r.status)).toEqual([201, 200, 200, 200, 404, 422, 400, 415, 404, 405, 401, 204]);
    for (const res of responses) expectRateLimitHeaders(res, 1000);
    const ids = responses.map((r) => r.headers.get('x-request-id'));
    expect(new Set(ids).size).toBe(ids.length);
    // the remaining count goes down request by request (one key, one window)
    const remaining = responses.filter((r) => r.status !== 401).map((r) => Number(r.headers.get('x-ratelimit-remaining')));
    for (let i = 1; i < remaining.length; i++) expect(remaining[i]).toBeLessThan(remaining[i - 1] ?? Infinity);
  });
});

describe('errors of the transport', () => {
  it('404 with the error body for an unknown route, inside and outside /v1', async () => {
    const inside = expectErrorBody(await hb.request('GET', '/v1/widgets'), 404, 'route_not_found');
    expect(inside.error.message).toContain('/v1/widgets');
    expectErrorBody(await hb.request('GET', '/v1/applications/app_1/widgets'), 404, 'route_not_found');
    expectErrorBody(await raw('GET', '/nothing-here'), 404, 'route_not_found');
    // a malformed %-escape in a path parameter is a miss, not a crash
    expectErrorBody(await hb.request('GET', '/v1/applications/%E0%A4%A'), 404, 'route_not_found');
    expectErrorBody(await hb.request('GET', '/v1/event-types/%'), 404, 'route_not_found');
    expectErrorBody(await unchanged(() => hb.request('PUT', '/v1/applications/uid/%ZZ', { name: 'x' })), 404, 'route_not_found');
  });

  it('405 for a known path with another method', async () => {
    const res = await unchanged(() => hb.request('PUT', '/v1/applications', { name: 'x' }));
    const error = expectErrorBody(res, 405, 'method_not_allowed');
    expect(error.error.message).toContain('PUT');
    expectErrorBody(await hb.request('POST', '/v1/event-types/x.y'), 405, 'method_not_allowed');
  });

  it('415 for a body that is not JSON, appending nothing', async () => {
    const res = await unchanged(() => hb.request('POST', '/v1/applications', 'name=Acme', { 'content-type': 'application/x-www-form-urlencoded' }));
    const error = expectErrorBody(res, 415, 'unsupported_media_type');
    expect(error.error.message).toContain('application/json');
    expectErrorBody(await hb.request('POST', '/v1/applications', '<name>Acme</name>', { 'content-type': 'text/xml' }), 415, 'unsupported_media_type');
  });

  it('accepts application/json with a charset and +json types', async () => {
    expect((await hb.request('POST', '/v1/applications', { name: 'charset' }, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
    expect((await hb.request('POST', '/v1/applications', { name: 'plus json' }, { 'content-type': 'application/vnd.api+json' })).status).toBe(201);
  });

  it('400 for malformed JSON, appending nothing', async () => {
    for (const body of ['{"name":', '{name: "x"}', "{'name':'x'}", '{"name":"x"}}']) {
      const res = await unchanged(() => hb.request('POST', '/v1/applications', body));
      const error = expectErrorBody(res, 400, 'malformed_json');
      expect(error.error.message).toContain('JSON');
    }
  });

  it('413 for a body over 256 KiB, appending nothing; 256 KiB itself passes the size check', async () => {
    const big = JSON.stringify({ name: 'big', metadata: { blob: 'x'.repeat(256 * 1024) } });
    const res = await unchanged(() => hb.request('POST', '/v1/applications', big));
    const error = expectErrorBody(res, 413, 'payload_too_large');
    expect(error.error.message).toContain('256 KiB');
    expectRateLimitHeaders(res, 1000);

    const justUnder = JSON.stringify({ name: 'fits', metadata: { blob: 'y'.repeat(256 * 1024 - 60) } });
    expect(Buffer.byteLength(justUnder)).toBeLessThanOrEqual(256 * 1024);
    expect((await hb.request('POST', '/v1/applications', justUnder)).status).toBe(201);
  });

  it('a body that is JSON but not an object is a 422', async () => {
    await unchanged(async () => {
      expectErrorBody(await hb.request('POST', '/v1/applications', '"Acme"'), 422, 'validation_failed', { field: 'body', rule: 'type' });
      expectErrorBody(await hb.request('POST', '/v1/applications', '[{"name":"Acme"}]'), 422, 'validation_failed', { field: 'body', rule: 'type' });
      expectErrorBody(await hb.request('POST', '/v1/applications', 'null'), 422, 'validation_failed');
    });
  });
});

describe('Idempotency-Key', () => {
  const countByName = async (name: string): Promise<number> => {
    const page = (await hb.request('GET', '/v1/applications?limit=100')).body as { data: App[] };
    return page.data.filter((a) => a.name === name).length;
  };

  it('replays the first answer with Idempotent-Replayed: true and creates no second application', async () => {
    const headers = { 'Idempotency-Key': 'create-acme-1' };
    const first = await hb.request('POST', '/v1/applications', { name: 'Idempotent Acme' }, headers);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const before = await hb.events.headPosition();
    const again = await hb.request('POST', '/v1/applications', { name: 'Idempotent Acme' }, headers);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(await hb.events.headPosition()).toEqual(before);
    expect(await countByName('Idempotent Acme')).toBe(1);

    // a new key is a new request
    const other = await hb.request('POST', '/v1/applications', { name: 'Idempotent Acme' }, { 'Idempotency-Key': 'create-acme-2' });
    expect(other.status).toBe(201);
    expect((other.body as App).id).not.toBe((first.body as App).id);
    expect(await countByName('Idempotent Acme')).toBe(2);
  });

  it('the same key with a different body (or path) is a 409, appending nothing', async () => {
    const headers = { 'Idempotency-Key': 'create-globex-1' };
    expect((await hb.request('POST', '/v1/applications', { name: 'Globex' }, headers)).status).toBe(201);
    const error = expectErrorBody(await unchanged(() => hb.request('POST', '/v1/applications', { name: 'Globex 2' }, headers)), 409, 'idempotency_key_reused');
    expect(error.error.message).toContain('Idempotency-Key');
    expectErrorBody(await unchanged(() => hb.request('POST', '/v1/event-types', { name: 'globex.x' }, headers)), 409, 'idempotency_key_reused');
    expect(await countByName('Globex 2')).toBe(0);
  });

  it('concurrent requests with one key create one application', async () => {
    const headers = { 'Idempotency-Key': 'concurrent-1' };
    const answers = await Promise.all([1, 2, 3].map(() => hb.request('POST', '/v1/applications', { name: 'Concurrent' }, headers)));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(new Set(answers.map((a) => (a.body as App).id)).size).toBe(1);
    expect(await countByName('Concurrent')).toBe(1);
  });

  it('a failed request is not remembered: the same key may then succeed', async () => {
    const headers = { 'Idempotency-Key': 'fix-and-retry' };
    expectErrorBody(await hb.request('POST', '/v1/applications', { name: 'Fixed', uid: 'app_bad' }, headers), 422, 'validation_failed');
    // a different body under the same key is accepted: the failure was not stored
    const ok = await hb.request('POST', '/v1/applications', { name: 'Fixed' }, headers);
    expect(ok.status).toBe(201);
    expect(ok.headers.get('idempotent-replayed')).toBeNull();
  });

  it('refuses a key longer than 255 characters', async () => {
    const res = await unchanged(() => hb.request('POST', '/v1/applications', { name: 'Long key' }, { 'Idempotency-Key': 'k'.repeat(256) }));
    expectErrorBody(res, 422, 'validation_failed', { field: 'Idempotency-Key' });
  });
});

describe('GET /openapi.json', () => {
  it('describes every route of the table (/v1 and the compat /api) with its operationId, method and path', async () => {
    const res = await raw('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = res.body as { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, { operationId: string; parameters: { name: string; in: string }[] }>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.version).toEqual(expect.any(String));

    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`));
    const table = allRoutes.map((r) => `${r.method} ${r.path} ${r.operationId}`);
    expect(documented.sort()).toEqual([...table].sort());
    expect(table.filter((r) => r.includes(' /api/')).length).toBeGreaterThan(40);
    const ids = allRoutes.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of [...v1Routes, ...portalRoutes]) expect(r.operationId).toMatch(/^(v1|portal)\.[a-zA-Z]+\.[a-zA-Z]+$/);
    for (const r of portalRoutes) expect(allRoutes).toContain(r);
    for (const r of allRoutes.filter((r) => r.path.startsWith('/api/'))) {
      expect(r.operationId).toMatch(r.path.startsWith('/api/organizations/{orgId}/') ? /^org\.[a-zA-Z]+\.[a-zA-Z]+$/ : /^api\.[a-zA-Z]+\.[a-zA-Z]+$/);
    }

    // the error body each surface answers
    const errorOf = (path: string, method: string) =>
      (doc.paths[path]?.[method] as unknown as { responses: { default: { content: { 'application/json': { schema: { required: string[] } } } } } }).responses.default.content['application/json'].schema.required;
    expect(errorOf('/api/webhook-applications', 'get')).toEqual(['error', 'message', 'code', 'details', 'requestId']);
    expect(errorOf('/v1/applications', 'get')).toEqual(['error', 'requestId']);

    // path parameters are declared
    for (const r of allRoutes) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      const names = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const name of names) expect(op?.parameters).toContainEqual(expect.objectContaining({ name, in: 'path' }));
    }
  });

  it('covers the routes of API.md that the SDK calls', () => {
    const ops = new Set(v1Routes.map((r) => `${r.method} ${r.path}`));
    for (const route of [
      'POST /v1/applications',
      'PUT /v1/applications/uid/{uid}',
      'GET /v1/applications/uid/{uid}',
      'DELETE /v1/event-types/{name}',
      'POST /v1/applications/{appId}/endpoints/{endpointId}/rotate-secret',
      'GET /v1/applications/{appId}/messages/{messageId}/history',
      'POST /v1/applications/{appId}/outbound/{outboundId}/retry',
      'POST /v1/applications/{appId}/portal-tokens',
      'DELETE /v1/portal-tokens/{tokenId}',
    ]) {
      expect(ops.has(route), route).toBe(true);
    }
  });
});

describe('operations', () => {
  it('GET /health is 200 without credentials', async () => {
    const res = await raw('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /metrics is Prometheus text', async () => {
    await hb.request('GET', '/v1/applications');
    const res = await raw('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    // prom-client's histogram of request latency, by route template, method and status
    expect(res.text).toContain('# TYPE hookbase_http_request_duration_seconds histogram');
    expect(res.text).toMatch(/^hookbase_http_request_duration_seconds_count\{route="\/v1\/applications",method="GET",status="200"\} \d+$/m);
    for (const line of res.text.trimEnd().split('\n').filter((l) => l !== '')) {
      expect(line).toMatch(/^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (-?[0-9.e+-]+|\+Inf|NaN))$/);
    }
  });

  it('GET /v1/admin/projections lists each projection with position, lag and state', async () => {
    const res = await hb.request('GET', '/v1/admin/projections');
    expect(res.status).toBe(200);
    const list = res.body as { name: string; position: unknown; lag: number; state: string }[];
    expect(list.length).toBeGreaterThan(0);
    for (const p of list) expect(p).toEqual(expect.objectContaining({ name: expect.any(String), position: expect.anything(), lag: expect.any(Number), state: expect.any(String) }));
    expectErrorBody(await raw('GET', '/v1/admin/projections'), 401, 'unauthorized');
  });
});

describe('rate limit (HOOKBASE_RATE_LIMIT_API=3)', () => {
  let small: TestHookbase;
  useTestHookbase(
    (started) => {
      small = started;
    },
    { env: { HOOKBASE_RATE_LIMIT_API: '3' } },
  );

  it('counts down, then answers 429 with Retry-After and the error body, appending nothing', async () => {
    await awayFromWindowEdge(60_000);

    const answers: Res[] = [];
    for (let i = 0; i < 3; i++) answers.push(await small.request('GET', '/v1/applications'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0']);
    for (const a of answers) expect(a.headers.get('x-ratelimit-limit')).toBe('3');

    const before = await small.events.headPosition();
    const limited = await small.request('POST', '/v1/applications', { name: 'one too many' });
    expect(await small.events.headPosition()).toEqual(before);
    expect(limited.status).toBe(429);
    const body = limited.body as ErrorBody;
    expect(body).toEqual({ error: { code: 'rate_limited', message: expect.any(String), details: [] }, requestId: limited.headers.get('x-request-id') });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));

    // the SDK surfaces it as a RateLimitError with retryAfter
    await expect(small.sdk.applications.list()).rejects.toMatchObject({ status: 429, code: 'rate_limited', retryAfter: expect.any(Number) });

    // /health and /metrics are not /v1: never limited
    expect((await raw2(small, '/health')).status).toBe(200);
  });
});

const raw2 = async (target: TestHookbase, path: string): Promise<{ status: number }> => {
  const res = await fetch(`${target.url}${path}`);
  await res.text();
  return { status: res.status };
};
