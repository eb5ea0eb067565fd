import type { AnyRoute } from '../route';
import { apiKeyRoutes } from './apiKeys.routes';
import { applicationRoutes } from './applications.routes';
import { dlqRoutes } from './dlq.routes';
import { inboundCompatRoutes } from './inbound.routes';
import { endpointRoutes } from './endpoints.routes';
import { eventTypeRoutes } from './eventTypes.routes';
import { messageRoutes } from './messages.routes';
import { notOfferedRoutes } from './notOffered';
import { analyticsRoute, authRoutes, dashboardRoute, endpointAnalyticsRoute } from './organizations.routes';
import { portalTokenRoutes } from './portalTokens.routes';
import { subscriptionRoutes } from './subscriptions.routes';
import { underOrganization } from './wire';

const resourceRoutes: readonly AnyRoute[] = [
  ...applicationRoutes,
  ...eventTypeRoutes,
  ...endpointRoutes,
  ...subscriptionRoutes,
  ...dlqRoutes,
  ...messageRoutes,
  ...portalTokenRoutes,
  ...apiKeyRoutes,
  dashboardRoute,
  ...inboundCompatRoutes,
];

/** COMPAT.md's /api surface: every resource route, the same again under /api/organizations/{orgId}, and the MCP server's two. */
export const compatRoutes: readonly AnyRoute[] = [
  ...authRoutes,
  ...resourceRoutes,
  ...resourceRoutes.map(underOrganization),
  underOrganization(analyticsRoute),
  underOrganization(endpointAnalyticsRoute),
  ...notOfferedRoutes(),
];
