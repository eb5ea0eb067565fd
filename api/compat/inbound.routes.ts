import { validationError } from '../../domain/errors';
import { requireFilterConditions, requireFilterLogic } from '../../domain/route/filters';
import { evaluateFilter } from '../../inbound/filters';
import type { JsonObject, JsonValue } from '../../domain/json';
import { collections } from '../../projections/readModels';
import type { DestinationDoc, FilterDoc, InboundCountsDoc, InboundDeliveryDoc, InboundEventDoc, RouteDoc, SchemaDoc, SourceDoc, TransformDoc } from '../../projections/readModels';
import type { CollectionDef, Document, Scalar } from '../../store/readStore';
import {
  createDestination, createFilter, createRoute, createSchema, createSource, createTransform, deleteDestination, deleteFilter, deleteRoute, deleteSchema,
  deleteSource, deleteTransform, ingestUrlOf, requireDestination, requireFilter, requireRoute, requireSchema, requireSource, requireTransform,
  testTransform, updateDestination, updateFilter, updateRoute, updateSchema, updateSource, updateTransform, validateAgainstSchema,
} from '../commands/inboundConfig';
import type { DestinationIn, RouteIn, SourceIn } from '../commands/inboundConfig';
import { hasEdits, listDeliveryClusters, replayCluster, replayWithEdit, testDestination } from '../commands/inboundRecovery';
import type { ReplayEdits } from '../commands/inboundRecovery';
import { attemptsOfDelivery, deliveriesOfEvent, requireInboundDelivery, requireInboundEvent, retryInboundDelivery } from '../commands/inboundTraffic';
import type { ApiDeps } from '../deps';
import { destinationOut, filterOut, inboundAttemptOut, inboundDeliveryOut, inboundEventOut, routeOut, schemaOut, sourceOut, transformOut } from '../inboundShapes';
import { splitFilters } from '../pagination';
import { defineRoute } from '../route';
import type { AnyRoute, Schema } from '../route';

// The inbound resources as the official clients call them (issue 19 item 5): the Node SDK's src/resources/
// {sources,destinations,routes,filters,transforms,schemas,events,deliveries}.ts and the MCP server's src/lib/api.ts read
// one resource as `{source}` (`{destination}`, …) and a list as `{sources: [...], pagination: {total, page, pageSize}}`.
// Over the inbound command layer (api/commands/inboundConfig.ts, inboundTraffic.ts); the items are our /v1 shapes
// (api/inboundShapes.ts, named after the SDK's types). Bodies take the clients' names (mapped below).

/** Documents read at most for one page (configuration is small; traffic lists page through the newest). */
const PAGE_SCAN = 1_000;

type PageQuery = { page?: number; pageSize?: number; limit?: number; offset?: number } & Record<string, string | number | undefined>;

const pageQuery = (extra: Record<string, Schema> = {}): Schema => ({
  type: 'object',
  properties: { page: { type: 'integer', minimum: 1 }, pageSize: { type: 'integer', minimum: 1, maximum: 100 }, limit: { type: 'integer', minimum: 1, maximum: 100 }, offset: { type: 'integer', minimum: 0 }, ...extra },
});

/** One page by `page`/`pageSize` (the SDK, the MCP's filters and transforms) or `limit`/`offset` (the MCP's events and deliveries). */
const pageOf = async <D extends Document>(
  deps: ApiDeps, def: CollectionDef, order: string, where: Record<string, Scalar>, query: PageQuery, out: (d: D) => JsonObject,
): Promise<{ items: JsonObject[]; total: number; page: number; pageSize: number; hasMore: boolean; offset: number }> => {
  const pageSize = query.pageSize ?? query.limit ?? 50;
  const offset = query.offset ?? ((query.page ?? 1) - 1) * pageSize;
  const { where: indexed, rest } = splitFilters(def, where, order);
  const docs: D[] = [];
  let cursor: string | undefined;
  let read = 0;
  do {
    const page = await deps.reads.collection<D>(def).find({ where: indexed, orderBy: { key: order, direction: 'desc' }, limit: 200, cursor });
    read += page.items.length;
    for (const d of page.items) if (Object.entries(rest).every(([k, v]) => (d as Record<string, unknown>)[k] === v)) docs.push(d);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && read < PAGE_SCAN);
  const items = docs.slice(offset, offset + pageSize).map(out);
  return { items, total: docs.length, page: Math.floor(offset / pageSize) + 1, pageSize, hasMore: offset + pageSize < docs.length || cursor !== undefined, offset };
};

