// The one table of REST routes: every resource method names an operation id from here,
// so a path lives in exactly one place. Ids follow the API's `v1.<resource>.<action>` naming.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  method: HttpMethod;
  path: string;
}

const APP = '/v1/applications/{appId}';

export const routes = {
  'v1.application.create': { method: 'POST', path: '/v1/applications' },
  'v1.application.list': { method: 'GET', path: '/v1/applications' },
  'v1.application.get': { method: 'GET', path: APP },
  'v1.application.getByUid': { method: 'GET', path: '/v1/applications/uid/{uid}' },
  'v1.application.getOrCreate': { method: 'PUT', path: '/v1/applications/uid/{uid}' },
  'v1.application.update': { method: 'PATCH', path: APP },
  'v1.application.delete': { method: 'DELETE', path: APP },

  'v1.eventType.create': { method: 'POST', path: '/v1/event-types' },
  'v1.eventType.list': { method: 'GET', path: '/v1/event-types' },
  'v1.eventType.get': { method: 'GET', path: '/v1/event-types/{name}' },
  'v1.eventType.update': { method: 'PATCH', path: '/v1/event-types/{name}' },
  'v1.eventType.archive': { method: 'DELETE', path: '/v1/event-types/{name}' },
  'v1.eventType.unarchive': { method: 'POST', path: '/v1/event-types/{name}/unarchive' },

  'v1.endpoint.create': { method: 'POST', path: `${APP}/endpoints` },
  'v1.endpoint.list': { method: 'GET', path: `${APP}/endpoints` },
  'v1.endpoint.get': { method: 'GET', path: `${APP}/endpoints/{endpointId}` },
  'v1.endpoint.update': { method: 'PATCH', path: `${APP}/endpoints/{endpointId}` },
  'v1.endpoint.delete': { method: 'DELETE', path: `${APP}/endpoints/{endpointId}` },
  'v1.endpoint.setSubscriptions': { method: 'PUT', path: `${APP}/endpoints/{endpointId}/subscriptions` },
  'v1.endpoint.rotateSecret': { method: 'POST', path: `${APP}/endpoints/{endpointId}/rotate-secret` },
  'v1.endpoint.enable': { method: 'POST', path: `${APP}/endpoints/{endpointId}/enable` },
  'v1.endpoint.disable': { method: 'POST', path: `${APP}/endpoints/{endpointId}/disable` },
  'v1.endpoint.test': { method: 'POST', path: `${APP}/endpoints/{endpointId}/test` },
  'v1.endpoint.recover': { method: 'POST', path: `${APP}/endpoints/{endpointId}/recover` },
  'v1.endpoint.getStats': { method: 'GET', path: `${APP}/endpoints/{endpointId}/stats` },

  'v1.message.send': { method: 'POST', path: `${APP}/messages` },
  'v1.message.list': { method: 'GET', path: `${APP}/messages` },
  'v1.message.get': { method: 'GET', path: `${APP}/messages/{messageId}` },
  'v1.message.resend': { method: 'POST', path: `${APP}/messages/{messageId}/resend` },
  'v1.message.history': { method: 'GET', path: `${APP}/messages/{messageId}/history` },

  'v1.outbound.list': { method: 'GET', path: `${APP}/outbound` },
  'v1.outbound.get': { method: 'GET', path: `${APP}/outbound/{outboundId}` },
  'v1.outbound.listAttempts': { method: 'GET', path: `${APP}/outbound/{outboundId}/attempts` },
  'v1.outbound.retry': { method: 'POST', path: `${APP}/outbound/{outboundId}/retry` },
  'v1.outbound.receipt': { method: 'GET', path: `${APP}/outbound/{outboundId}/receipt` },

  'v1.portalToken.create': { method: 'POST', path: `${APP}/portal-tokens` },
  'v1.portalToken.revoke': { method: 'DELETE', path: '/v1/portal-tokens/{tokenId}' },
  // Inbound (docs/inbound.md): sources, destinations, routes, filters, transforms, schemas; events, deliveries, DLQ.
  'v1.source.create': { method: 'POST', path: '/v1/sources' },
  'v1.source.list': { method: 'GET', path: '/v1/sources' },
  'v1.source.get': { method: 'GET', path: '/v1/sources/{sourceId}' },
  'v1.source.update': { method: 'PATCH', path: '/v1/sources/{sourceId}' },
  'v1.source.delete': { method: 'DELETE', path: '/v1/sources/{sourceId}' },
  'v1.source.rotateSecret': { method: 'POST', path: '/v1/sources/{sourceId}/rotate-secret' },
  'v1.destination.create': { method: 'POST', path: '/v1/destinations' },
  'v1.destination.list': { method: 'GET', path: '/v1/destinations' },
  'v1.destination.get': { method: 'GET', path: '/v1/destinations/{destinationId}' },
  'v1.destination.update': { method: 'PATCH', path: '/v1/destinations/{destinationId}' },
  'v1.destination.delete': { method: 'DELETE', path: '/v1/destinations/{destinationId}' },
  'v1.route.create': { method: 'POST', path: '/v1/routes' },
  'v1.route.list': { method: 'GET', path: '/v1/routes' },
  'v1.route.get': { method: 'GET', path: '/v1/routes/{routeId}' },
  'v1.route.update': { method: 'PATCH', path: '/v1/routes/{routeId}' },
  'v1.route.delete': { method: 'DELETE', path: '/v1/routes/{routeId}' },
  'v1.filter.create': { method: 'POST', path: '/v1/filters' },
  'v1.filter.list': { method: 'GET', path: '/v1/filters' },
  'v1.filter.get': { method: 'GET', path: '/v1/filters/{filterId}' },
  'v1.filter.update': { method: 'PATCH', path: '/v1/filters/{filterId}' },
  'v1.filter.delete': { method: 'DELETE', path: '/v1/filters/{filterId}' },
  'v1.transform.create': { method: 'POST', path: '/v1/transforms' },
  'v1.transform.list': { method: 'GET', path: '/v1/transforms' },
  'v1.transform.get': { method: 'GET', path: '/v1/transforms/{transformId}' },
  'v1.transform.update': { method: 'PATCH', path: '/v1/transforms/{transformId}' },
  'v1.transform.delete': { method: 'DELETE', path: '/v1/transforms/{transformId}' },
  'v1.transform.test': { method: 'POST', path: '/v1/transforms/test' },
  'v1.transform.testSaved': { method: 'POST', path: '/v1/transforms/{transformId}/test' },
  'v1.schema.create': { method: 'POST', path: '/v1/schemas' },
  'v1.schema.list': { method: 'GET', path: '/v1/schemas' },
  'v1.schema.get': { method: 'GET', path: '/v1/schemas/{schemaId}' },
  'v1.schema.update': { method: 'PATCH', path: '/v1/schemas/{schemaId}' },
  'v1.schema.delete': { method: 'DELETE', path: '/v1/schemas/{schemaId}' },
  'v1.schema.validate': { method: 'POST', path: '/v1/schemas/{schemaId}/validate' },
  'v1.inboundEvent.list': { method: 'GET', path: '/v1/inbound-events' },
  'v1.inboundEvent.get': { method: 'GET', path: '/v1/inbound-events/{eventId}' },
  'v1.inboundEvent.replay': { method: 'POST', path: '/v1/inbound-events/{eventId}/replay' },
  'v1.inboundDelivery.list': { method: 'GET', path: '/v1/inbound-deliveries' },
  'v1.inboundDelivery.get': { method: 'GET', path: '/v1/inbound-deliveries/{deliveryId}' },
  'v1.inboundDelivery.replay': { method: 'POST', path: '/v1/inbound-deliveries/{deliveryId}/replay' },
  'v1.dlq.list': { method: 'GET', path: '/v1/dlq' },
  'v1.dlq.retry': { method: 'POST', path: '/v1/dlq/retry' },
  'v1.dlq.delete': { method: 'POST', path: '/v1/dlq/delete' },
} as const satisfies Record<string, Route>;

export type OperationId = keyof typeof routes;

type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? Name | ParamNames<Rest> : never;

/** `{appId: string, endpointId: string}` for `/v1/applications/{appId}/endpoints/{endpointId}`. */
export type PathParams<Op extends OperationId> = Record<ParamNames<(typeof routes)[Op]['path']>, string>;
