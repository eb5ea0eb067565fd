import fc from 'fast-check';
import { request } from 'undici';
import type { JsonObject } from '../../domain/json';
import { contentTypes, encodeSegment, hostileBodyText, hostileJsonText, hostileSegment, hostileString, invalidUtf8 } from './hostileJson';

/** One operation of /openapi.json: the fuzz reads the same table the server serves, so routes added later are fuzzed too. */
export type Operation = Readonly<{
  operationId: string;
  method: string;
  path: string;
  pathParams: readonly string[];
  queryParams: readonly (readonly [string, JsonObject])[];
  body: JsonObject | null;
  secured: boolean;
}>;

export const operationsOf = (doc: JsonObject): Operation[] => {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, JsonObject>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as { name: string; in: string; schema?: JsonObject }[];
      const requestBody = op.requestBody as { content?: Record<string, { schema?: JsonObject }> } | undefined;
      ops.push({
        operationId: String(op.operationId ?? `${method} ${path}`),
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema ?? {}] as const),
        body: requestBody?.content?.['application/json']?.schema ?? null,
        secured: Array.isArray(op.security) && op.security.length > 0,
      });
    }
  }
  return ops;
};

/** Real values of the fixture, by parameter or field name, so that generated requests reach past the 404s. */
export type Pools = Readonly<Record<string, readonly string[]>>;

const POOL_OF: Readonly<Record<string, string>> = {
  appId: 'appId',
  applicationId: 'appId',
  app_id: 'appId',
  uid: 'uid',
  endpointId: 'endpointId',
  endpoint_id: 'endpointId',
  messageId: 'messageId',
  msgId: 'messageId',
  outboundId: 'outboundId',
  attemptId: 'outboundId',
  name: 'eventType',
  eventType: 'eventType',
  eventTypeName: 'eventType',
  tokenId: 'tokenId',
  url: 'url',
  since: 'date',
  until: 'date',
};

const poolFor = (pools: Pools, name: string): readonly string[] => pools[POOL_OF[name] ?? name] ?? [];

/** A value for a field: a real one from the fixture, one that fits the schema, or a hostile one. */
const valueFor = (name: string, schema: JsonObject, pools: Pools, depth: number): fc.Arbitrary<string> => {
  const real = poolFor(pools, name);
  const typed = typedValue(schema, pools, depth);
  const options: fc.Arbitrary<string>[] = [typed, typed, hostileJsonText(2)];
  if (real.length > 0) options.push(fc.constantFrom(...real).map((v) => JSON.stringify(v)), fc.constantFrom(...real).map((v) => JSON.stringify(v)));
  return fc.oneof(...options);
};