type Paged = Awaited<ReturnType<typeof pageOf>>;
/** The clients' page envelope: `pagination` (the page style), and `total`/`limit`/`offset`/`hasMore` (the SDK's events and deliveries lists). */
const paginationOf = (p: Paged): JsonObject => ({ total: p.total, page: p.page, pageSize: p.pageSize });
const trafficPage = (many: string, p: Paged): JsonObject => ({ [many]: p.items, total: p.total, limit: p.pageSize, offset: p.offset, hasMore: p.hasMore, pagination: paginationOf(p) });

type Kind<D extends Document> = {
  one: string;
  many: string;
  path: string;
  def: CollectionDef;
  out: (deps: ApiDeps, d: D) => JsonObject;
  get: (deps: ApiDeps, id: string) => Promise<D>;
  create: (deps: ApiDeps, body: Record<string, JsonValue>) => Promise<JsonObject>;
  update: (deps: ApiDeps, id: string, body: Record<string, JsonValue>) => Promise<D>;
  remove: (deps: ApiDeps, id: string) => Promise<void>;
  filters?: readonly string[];
  /** Fields read from other read models (the traffic counts), added to each answered item. */
  extra?: (deps: ApiDeps, item: JsonObject) => Promise<JsonObject>;
};

const withExtra = async <D extends Document>(k: Kind<D>, deps: ApiDeps, item: JsonObject): Promise<JsonObject> => (k.extra ? { ...item, ...(await k.extra(deps, item)) } : item);

const anyBody: Schema = { type: 'object' };

const crud = <D extends Document>(k: Kind<D>): AnyRoute[] => [
  defineRoute<undefined, PageQuery>({
    operationId: `api.${k.one}.list`, method: 'GET', path: `/api/${k.path}`, summary: `List ${k.many}: {${k.many}, pagination: {total, page, pageSize}}`, auth: 'admin',
    query: pageQuery(Object.fromEntries((k.filters ?? []).map((f) => [f, { type: 'string' }]))),
    response: { status: 200 },
    handle: async ({ deps, query }) => {
      const where = Object.fromEntries((k.filters ?? []).filter((f) => query[f] !== undefined).map((f) => [f, String(query[f])]));
      const p = await pageOf<D>(deps, k.def, 'createdAt', where, query, (d) => k.out(deps, d));
      const items = await Promise.all(p.items.map((item) => withExtra(k, deps, item)));
      return { status: 200, body: { [k.many]: items, pagination: paginationOf(p) } };
    },
  }),
  defineRoute<Record<string, JsonValue>>({
    operationId: `api.${k.one}.create`, method: 'POST', path: `/api/${k.path}`, summary: `Create a ${k.one}: 201 {${k.one}}`, auth: 'admin', body: anyBody, response: { status: 201 },
    handle: async ({ deps, body }) => ({ status: 201, body: { [k.one]: await k.create(deps, body) } }),
  }),
  defineRoute({
    operationId: `api.${k.one}.get`, method: 'GET', path: `/api/${k.path}/{id}`, summary: `Get a ${k.one}: {${k.one}}`, auth: 'admin', response: { status: 200 },
    handle: async ({ deps, params }) => ({ status: 200, body: { [k.one]: await withExtra(k, deps, k.out(deps, await k.get(deps, params.id ?? ''))) } }),
  }),
  ...(['PATCH', 'PUT'] as const).map((method) =>
    defineRoute<Record<string, JsonValue>>({
      operationId: `api.${k.one}.${method === 'PATCH' ? 'update' : 'replace'}`, method, path: `/api/${k.path}/{id}`, summary: `Change a ${k.one}: {${k.one}, success}`, auth: 'admin',
      body: anyBody, response: { status: 200 },
      handle: async ({ deps, params, body }) => ({ status: 200, body: { [k.one]: await withExtra(k, deps, k.out(deps, await k.update(deps, params.id ?? '', body))), success: true } }),
    }),
  ),
  defineRoute({
    operationId: `api.${k.one}.delete`, method: 'DELETE', path: `/api/${k.path}/{id}`, summary: `Delete a ${k.one}: {success: true}`, auth: 'admin', response: { status: 200 },
    handle: async ({ deps, params }) => {
      await k.remove(deps, params.id ?? '');
      return { status: 200, body: { success: true } };
    },
  }),
];

