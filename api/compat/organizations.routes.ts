import { defineRoute } from '../route';
import { dashboard, endpointAnalytics, TIME_RANGES, webhookAnalytics } from './analytics';
import type { TimeRange } from './analytics';
import { requireEndpointById, shapeEndpoint } from './endpoints.routes';
import { organizationsSchema } from './organizations.mapping';
import { dataSchema, one, organizationOf } from './wire';

/** The MCP server's needs: who the key belongs to, and delivery counts by status and day. */
export const authRoutes = [
  defineRoute({
    operationId: 'api.auth.me',
    method: 'GET',
    path: '/api/auth/me',
    summary: 'The organization of this server (one), unwrapped: {organizations: [{id, name, slug}]}',
    auth: 'admin',
    response: { status: 200, schema: organizationsSchema },
    handle: async ({ deps }) => ({ status: 200, body: { organizations: [{ ...organizationOf(deps.config) }] } }),
  }),
];

const timeRangeSchema = { enum: Object.keys(TIME_RANGES) };

export const analyticsRoute = defineRoute<undefined, { days?: number; timeRange?: TimeRange; applicationId?: string; endpointId?: string }>({
  operationId: 'api.webhooks.analytics',
  method: 'GET',
  path: '/api/webhooks/analytics',
  summary: 'Deliveries over `timeRange` (1h, 24h, 7d, 30d) or the last `days` UTC days: counts, success rate, latency, top failing endpoints, by day',
  auth: 'admin',
  query: {
    type: 'object',
    properties: { days: { type: 'integer', minimum: 1, maximum: 90 }, timeRange: timeRangeSchema, applicationId: { type: 'string' }, endpointId: { type: 'string' } },
  },
  response: { status: 200, schema: dataSchema({ type: 'object' }) },
  handle: async ({ deps, query }) => {
    if (query.endpointId !== undefined) await requireEndpointById(deps, query.endpointId);
    return { status: 200, body: one(await webhookAnalytics(deps, query)) };
  },
});

export const endpointAnalyticsRoute = defineRoute<undefined, { timeRange?: TimeRange }>({
  operationId: 'api.webhooks.endpointAnalytics',
  method: 'GET',
  path: '/api/webhooks/analytics/endpoints/{endpointId}',
  summary: "One endpoint over `timeRange` (default 24h): circuit state, lifetime totals, counts by status, average latency, the latest 100 attempts",
  auth: 'admin',
  query: { type: 'object', properties: { timeRange: timeRangeSchema } },
  response: { status: 200, schema: dataSchema({ type: 'object' }) },
  handle: async ({ deps, params, query }) => {
    const endpoint = await requireEndpointById(deps, params.endpointId ?? '');
    const shaped = await shapeEndpoint(deps, endpoint);
    const lifetime = Object.fromEntries(LIFETIME.map((k) => [k, shaped[k] ?? null]));
    return { status: 200, body: one(await endpointAnalytics(deps, endpoint, lifetime, query.timeRange)) };
  },
});

const LIFETIME = ['totalMessages', 'totalSuccesses', 'totalFailures', 'avgResponseTimeMs', 'lastSuccessAt', 'lastFailureAt', 'lastResponseStatus'] as const;

export const dashboardRoute = defineRoute<undefined, { range?: TimeRange }>({
  operationId: 'api.analytics.dashboard',
  method: 'GET',
  path: '/api/analytics/dashboard',
  summary: 'Events and deliveries over `range` (1h, 24h, 7d, 30d; default 24h): overview, by hour, by status; unwrapped',
  auth: 'admin',
  query: { type: 'object', properties: { range: timeRangeSchema, startDate: { type: 'string' }, endDate: { type: 'string' } } },
  response: { status: 200, schema: { type: 'object', required: ['overview', 'eventsByHour', 'deliveriesByStatus'] } },
  handle: async ({ deps, query }) => ({ status: 200, body: await dashboard(deps, query.range ?? '24h') }),
});
