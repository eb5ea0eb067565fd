import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../domain/json';
import { apiAssertions, useTestHookbase } from '../apiAssertions';
import { operationsOf } from '../fuzz/routeFuzz';
import type { Operation } from '../fuzz/routeFuzz';
import type { TestHookbase } from '../harness';

// Ids guessed from another application, on every /v1 and /api route of /openapi.json: the route table the server
// serves drives the test, so a route added later is covered (and a path parameter nobody knows here fails it).

const TYPE = 'cross.order.created';

let hb: TestHookbase;
let operations: Operation[] = [];
const { unchanged } = apiAssertions(() => hb);

type Ids = { app: string; uid: string; endpoint: string; message: string; outbound: string; subscription: string; token: string };
let a: Ids;
let b: Ids;

const setUp = async (name: string, uid: string): Promise<Ids> => {
  const app = (await hb.sdk.applications.create({ name, uid })).id;
  const endpoint = (await hb.sdk.endpoints.create(app, { url: `https://${uid}.example.com/hooks`, eventTypes: [TYPE] })).id;
  const sent = await hb.sdk.messages.send(app, { eventType: TYPE, payload: { secret: `${name} data` }, eventId: `${uid}-1` });
  const token = await hb.sdk.portalTokens.create(app, {});
  const subs = await hb.request('GET', '/portal/subscriptions', undefined, { authorization: `Bearer ${token.token}` });
  const subscription = (subs.body as { data: { id: string }[] }).data[0]?.id;
  if (!subscription || !sent.outbound[0]) throw new Error(`fixture incomplete: ${subs.text}`);
  return { app, uid, endpoint, message: sent.id, outbound: sent.outbound[0].id, subscription, token: token.id };
};

/** Which fixture id a path parameter names; an unknown name fails the test, so new routes are looked at. */
// Admin-wide resources (rebuild jobs, API keys) belong to no application: any value serves.
const PARAM: Readonly<Record<string, keyof Ids | 'orgId' | 'eventType' | 'global'>> = {
  appId: 'app',
  applicationId: 'app',
  uid: 'uid',
  externalId: 'uid',
  endpointId: 'endpoint',
  messageId: 'message',
  msgId: 'message',
  outboundId: 'outbound',
  attemptId: 'outbound',
  subscriptionId: 'subscription',
  tokenId: 'token',
  orgId: 'orgId',
  name: 'eventType',
  eventTypeName: 'eventType',
  eventTypeId: 'eventType',
  jobId: 'global',
  keyId: 'global',
  // Inbound (docs/inbound.md) is the organization's own traffic: no application owns a source, destination, route,
  // filter, transform, schema, inbound event or inbound delivery.
  sourceId: 'global',
  destinationId: 'global',
  routeId: 'global',
  filterId: 'global',
  transformId: 'global',
  schemaId: 'global',
  eventId: 'global',
  deliveryId: 'global',
  // The official clients' inbound routes name theirs `{id}` (and a failure cluster `{fingerprint}`); so do the 501
  // routes of features not offered here (tunnels, cron jobs, …). None is owned by an application.
  id: 'global',
  fingerprint: 'global',
};
const APP_PARAMS = new Set(['app', 'uid']);

const valueOf = (param: string, owner: Ids): string => {
  const key = PARAM[param];
  if (key === undefined) throw new Error(`path parameter {${param}} is not known to the cross-application test: add it to PARAM`);
  if (key === 'orgId') return 'org_default';
  if (key === 'eventType') return TYPE;
  if (key === 'global') return `${param}_none`;
  return owner[key];
};

const names = (op: Operation) => op.pathParams.map((p) => PARAM[p]);
const namesApplication = (op: Operation) => names(op).some((k) => k !== undefined && APP_PARAMS.has(k));
const namesOtherResource = (op: Operation) => names(op).some((k) => k === 'endpoint' || k === 'message' || k === 'outbound' || k === 'subscription');