/** Keys of `b` that are present (a PATCH changes only those). */
const pick = (b: Record<string, JsonValue>, map: Record<string, string>): Record<string, JsonValue> =>
  Object.fromEntries(Object.entries(map).filter(([from]) => b[from] !== undefined).map(([from, to]) => [to, b[from] as JsonValue]));

/** The clients' source fields → ours: `rejectInvalidSignatures` is signature verification, `rateLimitPerMinute` a 60 s window. */
const sourceIn = (b: Record<string, JsonValue>): Partial<SourceIn> => ({
  ...pick(b, {
    name: 'name', slug: 'slug', description: 'description', provider: 'provider', verifySignature: 'verifySignature', rejectInvalidSignatures: 'verifySignature',
    signingSecret: 'signingSecret', dedupStrategy: 'dedupStrategy', dedupWindow: 'dedupWindow', dedupHeaderName: 'dedupHeaderName', ipFilterMode: 'ipFilterMode',
    ipAllowlist: 'ipAllowlist', ipDenylist: 'ipDenylist', rateLimit: 'rateLimit', rateLimitWindow: 'rateLimitWindow', transientMode: 'transientMode', isActive: 'isActive',
  }),
  ...(b.rateLimitPerMinute !== undefined ? { rateLimit: b.rateLimitPerMinute, rateLimitWindow: 60 } : {}),
}) as Partial<SourceIn>;

const destinationIn = (b: Record<string, JsonValue>): Partial<DestinationIn> => ({
  ...pick(b, {
    name: 'name', slug: 'slug', description: 'description', type: 'type', url: 'url', method: 'method', headers: 'headers', authType: 'authType', authConfig: 'authConfig',
    timeoutMs: 'timeoutMs', retryCount: 'retryCount', retryInterval: 'retryInterval', rateLimit: 'rateLimit', rateLimitWindow: 'rateLimitWindow', isActive: 'isActive',
  }),
  ...(b.rateLimitPerMinute !== undefined ? { rateLimit: b.rateLimitPerMinute, rateLimitWindow: 60 } : {}),
}) as Partial<DestinationIn>;

const routeIn = (b: Record<string, JsonValue>): Partial<RouteIn> => pick(b, {
  name: 'name', sourceId: 'sourceId', destinationId: 'destinationId', filterId: 'filterId', filterConditions: 'filterConditions', filterLogic: 'filterLogic',
  transformId: 'transformId', schemaId: 'schemaId', priority: 'priority', isActive: 'isActive', notifyOnFailure: 'notifyOnFailure', notifyOnSuccess: 'notifyOnSuccess',
  notifyOnRecovery: 'notifyOnRecovery', notifyEmails: 'notifyEmails', failureThreshold: 'failureThreshold', failoverDestinationIds: 'failoverDestinationIds',
  failoverAfterAttempts: 'failoverAfterAttempts', expectedResponse: 'expectedResponse',
}) as Partial<RouteIn>;

const namedIn = (b: Record<string, JsonValue>, extra: Record<string, string>): { name: string } => pick(b, { name: 'name', description: 'description', ...extra }) as { name: string };

