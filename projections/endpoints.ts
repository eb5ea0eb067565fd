import { evolveEndpoint, routingFilterOf } from '../domain/endpoint/endpoint';
import type { Endpoint, EndpointEvent } from '../domain/endpoint/endpoint';
import { SUBSCRIPTION_EVENT_TYPES } from '../domain/endpoint/subscriptions';
import type { HookbaseEvent } from '../domain/events';
import { derivedSubscriptionId } from '../domain/ids';
import { collections } from './readModels';
import type { EndpointDoc } from './readModels';
import { projection } from './projection';

const ENDPOINT_EVENTS = [
  'EndpointCreated',
  'EndpointUpdated',
  'EndpointSubscriptionsChanged',
  ...SUBSCRIPTION_EVENT_TYPES,
  'EndpointSecretRotated',
  'EndpointDisabled',
  'EndpointEnabled',
  'EndpointDeleted',
  'EndpointCircuitOpened',
  'EndpointCircuitHalfOpened',
  'EndpointCircuitClosed',
] as const;

const isEndpointEvent = (e: HookbaseEvent): e is EndpointEvent => (ENDPOINT_EVENTS as readonly string[]).includes(e.type);

/** The aggregate's state from its document; one written before subscriptions had ids gets the ids its events imply. */
export const endpointFromDoc = (doc: EndpointDoc): Endpoint => {
  const { eventTypes, subscriptionCount: _count, subscriptions, ...rest } = doc;
  return {
    ...rest,
    subscriptions:
      subscriptions ??
      eventTypes.map((eventType) => ({ id: derivedSubscriptionId(doc.id, eventType), eventType, enabled: true, createdAt: doc.createdAt, updatedAt: doc.updatedAt })),
  };
};

export const endpointToDoc = (endpoint: Endpoint): EndpointDoc => ({
  ...endpoint,
  ...routingFilterOf(endpoint),
  subscriptions: endpoint.subscriptions.map((s) => ({ ...s })),
  previousSecrets: endpoint.previousSecrets.map((p) => ({ ...p })),
});

/** The document is the aggregate's own state, folded by the same `evolve`, plus the routing filter it implies. */
export const endpointsProjection = projection('endpoints', [collections.endpoints], ENDPOINT_EVENTS, async (event, tx) => {
  if (!isEndpointEvent(event)) return;
  const endpoints = tx.collection<EndpointDoc>(collections.endpoints);
  const id = event.data.endpointId;
  const current = event.type === 'EndpointCreated' ? null : await endpoints.get(id);
  const state = evolveEndpoint(current ? { status: 'active', endpoint: endpointFromDoc(current) } : { status: 'empty' }, event);
  if (state.status === 'deleted') return endpoints.delete(id);
  if (state.status !== 'active') return;
  await endpoints.put(endpointToDoc(state.endpoint));
});