/** A's application in the path, B's ids for every other resource it names. */
const guessedPath = (op: Operation): string => {
  let path = op.path;
  for (const p of op.pathParams) {
    const key = PARAM[p];
    path = path.replace(`{${p}}`, encodeURIComponent(valueOf(p, key !== undefined && APP_PARAMS.has(key) ? a : b)));
  }
  return path;
};

/** Query and body fields that name an application or another resource (the /api surface names them there). */
const FIELD: Readonly<Record<string, 'app' | 'endpoint' | 'endpoints' | 'message' | 'outbound' | 'subscription'>> = {
  applicationId: 'app',
  appId: 'app',
  endpointId: 'endpoint',
  endpointIds: 'endpoints',
  messageId: 'message',
  outboundId: 'outbound',
  subscriptionId: 'subscription',
};
const queryNames = (op: Operation) => op.queryParams.map(([n]) => FIELD[n]);
const bodyNames = (op: Operation) => Object.keys((op.body?.properties ?? {}) as Record<string, unknown>).map((n) => FIELD[n]);
/** A query with an application parameter and another resource's: A's application, B's resource. */
const mixedQuery = (op: Operation) => queryNames(op).includes('app') && queryNames(op).some((k) => k !== undefined && k !== 'app');
/** A body that names an application and, in itself or the path, another resource. */
const mixedBody = (op: Operation) => bodyNames(op).includes('app') && (bodyNames(op).some((k) => k !== undefined && k !== 'app') || namesOtherResource(op));

const fieldValue = (kind: string, owner: Ids): unknown => (kind === 'endpoints' ? [owner.endpoint] : owner[kind as keyof Ids]);

/** The path with B's ids (A's where it names an application), for the /api routes whose ids are global. */
const pathWith = (op: Operation, resourceOwner: Ids): string =>
  op.pathParams.reduce((p, name) => {
    const key = PARAM[name];
    return p.replace(`{${name}}`, encodeURIComponent(valueOf(name, key !== undefined && APP_PARAMS.has(key) ? a : resourceOwner)));
  }, op.path);

/** B's values that must never appear in an answer about A (an id the request itself named may be echoed in its 404). */
const bValues = (request = ''): string[] =>
  [b.app, b.endpoint, b.message, b.outbound, b.subscription, 'Cross B data', 'cross-b.example.com'].filter((v) => !request.includes(v));

useTestHookbase(
  async (started) => {
    hb = started;
    await hb.sdk.eventTypes.create({ name: TYPE });
    a = await setUp('Cross A', 'cross-a');
    b = await setUp('Cross B', 'cross-b');
    const doc = (await (await fetch(`${hb.url}/openapi.json`)).json()) as JsonObject;
    operations = operationsOf(doc).filter((o) => o.path.startsWith('/v1/') || o.path.startsWith('/api/'));
  },
  { env: { HOOKBASE_RATE_LIMIT_API: '1000000', HOOKBASE_RATE_LIMIT_PORTAL_TOKENS: '1000000' } },
);

