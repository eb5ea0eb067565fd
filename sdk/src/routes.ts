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
} as const satisfies Record<string, Route>;

export type OperationId = keyof typeof routes;

type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? Name | ParamNames<Rest> : never;

/** `{appId: string, endpointId: string}` for `/v1/applications/{appId}/endpoints/{endpointId}`. */
export type PathParams<Op extends OperationId> = Record<ParamNames<(typeof routes)[Op]['path']>, string>;