/**
 * The MCP server reads the inbound resources in snake_case, flags as 1/0 (its src/lib/api.ts Source, Destination,
 * Route, Event, Delivery and src/tools/*.ts): each answer carries those names beside the SDK's camelCase ones.
 */
const snake = (o: JsonObject, names: Readonly<Record<string, string>>): JsonObject => {
  const out: JsonObject = { ...o };
  for (const [camel, snakeName] of Object.entries(names)) {
    const v = o[camel];
    out[snakeName] = typeof v === 'boolean' && snakeName.startsWith('is_') ? (v ? 1 : 0) : v === undefined ? null : v;
  }
  return out;
};

/** The traffic counts the inbound_traffic projection keeps for a source, route or destination (zero before any traffic). */
const countsOf = async (deps: ApiDeps, id: string): Promise<InboundCountsDoc> =>
  (await deps.reads.collection<InboundCountsDoc>(collections.inboundCounts).get(id)) ?? { id, events: 0, deliveries: 0, successes: 0, failures: 0 };

/** A source's `event_count` (received or refused at its door) and `route_count` (its routes: an indexed count, routes are few). */
const sourceCounts = async (deps: ApiDeps, item: JsonObject): Promise<JsonObject> => {
  const id = String(item.id);
  const events = (await countsOf(deps, id)).events;
  const routes = await deps.reads.collection<RouteDoc>(collections.routes).count({ sourceId: id });
  return { eventCount: events, event_count: events, routeCount: routes, route_count: routes };
};
const deliveryCounts = async (deps: ApiDeps, item: JsonObject): Promise<JsonObject> => {
  const n = await countsOf(deps, String(item.id));
  return { deliveryCount: n.deliveries, successCount: n.successes, failureCount: n.failures, delivery_count: n.deliveries, success_count: n.successes, failure_count: n.failures };
};

const sourceJson = (deps: ApiDeps, s: SourceDoc): JsonObject =>
  snake(sourceOut(s, ingestUrlOf(deps, s.slug)), {
    isActive: 'is_active', transientMode: 'transient_mode', createdAt: 'created_at', verifySignature: 'reject_invalid_signatures', rateLimit: 'rate_limit_per_minute',
  });
const destinationJson = (d: DestinationDoc): JsonObject =>
  snake(destinationOut(d), { isActive: 'is_active', authType: 'auth_type', timeoutMs: 'timeout_ms', rateLimit: 'rate_limit_per_minute', createdAt: 'created_at' });
const routeJson = (r: RouteDoc): JsonObject =>
  snake(routeOut(r), {
    sourceId: 'source_id', destinationId: 'destination_id', filterId: 'filter_id', transformId: 'transform_id', schemaId: 'schema_id', isActive: 'is_active', createdAt: 'created_at',
  });
const eventJson = (e: InboundEventDoc): JsonObject => {
  const o = inboundEventOut(e);
  return { ...snake(o, { sourceId: 'source_id', eventType: 'event_type', receivedAt: 'received_at', signatureValid: 'signature_valid' }), delivery_count: e.deliveryIds.length, payload_size: e.body === null ? null : e.body.length };
};
/** The SDK's Delivery names (src/types/index.ts) beside ours, and the MCP server's snake_case ones. */
const deliveryJson = (d: InboundDeliveryDoc): JsonObject =>
  snake({ ...inboundDeliveryOut(d), statusCode: d.lastResponseStatus, maxAttempts: d.maxAttemptsPerDestination, error: d.lastError, completedAt: d.deliveredAt, nextRetryAt: d.nextAttemptAt }, {
    eventId: 'event_id', routeId: 'route_id', destinationId: 'destination_id', attempts: 'attempt_count', maxAttemptsPerDestination: 'max_attempts',
    lastResponseStatus: 'response_status', lastError: 'error_message', nextAttemptAt: 'next_retry_at', deliveredAt: 'completed_at', createdAt: 'created_at',
  });