describe("application A's path with application B's ids, on every /v1 and /api route", () => {
  it('knows every path parameter of the route table', () => {
    const unknown = operations.flatMap((o) => o.pathParams.filter((p) => PARAM[p] === undefined).map((p) => `${o.method} ${o.path}: {${p}}`));
    expect(unknown).toEqual([]);
    // /v1 names the application in the path; /api in a query parameter or the body (its ids are global).
    expect(operations.filter((o) => namesApplication(o) && namesOtherResource(o)).length).toBeGreaterThan(10);
    expect(operations.filter((o) => o.path.startsWith('/api/') && mixedQuery(o)).length).toBeGreaterThan(3);
    expect(operations.filter((o) => o.path.startsWith('/api/') && mixedBody(o)).length).toBeGreaterThan(1);
  });

  it("404, nothing of B's in the answer, nothing appended, B unchanged", async () => {
    const guessed = operations.filter((o) => namesApplication(o) && namesOtherResource(o));
    const seen: string[] = [];
    for (const op of guessed) {
      const path = guessedPath(op);
      const hasBody = op.method !== 'GET' && op.method !== 'DELETE' && op.method !== 'HEAD';
      const res = await unchanged(() => hb.request(op.method, path, hasBody ? {} : undefined));
      const where = `${op.operationId} ${op.method} ${path} → ${res.status} ${res.text.slice(0, 300)}`;
      // A body the route would refuse anyway may be refused first (400/422): either way nothing of B's is reached.
      expect(hasBody ? [400, 404, 422] : [404], where).toContain(res.status);
      for (const v of bValues(path)) expect(res.text, where).not.toContain(v);
      seen.push(`${op.method} ${op.path} ${res.status}`);
    }
    expect(seen.length).toBeGreaterThanOrEqual(15);
    // B's resources are all still there, as they were.
    expect((await hb.sdk.endpoints.get(b.app, b.endpoint)).disabled).toBe(false);
    expect((await hb.sdk.messages.get(b.app, b.message)).id).toBe(b.message);
    const list = await hb.request('GET', `/v1/applications/${b.app}/endpoints`);
    expect((list.body as { data: { id: string }[] }).data.map((e) => e.id)).toEqual([b.endpoint]);
  });

  it("the same with a valid body where the route takes one: still 404, never B's resource", async () => {
    // Bodies a route would accept for A's own resources, so that the lookup of B's id is what refuses.
    const bodies: Readonly<Record<string, unknown>> = {
      PATCH: { description: 'taken over' },
      PUT: { url: 'https://attacker.example/hook', description: 'taken over' },
      POST: {},
    };
    const writes = operations.filter((o) => namesApplication(o) && namesOtherResource(o) && o.method !== 'GET' && o.method !== 'DELETE');
    for (const op of writes) {
      const path = guessedPath(op);
      const res = await unchanged(() => hb.request(op.method, path, bodies[op.method] ?? {}));
      const where = `${op.operationId} ${op.method} ${path} → ${res.status} ${res.text.slice(0, 300)}`;
      expect(res.status, where).toBeGreaterThanOrEqual(400);
      expect(res.status, where).toBeLessThan(500);
      expect(res.text, where).not.toContain('taken over');
      for (const v of bValues(path)) expect(res.text, where).not.toContain(v);
    }
    expect((await hb.sdk.endpoints.get(b.app, b.endpoint)).description ?? '').not.toBe('taken over');
  });

  it("every list of application A answers A's resources only", async () => {
    const lists = operations.filter((o) => o.method === 'GET' && namesApplication(o) && !namesOtherResource(o));
    expect(lists.length).toBeGreaterThan(5);
    for (const op of lists) {
      const path = op.pathParams.reduce((p, name) => p.replace(`{${name}}`, encodeURIComponent(valueOf(name, a))), op.path);
      const res = await hb.request('GET', path);
      const where = `${op.operationId} GET ${path} → ${res.status} ${res.text.slice(0, 300)}`;
      expect(res.status, where).toBeLessThan(500);
      for (const v of bValues()) expect(res.text, where).not.toContain(v);
    }
  });
});

