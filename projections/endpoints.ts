import { evolveEndpoint } from '../domain/endpoint/endpoint';
import type { EndpointEvent } from '../domain/endpoint/endpoint';
import type { HookbaseEvent } from '../domain/events';
import { collections } from './readModels';
import type { EndpointDoc } from './readModels';
import { projection } from './projection';

const ENDPOINT_EVENTS = [
  'EndpointCreated',
  'EndpointUpdated',
  'EndpointSubscriptionsChanged',
  'EndpointSecretRotated',
  'EndpointDisabled',
  'EndpointEnabled',
  'EndpointDeleted',
  'EndpointCircuitOpened',
  'EndpointCircuitHalfOpened',
  'EndpointCircuitClosed',
] as const;

const isEndpointEvent = (e: HookbaseEvent): e is EndpointEvent => (ENDPOINT_EVENTS as readonly string[]).includes(e.type);

/** The document is the aggregate's own state, folded by the same `evolve`. */
export const endpointsProjection = projection('endpoints', [collections.endpoints], ENDPOINT_EVENTS, async (event, tx) => {
  if (!isEndpointEvent(event)) return;
  const endpoints = tx.collection<EndpointDoc>(collections.endpoints);
  const id = event.data.endpointId;
  const current = event.type === 'EndpointCreated' ? null : await endpoints.get(id);
  const state = evolveEndpoint(
    current ? { status: 'active', endpoint: { ...current, previousSecrets: current.previousSecrets } } : { status: 'empty' },
    event,
  );
  if (state.status === 'deleted') return endpoints.delete(id);
  if (state.status !== 'active') return;
  await endpoints.put({ ...state.endpoint, previousSecrets: [...state.endpoint.previousSecrets] });
});
