import { collections } from '../../projections/readModels';
import type { EndpointDoc, SubscriptionDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';

// Subscription counts, read from the read models.

/** Every subscription of the endpoint, enabled or not (the endpoints read model keeps the count). */
export const subscriptionCountOfEndpoint = async (_deps: ApiDeps, endpoint: EndpointDoc): Promise<number> =>
  endpoint.subscriptionCount ?? endpoint.eventTypes.length;

/** Subscriptions naming the event type, enabled or not (an index count). */
export const subscriptionCountOfEventType = async (deps: ApiDeps, name: string): Promise<number> =>
  deps.reads.collection<SubscriptionDoc>(collections.subscriptions).count({ eventTypeName: name });
