// The official Node SDK's inbound methods (HookbaseApp/hookbase-node at 9e90cdd, src/resources/*.ts, types in
// src/types/index.ts, read Dec 2026) as the HTTP request each builds: method, path (absolute, /api/...), query and
// body, and what it reads of the answer. Written from reading its source, cited per method; none of its code is here.
// Its client (src/client.ts) sends JSON with `Authorization: Bearer`, query values as strings, and throws on non-2xx.
//
// `reads` has two parts: what the method's own code reads of the envelope (e.g. sources.list reads
// `sources` and `pagination.total/page/pageSize` and computes hasMore from them), and the fields of the SDK's type
// that the caller reads and this server serves. The type fields this server does not model are listed in
// `unserved` (docs/official-clients.md says why).

export type SdkReq = Readonly<{ method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; path: string; body?: Record<string, unknown> }>;

export type SdkState = Record<string, string>;

export type SdkCase = Readonly<{
  /** `resource.method` as the SDK names it. */
  method: string;
  /** The SDK file that defines it. */
  source: string;
  request: (s: SdkState) => SdkReq;
  /** Dotted paths read from the answer; `x[]` = every item of list x (which must not be empty). */
  reads: readonly string[];
  /** What it sent, as it must come back: [path in the answer (of `readBack` when given), value]. */
  echoes?: (s: SdkState) => readonly (readonly [string, unknown])[];
  /** For the methods that return nothing (update): the SDK's get, whose answer must show what was sent. */
  readBack?: (s: SdkState) => SdkReq;
  keep?: (body: Record<string, unknown>, s: SdkState) => void;
}>;

const R = (name: string): string => `src/resources/${name}.ts`;
const each = (list: string, fields: readonly string[]): string[] => fields.map((f) => `${list}[].${f}`);
const under = (key: string, fields: readonly string[]): string[] => fields.map((f) => `${key}.${f}`);
/** Page-based lists (sources, destinations, routes, filters, transforms): `{<many>: [...], pagination: {total, page, pageSize}}`. */
const pageEnvelope = ['pagination.total', 'pagination.page', 'pagination.pageSize'];
const idOf = (body: Record<string, unknown>, key: string): string => String((body[key] as Record<string, unknown>).id);

// The fields of each SDK type this server serves (src/types/index.ts Source, Destination, Route, Filter, Transform,
// Schema, InboundEvent, EventDetail, Delivery, DlqMessage).
export const SOURCE = [
  'id', 'name', 'slug', 'description', 'provider', 'isActive', 'ingestUrl', 'verifySignature', 'dedupStrategy', 'dedupWindow', 'dedupHeaderName', 'ipFilterMode',
  'ipAllowlist', 'ipDenylist', 'rateLimit', 'rateLimitWindow', 'transientMode', 'createdAt', 'updatedAt',
];
export const DESTINATION = ['id', 'name', 'slug', 'description', 'type', 'url', 'method', 'headers', 'authType', 'retryCount', 'retryInterval', 'rateLimit', 'rateLimitWindow', 'isActive', 'createdAt', 'updatedAt'];
export const ROUTE = [
  'id', 'name', 'sourceId', 'destinationId', 'filterId', 'filterConditions', 'filterLogic', 'transformId', 'schemaId', 'priority', 'isActive', 'notifyOnFailure',
  'notifyOnSuccess', 'notifyOnRecovery', 'notifyEmails', 'failureThreshold', 'failoverDestinationIds', 'failoverAfterAttempts', 'expectedResponse', 'createdAt', 'updatedAt',
];
export const FILTER = ['id', 'name', 'description', 'conditions', 'logic', 'createdAt', 'updatedAt'];
export const TRANSFORM = ['id', 'name', 'description', 'transformType', 'code', 'version', 'createdAt', 'updatedAt'];
export const SCHEMA = ['id', 'name', 'description', 'jsonSchema', 'version', 'createdAt', 'updatedAt'];
export const EVENT = ['id', 'sourceId', 'eventType', 'payloadHash', 'signatureValid', 'receivedAt', 'ipAddress', 'status'];
export const EVENT_DETAIL = ['id', 'sourceId', 'eventType', 'payload', 'headers', 'signatureValid', 'receivedAt', 'ipAddress'];
export const DELIVERY = ['id', 'eventId', 'routeId', 'destinationId', 'status', 'statusCode', 'attempts', 'maxAttempts', 'error', 'createdAt', 'completedAt', 'nextRetryAt'];
export const DLQ_MESSAGE = [
  'id', 'messageId', 'endpointId', 'endpointUrl', 'applicationId', 'applicationName', 'eventType', 'status', 'dlqReason', 'dlqMovedAt', 'attempts', 'maxAttempts',
  'lastAttemptAt', 'lastResponseStatus', 'lastError', 'createdAt', 'updatedAt',
];

