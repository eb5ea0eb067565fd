import type { AnyRoute } from '../route';
import { portalApplicationRoutes } from './routes/application';
import { portalEndpointRoutes } from './routes/endpoints';
import { portalEventTypeRoutes } from './routes/eventTypes';
import { portalMessageRoutes } from './routes/messages';
import { portalSubscriptionRoutes } from './routes/subscriptions';

/** The portal API (COMPAT.md, "The portal API"): every route scoped to the portal token's application. */
export const portalRoutes: readonly AnyRoute[] = [
  ...portalApplicationRoutes,
  ...portalEndpointRoutes,
  ...portalEventTypeRoutes,
  ...portalSubscriptionRoutes,
  ...portalMessageRoutes,
];