describe('application A named in the query or the body, with B\'s ids beside it (the /api surface, and /v1 filters)', () => {
  it("a filtered list of A never answers B's resources", async () => {
    const ops = operations.filter((o) => o.method === 'GET' && mixedQuery(o));
    expect(ops.length).toBeGreaterThan(3);
    for (const op of ops) {
      const params = op.queryParams
        .map(([n]) => [n, FIELD[n]] as const)
        .filter(([, k]) => k !== undefined && k !== 'endpoints')
        .map(([n, k]) => `${n}=${encodeURIComponent(String(fieldValue(k as string, k === 'app' ? a : b)))}`);
      const path = `${pathWith(op, a)}?${params.join('&')}`;
      const res = await hb.request('GET', path);
      const where = `${op.operationId} GET ${path} → ${res.status} ${res.text.slice(0, 300)}`;
      expect(res.status, where).toBeLessThan(500);
      for (const v of bValues(path)) expect(res.text, where).not.toContain(v);
      // Nor A's own data under B's filter: the answer is empty or refused.
      if (res.status === 200 && !path.includes('summary')) expect(res.text, where).not.toContain(a.outbound);
    }
  });

  it("a write that names A and B's resources changes nothing of B's and sends nothing to B's endpoint", async () => {
    const ops = operations.filter((o) => o.method !== 'GET' && mixedBody(o));
    expect(ops.map((o) => `${o.method} ${o.path}`)).toEqual(expect.arrayContaining(['POST /api/send-event']));
    const bBefore = await hb.request('GET', `/v1/applications/${b.app}/outbound`);
    for (const op of ops) {
      const body: Record<string, unknown> = { eventType: TYPE, payload: { sneaky: true }, url: 'https://a.example.com/hooks' };
      for (const name of Object.keys((op.body?.properties ?? {}) as Record<string, unknown>)) {
        const kind = FIELD[name];
        if (kind !== undefined) body[name] = fieldValue(kind, kind === 'app' ? a : b);
      }
      const path = pathWith(op, b);
      const res = await hb.request(op.method, path, body);
      const where = `${op.operationId} ${op.method} ${path} ${JSON.stringify(body)} → ${res.status} ${res.text.slice(0, 300)}`;
      expect(res.status, where).toBeLessThan(500);
      if (namesOtherResource(op)) {
        // The admin key names B's resource by its global id, which it may: it stays B's (applicationId is not a move).
        expect(res.text, where).not.toContain(`"applicationId":"${a.app}"`);
      } else {
        for (const v of bValues(`${path} ${JSON.stringify(body)}`)) expect(res.text, where).not.toContain(v);
      }
    }
    // B's endpoint is still B's, B's deliveries are what they were, and A has no delivery to B's endpoint.
    expect((await hb.request('GET', `/v1/applications/${b.app}/endpoints/${b.endpoint}`)).status).toBe(200);
    expect((await hb.request('GET', `/v1/applications/${a.app}/endpoints/${b.endpoint}`)).status).toBe(404);
    await new Promise((r) => setTimeout(r, 300));
    expect((await hb.request('GET', `/v1/applications/${b.app}/outbound`)).text).toBe(bBefore.text);
    const aOutbound = await hb.request('GET', `/v1/applications/${a.app}/outbound?limit=250`);
    expect(aOutbound.text).not.toContain(b.endpoint);
  });
});

describe('CORS only where the portal needs it', () => {
  const preflight = (path: string) =>
    fetch(`${hb.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://customer.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });

  it('no CORS on any /v1 or /api route, nor on /metrics, /health or /openapi.json: preflights refused, answers without the header', async () => {
    const paths = [...new Set(operations.map((o) => o.pathParams.reduce((p, name) => p.replace(`{${name}}`, encodeURIComponent(valueOf(name, a))), o.path)))];
    for (const path of [...paths, '/metrics', '/health', '/openapi.json']) {
      const pre = await preflight(path);
      expect(pre.status, `OPTIONS ${path}`).not.toBe(204);
      expect(pre.headers.get('access-control-allow-origin'), `OPTIONS ${path}`).toBeNull();
      expect(pre.headers.get('access-control-allow-methods'), `OPTIONS ${path}`).toBeNull();
    }
    for (const path of ['/v1/applications', '/api/v1/app', '/metrics', '/health', '/openapi.json']) {
      const res = await hb.request('GET', path, undefined, { origin: 'https://customer.example' });
      expect(res.headers.get('access-control-allow-origin'), `GET ${path}`).toBeNull();
      expect(res.headers.get('access-control-allow-credentials'), `GET ${path}`).toBeNull();
    }
  });

  it('the hosted portal page, as the real server serves it: CSP, no framing, no sniffing, no referrer, no CORS', async () => {
    const res = await fetch(`${hb.url}/portal`, { headers: { origin: 'https://customer.example' } });
    // 200 with the built page (npm test builds it first), 503 saying how to build it otherwise: the headers either way.
    expect([200, 503]).toContain(res.status);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]) expect(csp).toContain(directive);
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