/** Fields of the SDK's types that this server does not serve (always absent), by type. */
export const UNSERVED: Readonly<Record<string, readonly string[]>> = {
  Source: ['organizationId', 'signingSecret (answered once, by create)', 'eventCount', 'lastEventAt'],
  Destination: ['organizationId', 'authConfig (sealed; `hasAuth` says whether there is one)', 'timeout (ours: timeoutMs)', 'useStaticIp', 'config', 'fieldMapping', 'deliveryCount', 'lastDeliveryAt'],
  Route: ['organizationId', 'circuitState', 'circuitOpenedAt', 'circuitCooldownSeconds', 'circuitFailureThreshold', 'circuitProbeSuccessThreshold'],
  Filter: ['organizationId', 'slug'],
  Transform: ['organizationId', 'slug', 'inputFormat', 'outputFormat'],
  Schema: ['organizationId', 'slug', 'routes'],
  InboundEvent: ['organizationId', 'sourceName', 'sourceSlug', 'deliveryStats'],
  EventDetail: ['sourceName', 'deliveries[].destinationName', 'deliveries[].destinationUrl'],
  Delivery: ['organizationId', 'responseBody', 'duration'],
};

/** In an order that works: each create keeps its id for the later methods. */
export const SDK_INBOUND: readonly SdkCase[] = [
  {
    method: 'sources.create', source: R('sources'),
    request: (s) => ({ method: 'POST', path: '/api/sources', body: { name: 'SDK Stripe', slug: s.sourceSlug, description: 'payments', provider: 'generic', verifySignature: false, dedupStrategy: 'payload_hash', dedupWindow: 600, transientMode: false } }),
    reads: under('source', SOURCE),
    echoes: (s) => [['source.slug', s.sourceSlug], ['source.description', 'payments'], ['source.dedupStrategy', 'payload_hash'], ['source.dedupWindow', 600]],
    keep: (b, s) => {
      s.source = idOf(b, 'source');
      s.ingestUrl = String((b.source as Record<string, unknown>).ingestUrl);
    },
  },
  { method: 'sources.list', source: R('sources'), request: () => ({ method: 'GET', path: '/api/sources?page=1&pageSize=20' }), reads: [...each('sources', SOURCE), ...pageEnvelope] },
  { method: 'sources.get', source: R('sources'), request: (s) => ({ method: 'GET', path: `/api/sources/${s.source}` }), reads: under('source', SOURCE), echoes: (s) => [['source.id', s.source]] },
  {
    method: 'sources.update', source: R('sources'), readBack: (s) => ({ method: 'GET', path: `/api/sources/${s.source}` }), request: (s) => ({ method: 'PATCH', path: `/api/sources/${s.source}`, body: { name: 'SDK Stripe live', ipFilterMode: 'none', rateLimit: 100, rateLimitWindow: 60 } }),
    reads: [], echoes: () => [['source.name', 'SDK Stripe live'], ['source.rateLimit', 100], ['source.rateLimitWindow', 60]],
  },
  {
    method: 'destinations.create', source: R('destinations'),
    request: (s) => ({ method: 'POST', path: '/api/destinations', body: { name: 'SDK billing', url: s.receiverUrl, method: 'POST', headers: { 'x-team': 'billing' }, authType: 'bearer', authConfig: { token: 'tok_sdk_official' }, retryCount: 2, retryInterval: 1 } }),
    reads: under('destination', DESTINATION), echoes: (s) => [['destination.url', s.receiverUrl], ['destination.headers', { 'x-team': 'billing' }], ['destination.authType', 'bearer'], ['destination.retryCount', 2]],
    keep: (b, s) => (s.destination = idOf(b, 'destination')),
  },
  { method: 'destinations.list', source: R('destinations'), request: () => ({ method: 'GET', path: '/api/destinations?page=1&pageSize=20' }), reads: [...each('destinations', DESTINATION), ...pageEnvelope] },
  { method: 'destinations.get', source: R('destinations'), request: (s) => ({ method: 'GET', path: `/api/destinations/${s.destination}` }), reads: under('destination', DESTINATION) },
  {
    method: 'destinations.update', source: R('destinations'), readBack: (s) => ({ method: 'GET', path: `/api/destinations/${s.destination}` }), request: (s) => ({ method: 'PATCH', path: `/api/destinations/${s.destination}`, body: { description: 'the billing service', retryCount: 3 } }),
    reads: [], echoes: () => [['destination.description', 'the billing service'], ['destination.retryCount', 3]],
  },
  {
    method: 'filters.create', source: R('filters'), request: () => ({ method: 'POST', path: '/api/filters', body: { name: 'Paid', conditions: [{ field: 'type', operator: 'equals', value: 'invoice.paid' }], logic: 'and' } }),
    reads: under('filter', FILTER), echoes: () => [['filter.conditions', [{ field: 'type', operator: 'equals', value: 'invoice.paid' }]], ['filter.logic', 'and']],
    keep: (b, s) => (s.filter = idOf(b, 'filter')),
  },
  { method: 'filters.list', source: R('filters'), request: () => ({ method: 'GET', path: '/api/filters?page=1&pageSize=20' }), reads: [...each('filters', FILTER), ...pageEnvelope] },
  { method: 'filters.get', source: R('filters'), request: (s) => ({ method: 'GET', path: `/api/filters/${s.filter}` }), reads: under('filter', FILTER) },
  { method: 'filters.update', source: R('filters'), readBack: (s) => ({ method: 'GET', path: `/api/filters/${s.filter}` }), request: (s) => ({ method: 'PATCH', path: `/api/filters/${s.filter}`, body: { logic: 'or' } }), reads: [], echoes: () => [['filter.logic', 'or']] },
  {
    method: 'transforms.create', source: R('transforms'), request: () => ({ method: 'POST', path: '/api/transforms', body: { name: 'Slim', transformType: 'jsonata', code: '{"kind": type}' } }),
    reads: under('transform', TRANSFORM), echoes: () => [['transform.transformType', 'jsonata'], ['transform.code', '{"kind": type}']],
    keep: (b, s) => (s.transform = idOf(b, 'transform')),
  },
  { method: 'transforms.list', source: R('transforms'), request: () => ({ method: 'GET', path: '/api/transforms?page=1&pageSize=20' }), reads: [...each('transforms', TRANSFORM), ...pageEnvelope] },
  { method: 'transforms.get', source: R('transforms'), request: (s) => ({ method: 'GET', path: `/api/transforms/${s.transform}` }), reads: under('transform', TRANSFORM) },
  {
    method: 'transforms.update', source: R('transforms'), readBack: (s) => ({ method: 'GET', path: `/api/transforms/${s.transform}` }), request: (s) => ({ method: 'PATCH', path: `/api/transforms/${s.transform}`, body: { code: '{"k": type}' } }),
    reads: [], echoes: () => [['transform.code', '{"k": type}'], ['transform.version', 2]],
  },
  {
    method: 'transforms.test', source: R('transforms'), request: () => ({ method: 'POST', path: '/api/transforms/test', body: { transformType: 'jsonata', code: '$uppercase(name)', payload: { name: 'ada' } } }),
    reads: ['success', 'output', 'executionTimeMs'], echoes: () => [['success', true], ['output', 'ADA']],
  },
  {
    method: 'filters.test', source: R('filters'),
    request: () => ({ method: 'POST', path: '/api/filters/test', body: { conditions: [{ field: 'type', operator: 'equals', value: 'invoice.paid' }, { field: 'amount', operator: 'greater_than', value: 100 }], logic: 'and', payload: { type: 'invoice.paid', amount: 50 } } }),
    reads: ['matches', 'results[].passed', 'logic'], echoes: () => [['matches', false], ['results', [{ passed: true }, { passed: false }]], ['logic', 'and']],
  },
  {
    method: 'schemas.create', source: R('schemas'),
    request: () => ({ method: 'POST', path: '/api/schemas', body: { name: 'Invoice', description: 'an invoice', jsonSchema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } } }),
    reads: under('schema', SCHEMA), echoes: () => [['schema.jsonSchema', { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }]],
    keep: (b, s) => (s.schema = idOf(b, 'schema')),
  },
  // The SDK reads only `schemas` here (src/resources/schemas.ts list: total is the page's length).
  { method: 'schemas.list', source: R('schemas'), request: () => ({ method: 'GET', path: '/api/schemas?page=1&pageSize=50' }), reads: each('schemas', SCHEMA) },
  { method: 'schemas.get', source: R('schemas'), request: (s) => ({ method: 'GET', path: `/api/schemas/${s.schema}` }), reads: under('schema', SCHEMA) },
  // The SDK changes a schema with PUT (the others with PATCH).
  { method: 'schemas.update', source: R('schemas'), readBack: (s) => ({ method: 'GET', path: `/api/schemas/${s.schema}` }), request: (s) => ({ method: 'PUT', path: `/api/schemas/${s.schema}`, body: { description: 'an invoice, v2' } }), reads: [], echoes: () => [['schema.description', 'an invoice, v2']] },
  { method: 'schemas.validate', source: R('schemas'), request: (s) => ({ method: 'POST', path: `/api/schemas/${s.schema}/validate`, body: { payload: { id: 7 } } }), reads: ['valid', 'errors[]'], echoes: () => [['valid', false]] },
  {
    method: 'routes.create', source: R('routes'),
    request: (s) => ({ method: 'POST', path: '/api/routes', body: { name: 'Paid to billing', sourceId: s.source, destinationId: s.destination, filterId: s.filter, transformId: s.transform, priority: 3, notifyOnFailure: true, notifyEmails: 'ops@example.com' } }),
    reads: under('route', ROUTE), echoes: (s) => [['route.sourceId', s.source], ['route.destinationId', s.destination], ['route.filterId', s.filter], ['route.transformId', s.transform], ['route.priority', 3], ['route.notifyEmails', 'ops@example.com']],
    keep: (b, s) => (s.route = idOf(b, 'route')),
  },
  { method: 'routes.list', source: R('routes'), request: (s) => ({ method: 'GET', path: `/api/routes?page=1&pageSize=20&sourceId=${s.source}` }), reads: [...each('routes', ROUTE), ...pageEnvelope] },
  { method: 'routes.get', source: R('routes'), request: (s) => ({ method: 'GET', path: `/api/routes/${s.route}` }), reads: under('route', ROUTE) },
  {
    method: 'routes.update', source: R('routes'), readBack: (s) => ({ method: 'GET', path: `/api/routes/${s.route}` }), request: (s) => ({ method: 'PATCH', path: `/api/routes/${s.route}`, body: { filterId: null, filterConditions: [{ field: 'type', operator: 'starts_with', value: 'invoice.' }], filterLogic: 'and' } }),
    reads: [], echoes: () => [['route.filterId', null], ['route.filterConditions', [{ field: 'type', operator: 'starts_with', value: 'invoice.' }]], ['route.filterLogic', 'and']],
  },
  // (The test posts a webhook to the source's ingestUrl before the traffic methods.)
  { method: 'events.list', source: R('events'), request: (s) => ({ method: 'GET', path: `/api/events?limit=10&offset=0&sourceId=${s.source}` }), reads: [...each('events', EVENT), 'total', 'limit', 'offset'], keep: (b, s) => (s.event = String((b.events as Record<string, unknown>[])[0]?.id)) },
  // events.get returns `{...event, deliveries: response.deliveries ?? []}`: the deliveries are read beside `event`.
  { method: 'events.get', source: R('events'), request: (s) => ({ method: 'GET', path: `/api/events/${s.event}` }), reads: [...under('event', EVENT_DETAIL), ...each('deliveries', ['id', 'destinationId', 'status', 'statusCode', 'attempts', 'createdAt', 'completedAt'])], echoes: (s) => [['event.id', s.event]] },
  // deliveries.list computes total from the page and hasMore from `limit`.
  { method: 'deliveries.list', source: R('deliveries'), request: (s) => ({ method: 'GET', path: `/api/deliveries?limit=10&offset=0&eventId=${s.event}` }), reads: [...each('deliveries', DELIVERY), 'limit', 'offset'], echoes: (s) => [['deliveries.0.eventId', s.event]], keep: (b, s) => (s.delivery = String((b.deliveries as Record<string, unknown>[])[0]?.id)) },
  { method: 'deliveries.get', source: R('deliveries'), request: (s) => ({ method: 'GET', path: `/api/deliveries/${s.delivery}` }), reads: under('delivery', DELIVERY), echoes: (s) => [['delivery.id', s.delivery]] },
  { method: 'deliveries.replay', source: R('deliveries'), request: (s) => ({ method: 'POST', path: `/api/deliveries/${s.delivery}/replay` }), reads: ['deliveryId', 'message'], echoes: (s) => [['deliveryId', s.delivery]] },
  // (The test sends an outbound message to a failing endpoint until it is exhausted, before the DLQ methods.)
  { method: 'dlq.list', source: R('dlq'), request: () => ({ method: 'GET', path: '/api/outbound-messages/dlq/messages?limit=50' }), reads: [...each('data', DLQ_MESSAGE), 'pagination.hasMore'], keep: (b, s) => (s.dead = String((b.data as Record<string, unknown>[])[0]?.id)) },
  {
    method: 'dlq.getStats', source: R('dlq'), request: () => ({ method: 'GET', path: '/api/outbound-messages/dlq/stats' }),
    reads: ['data.total', 'data.byReason', 'data.topFailingEndpoints[].endpointId', 'data.topFailingEndpoints[].endpointUrl', 'data.topFailingEndpoints[].count'],
    echoes: () => [['data.total', 1], ['data.byReason', { max_attempts_exceeded: 1 }]],
  },
  { method: 'dlq.retry', source: R('dlq'), request: (s) => ({ method: 'POST', path: `/api/outbound-messages/dlq/${s.dead}/retry` }), reads: ['data.originalMessageId', 'data.newMessageId', 'data.status'], echoes: (s) => [['data.originalMessageId', s.dead]] },
  { method: 'routes.delete', source: R('routes'), request: (s) => ({ method: 'DELETE', path: `/api/routes/${s.route}` }), reads: [] },
  { method: 'schemas.delete', source: R('schemas'), request: (s) => ({ method: 'DELETE', path: `/api/schemas/${s.schema}` }), reads: [] },
  { method: 'transforms.delete', source: R('transforms'), request: (s) => ({ method: 'DELETE', path: `/api/transforms/${s.transform}` }), reads: [] },
  { method: 'filters.delete', source: R('filters'), request: (s) => ({ method: 'DELETE', path: `/api/filters/${s.filter}` }), reads: [] },
  { method: 'destinations.delete', source: R('destinations'), request: (s) => ({ method: 'DELETE', path: `/api/destinations/${s.destination}` }), reads: [] },
  { method: 'sources.delete', source: R('sources'), request: (s) => ({ method: 'DELETE', path: `/api/sources/${s.source}` }), reads: [] },
];