export const inboundCompatRoutes: AnyRoute[] = [
  ...crud<SourceDoc>({
    one: 'source', many: 'sources', path: 'sources', def: collections.sources, out: sourceJson, get: requireSource,
    create: async (deps, b) => {
      const { source, signingSecret } = await createSource(deps, sourceIn(b) as SourceIn);
      return { ...sourceJson(deps, source), signingSecret };
    },
    update: (deps, id, b) => updateSource(deps, id, sourceIn(b)), remove: deleteSource, extra: sourceCounts,
  }),
  ...crud<DestinationDoc>({
    one: 'destination', many: 'destinations', path: 'destinations', def: collections.destinations, out: (_d, x) => destinationJson(x), get: requireDestination,
    create: async (deps, b) => destinationJson(await createDestination(deps, destinationIn(b) as DestinationIn)),
    update: (deps, id, b) => updateDestination(deps, id, destinationIn(b)), remove: deleteDestination, extra: deliveryCounts,
  }),
  ...crud<RouteDoc>({
    one: 'route', many: 'routes', path: 'routes', def: collections.routes, out: (_d, x) => routeJson(x), get: requireRoute, filters: ['sourceId', 'destinationId'],
    create: async (deps, b) => routeJson(await createRoute(deps, routeIn(b) as RouteIn)),
    update: (deps, id, b) => updateRoute(deps, id, routeIn(b)), remove: deleteRoute, extra: deliveryCounts,
  }),
  // Before the filters' own routes: `test` is not a filter id (the SDK's filters.test; FilterTestInput → FilterTestResult).
  defineRoute<{ conditions: JsonValue; logic?: JsonValue; payload: JsonValue }>({
    operationId: 'api.filter.test', method: 'POST', path: '/api/filters/test', summary: 'Evaluate conditions on a payload: {matches, results: [{passed}], logic}', auth: 'admin',
    body: { type: 'object', required: ['conditions', 'payload'], properties: { conditions: { type: 'array' }, logic: { type: ['string', 'null'] }, payload: {} } },
    response: { status: 200 },
    handle: async ({ body }) => {
      const filter = { conditions: requireFilterConditions('conditions', body.conditions), logic: requireFilterLogic('logic', body.logic) };
      return { status: 200, body: evaluateFilter(filter, { payload: body.payload, headers: {} }) };
    },
  }),
  ...crud<FilterDoc>({
    one: 'filter', many: 'filters', path: 'filters', def: collections.filters, out: (_d, x) => filterOut(x), get: requireFilter,
    create: async (deps, b) => filterOut(await createFilter(deps, namedIn(b, { conditions: 'conditions', logic: 'logic' }))),
    update: (deps, id, b) => updateFilter(deps, id, namedIn(b, { conditions: 'conditions', logic: 'logic' })), remove: deleteFilter,
  }),
  defineRoute<{ code: string; payload: JsonValue; transformType?: string }>({
    operationId: 'api.transform.test', method: 'POST', path: '/api/transforms/test', summary: 'Run transform code on a payload: {success, output} or {success: false, error}', auth: 'admin',
    body: { type: 'object', required: ['code', 'payload'], properties: { code: { type: 'string', maxLength: 65536 }, payload: {}, transformType: { type: 'string' } } },
    response: { status: 200 },
    handle: async ({ deps, body }) => {
      const result = await testTransform(body.transformType ?? 'jsonata', body.code, body.payload, deps.now());
      // The MCP server prints `error` as text (its src/lib/api.ts testTransform).
      return { status: 200, body: result.success ? result : { success: false, error: result.error.message, code: result.error.code } };
    },
  }),
  ...crud<TransformDoc>({
    one: 'transform', many: 'transforms', path: 'transforms', def: collections.transforms, out: (_d, x) => transformOut(x), get: requireTransform,
    create: async (deps, b) => transformOut(await createTransform(deps, namedIn(b, { code: 'code', transformType: 'transformType' }))),
    update: (deps, id, b) => updateTransform(deps, id, namedIn(b, { code: 'code', transformType: 'transformType' })), remove: deleteTransform,
  }),
  ...crud<SchemaDoc>({
    one: 'schema', many: 'schemas', path: 'schemas', def: collections.schemas, out: (_d, x) => schemaOut(x), get: requireSchema,
    create: async (deps, b) => schemaOut(await createSchema(deps, namedIn(b, { jsonSchema: 'jsonSchema' }))),
    update: (deps, id, b) => updateSchema(deps, id, namedIn(b, { jsonSchema: 'jsonSchema' })), remove: deleteSchema,
  }),
  defineRoute<{ payload: JsonValue }>({
    operationId: 'api.schema.validate', method: 'POST', path: '/api/schemas/{id}/validate', summary: 'Validate a payload: {valid, errors}', auth: 'admin',
    body: { type: 'object', required: ['payload'], properties: { payload: {} } }, response: { status: 200 },
    handle: async ({ deps, params, body }) => ({ status: 200, body: await validateAgainstSchema(deps, params.id ?? '', body.payload) }),
  }),
  defineRoute<undefined, PageQuery>({
    operationId: 'api.inboundEvent.list', method: 'GET', path: '/api/events', summary: 'Inbound events, newest first: {events, total, hasMore}', auth: 'admin',
    query: pageQuery({ sourceId: { type: 'string' }, status: { type: 'string' } }), response: { status: 200 },
    handle: async ({ deps, query }) => {
      const where = Object.fromEntries((['sourceId', 'status'] as const).filter((f) => query[f] !== undefined).map((f) => [f, String(query[f])]));
      const p = await pageOf<InboundEventDoc>(deps, collections.inboundEvents, 'receivedAt', where, query, eventJson);
      // The SDK's events.list reads `limit` and `offset` (hasMore is offset + limit < total).
      return { status: 200, body: trafficPage('events', p) };
    },
  }),
  defineRoute({
    operationId: 'api.inboundEvent.get', method: 'GET', path: '/api/events/{id}', summary: 'An inbound event with its deliveries: {event, deliveries, payload}', auth: 'admin', response: { status: 200 },
    handle: async ({ deps, params }) => {
      const event = await requireInboundEvent(deps, params.id ?? '');
      const deliveries = (await deliveriesOfEvent(deps, event.id)).map(deliveryJson);
      // The SDK's events.get takes the deliveries from beside `event` (it replaces event.deliveries with them); the MCP reads them inside.
      // The MCP's get_event_debug takes the payload from beside `event` (mcp-server src/tools/events.ts), get_event inside.
      const json = eventJson(event);
      return { status: 200, body: { event: { ...json, deliveries }, deliveries, payload: json.payload ?? null } };
    },
  }),
  defineRoute<undefined, PageQuery>({
    operationId: 'api.inboundDelivery.list', method: 'GET', path: '/api/deliveries', summary: 'Inbound deliveries, newest first: {deliveries, total, hasMore}', auth: 'admin',
    query: pageQuery({ eventId: { type: 'string' }, routeId: { type: 'string' }, destinationId: { type: 'string' }, status: { type: 'string' } }), response: { status: 200 },
    handle: async ({ deps, query }) => {
      const names = { eventId: 'inboundEventId', routeId: 'routeId', destinationId: 'destinationId', status: 'status' } as const;
      const where = Object.fromEntries(Object.entries(names).filter(([f]) => query[f] !== undefined).map(([f, key]) => [key, String(query[f])]));
      const p = await pageOf<InboundDeliveryDoc>(deps, collections.inboundDeliveries, 'createdAt', where, query, deliveryJson);
      // The SDK's deliveries.list reads `limit` and `offset` (hasMore is a full page).
      return { status: 200, body: trafficPage('deliveries', p) };
    },
  }),
  defineRoute({
    operationId: 'api.inboundDelivery.get', method: 'GET', path: '/api/deliveries/{id}', summary: 'An inbound delivery with its attempts: {delivery}', auth: 'admin', response: { status: 200 },
    handle: async ({ deps, params }) => {
      const d = await requireInboundDelivery(deps, params.id ?? '');
      return { status: 200, body: { delivery: { ...deliveryJson(d), deliveryAttempts: (await attemptsOfDelivery(deps, d.id)).map(inboundAttemptOut) } } };
    },
  }),
  defineRoute<{ deliveryIds?: string[] }>({
    operationId: 'api.inboundDelivery.bulkReplay', method: 'POST', path: '/api/deliveries/bulk-replay', summary: 'Attempt deliveries again: {replayed, failed}', auth: 'admin',
    body: { type: 'object', required: ['deliveryIds'], properties: { deliveryIds: { type: 'array', items: { type: 'string' }, maxItems: 1000 } } }, response: { status: 200 },
    handle: async ({ deps, body }) => {
      let replayed = 0;
      const failed: string[] = [];
      for (const id of body.deliveryIds ?? []) {
        try {
          await retryInboundDelivery(deps, id);
          replayed++;
        } catch {
          failed.push(id);
        }
      }
      return { status: 200, body: { replayed, failed: failed.length, failedIds: failed } };
    },
  }),
  defineRoute<Record<string, JsonValue>>({
    operationId: 'api.inboundDelivery.replay', method: 'POST', path: '/api/deliveries/{id}/replay', summary: 'Attempt a delivery again: {delivery, message}', auth: 'admin',
    body: anyBody, response: { status: 200 },
    handle: async ({ deps, params, body }) => {
      // With edits (the MCP server's replay_with_edit): a new delivery of the event, answered {message, newDeliveryId, overrides}.
      if (hasEdits(body)) {
        const r = await replayWithEdit(deps, params.id ?? '', body as ReplayEdits);
        const answer: JsonObject = { message: r.message, newDeliveryId: r.newDeliveryId, overrides: r.overrides, delivery: deliveryJson(r.delivery) };
        return { status: 200, body: answer };
      }
      const d = await retryInboundDelivery(deps, params.id ?? '');
      // The SDK's deliveries.replay reads {deliveryId, message} (its ReplayResult); the MCP reads `delivery`.
      return { status: 200, body: { deliveryId: d.id, delivery: deliveryJson(d), message: 'Delivery queued for replay' } };
    },
  }),
  defineRoute({
    operationId: 'api.destination.test', method: 'POST', path: '/api/destinations/{id}/test', summary: 'Send a test request to a destination (SSRF-guarded): {success, statusCode, responseTime, responseBody, error}',
    auth: 'admin', response: { status: 200 },
    handle: async ({ deps, params }) => ({ status: 200, body: await testDestination(deps, params.id ?? '') }),
  }),
  defineRoute<undefined, { sinceHours?: number; limit?: number }>({
    operationId: 'api.deliveryCluster.list', method: 'GET', path: '/api/delivery-clusters',
    summary: 'Failed deliveries grouped by fingerprint (route, destination, last status, error class): {since, sinceHours, clusters}', auth: 'admin',
    query: { type: 'object', properties: { sinceHours: { type: 'integer', minimum: 1, maximum: 720 }, limit: { type: 'integer', minimum: 1, maximum: 200 } } }, response: { status: 200 },
    handle: async ({ deps, query }) => ({ status: 200, body: await listDeliveryClusters(deps, query.sinceHours, query.limit) }),
  }),
  defineRoute<Record<string, JsonValue>>({
    operationId: 'api.deliveryCluster.replay', method: 'POST', path: '/api/delivery-clusters/{fingerprint}/replay-all',
    summary: "Replay every failed delivery of a cluster (with replay_with_edit's overrides): {message, queued, skipped, fingerprint, overrides}", auth: 'admin',
    body: anyBody, response: { status: 200 },
    handle: async ({ deps, params, body }) => {
      const limit = body?.limit;
      if (limit !== undefined && typeof limit !== 'number') throw validationError('limit', 'type', 'limit must be a whole number from 1 to 2000.');
      return { status: 200, body: await replayCluster(deps, params.fingerprint ?? '', (body ?? {}) as ReplayEdits, limit) };
    },
  }),
];
