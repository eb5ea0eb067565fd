import type { EndpointDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';

// Subscription counts. Until the subscription read model exists, an endpoint's subscriptions are its event-type filter.

export const subscriptionCountOfEndpoint = async (_deps: ApiDeps, endpoint: EndpointDoc): Promise<number> => endpoint.eventTypes.length;

export const subscriptionCountOfEventType = async (_deps: ApiDeps, _name: string): Promise<number> => 0;