/** JSON text of a value that fits the schema's type (roughly: enough to pass ajv often, not always). */
const typedValue = (schema: JsonObject, pools: Pools, depth: number): fc.Arbitrary<string> => {
  const type = Array.isArray(schema.type) ? String(schema.type[0]) : schema.type;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...schema.enum).map((v) => JSON.stringify(v));
  switch (type) {
    case 'string':
      return fc.oneof(fc.stringMatching(/^[a-z][a-z0-9._-]{0,20}$/), hostileString).map((s) => JSON.stringify(s));
    case 'integer':
      return fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.constantFrom(0, 1, 60, 3600, 2 ** 53, -1)).map(String);
    case 'number':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.constantFrom('1e400', '-0', '1e-400'));
    case 'boolean':
      return fc.boolean().map(String);
    case 'array': {
      const items = (schema.items ?? {}) as JsonObject;
      return depth > 3 ? fc.constant('[]') : fc.array(valueFor('', items, pools, depth + 1), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`);
    }
    case 'object':
      return depth > 3 ? fc.constant('{}') : objectText(schema, pools, depth + 1);
    default:
      return hostileJsonText(3);
  }
};

/** An object with a random subset of the schema's properties (required ones more often) and now and then a stray one. */
const objectText = (schema: JsonObject, pools: Pools, depth: number): fc.Arbitrary<string> => {
  const props = Object.entries((schema.properties ?? {}) as Record<string, JsonObject>);
  const required = new Set((schema.required ?? []) as string[]);
  const fields = props.map(([name, s]) =>
    fc.option(valueFor(name, s, pools, depth).map((v) => `${JSON.stringify(name)}:${v}`), { freq: required.has(name) ? 8 : 2 }),
  );
  const extra = fc.option(
    fc.tuple(fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor')), hostileJsonText(2)).map(([k, v]) => `${JSON.stringify(k)}:${v}`),
    { freq: 6 },
  );
  return fc.tuple(fc.tuple(...fields), extra).map(([picked, stray]) => `{${[...picked, stray].filter((x): x is string => x !== null).join(',')}}`);
};

export type FuzzRequest = Readonly<{ method: string; path: string; contentType: string | undefined; body: Buffer | null; auth: string; idempotencyKey: string | null }>;

/** Requests for one operation: a path from real and hostile ids, a query, a body from its schema or hostile. */
export const requestsFor = (op: Operation, pools: Pools, credentials: fc.Arbitrary<string>): fc.Arbitrary<FuzzRequest> => {
  const segment = (name: string): fc.Arbitrary<string> => {
    const real = poolFor(pools, name);
    return real.length > 0 ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...real).map(encodeSegment) }, { weight: 1, arbitrary: hostileSegment }) : hostileSegment;
  };
  const path = fc.tuple(...op.pathParams.map(segment)).map((values) => {
    let p = op.path;
    op.pathParams.forEach((name, i) => (p = p.replace(`{${name}}`, values[i]!)));
    return p;
  });
  const query = fc
    .subarray([...op.queryParams])
    .chain((params) =>
      fc.tuple(
        ...params.map(([name, schema]) =>
          fc.oneof(typedValue(schema, pools, 0).map((t) => String(JSON.parse(t) as unknown)), hostileSegment, fc.constantFrom(...(poolFor(pools, name).length ? poolFor(pools, name) : ['x']))).map((v) => `${encodeSegment(name)}=${encodeSegment(v)}`),
        ),
      ),
    )
    .map((pairs) => (pairs.length > 0 ? `?${pairs.join('&')}` : ''));
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
  const schemaBody = op.body ? objectText(op.body, pools, 0) : hostileJsonText(2);
  const body: fc.Arbitrary<Buffer | null> = hasBody
    ? fc.oneof(
        { weight: 6, arbitrary: schemaBody.map((t) => Buffer.from(t)) },
        { weight: 3, arbitrary: hostileBodyText.map((t) => Buffer.from(t)) },
        { weight: 1, arbitrary: invalidUtf8 },
        { weight: 1, arbitrary: fc.constant(null) },
      )
    : fc.constant(null);
  const idempotencyKey = fc.option(fc.oneof(fc.uuid(), fc.stringMatching(/^[ -~]{1,300}$/)), { freq: 4 });
  return fc.record({ method: fc.constant(op.method), path: fc.tuple(path, query).map(([p, q]) => p + q), contentType: contentTypes, body, auth: credentials, idempotencyKey });
};

export type FuzzResponse = Readonly<{ status: number; text: string }>;

/** Sends raw bytes (no content-type added for us), bounded by a timeout: a request that hangs fails the property. */
export const send = async (baseUrl: string, r: FuzzRequest, timeoutMs: number): Promise<FuzzResponse> => {
  const headers: Record<string, string> = {};
  if (r.auth) headers.authorization = r.auth;
  if (r.idempotencyKey !== null) headers['idempotency-key'] = r.idempotencyKey;
  if (r.contentType !== undefined && r.body !== null) headers['content-type'] = r.contentType;
  const res = await request(`${baseUrl}${r.path}`, {
    method: r.method as 'GET',
    headers,
    body: r.body ?? undefined,
    signal: AbortSignal.timeout(timeoutMs),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  return { status: res.statusCode, text: await res.body.text() };
};

/** API.md's error body: `{error: {code, message, details[]}, requestId}`; returns what is wrong, or null. */
export const errorBodyProblem = (text: string): string | null => {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  const b = body as { error?: { code?: unknown; message?: unknown; details?: unknown }; requestId?: unknown };
  if (typeof b.error?.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(b.error.code)) return `error.code is not snake_case: ${text.slice(0, 200)}`;
  if (typeof b.error.message !== 'string' || b.error.message === '') return `error.message missing: ${text.slice(0, 200)}`;
  if (!Array.isArray(b.error.details)) return `error.details is not an array: ${text.slice(0, 200)}`;
  if (typeof b.requestId !== 'string' || b.requestId === '') return `requestId missing: ${text.slice(0, 200)}`;
  return null;
};

/**
 * COMPAT.md's error body, which /api and /portal answer: `{error, message, code, details, requestId}`, `error` and
 * `message` saying what is wrong, `code` snake_case; returns what is wrong, or null.
 */
export const compatErrorBodyProblem = (text: string): string | null => {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 200)}`;
  }
  const b = body as { error?: unknown; message?: unknown; code?: unknown; requestId?: unknown };
  if (typeof b.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(b.code)) return `code is not snake_case: ${text.slice(0, 200)}`;
  if (typeof b.message !== 'string' || b.message === '') return `message missing: ${text.slice(0, 200)}`;
  if (typeof b.error !== 'string' || b.error === '') return `error missing: ${text.slice(0, 200)}`;
  if (typeof b.requestId !== 'string' || b.requestId === '') return `requestId missing: ${text.slice(0, 200)}`;
  return null;
};

/**
 * The error body a path's surface answers with: API.md's under /v1 (and elsewhere), COMPAT.md's under /api and
 * /portal — except a 431, which the HTTP layer answers before any route is known (API.md's body, whatever the path).
 */
export const errorBodyProblemFor = (path: string, status: number, text: string): string | null =>
  (path.startsWith('/api/') || path.startsWith('/portal')) && status !== 431 ? compatErrorBodyProblem(text) : errorBodyProblem(text);
