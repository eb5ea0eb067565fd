import type { Event } from '../decider';
import type { FilterDefinition } from './filters';

/**
 * A route's settings, named as the official SDK's `Route` (src/types/index.ts). The circuit fields of that type are
 * the dispatcher's running state, not settings; notification flags are kept as data (nothing sends them yet).
 */
export type RouteSettings = {
  name: string;
  sourceId: string;
  destinationId: string;
  /** A named filter, or an inline one (`filter`): not both. */
  filterId: string | null;
  filter: FilterDefinition | null;
  transformId: string | null;
  schemaId: string | null;
  /** Higher first when an event matches several routes. */
  priority: number;
  notifyOnFailure: boolean;
  notifyOnSuccess: boolean;
  notifyOnRecovery: boolean;
  /** Comma-separated addresses, as the clients send them. */
  notifyEmails: string | null;
  failureThreshold: number | null;
  /** Tried in order once `failoverAfterAttempts` attempts at the destination have failed. */
  failoverDestinationIds: string[];
  failoverAfterAttempts: number | null;
  /** Kept as data: what the destination is expected to answer. */
  expectedResponse: string | null;
};

export type RouteCreated = Event<'RouteCreated', RouteSettings & { routeId: string; isActive: boolean; createdAt: string }>;
export type RouteUpdated = Event<'RouteUpdated', RouteSettings & { routeId: string; updatedAt: string }>;
export type RouteActivated = Event<'RouteActivated', { routeId: string; activatedAt: string }>;
export type RouteDeactivated = Event<'RouteDeactivated', { routeId: string; deactivatedAt: string }>;
export type RouteDeleted = Event<'RouteDeleted', { routeId: string; sourceId: string; deletedAt: string }>;

export type RouteEvent = RouteCreated | RouteUpdated | RouteActivated | RouteDeactivated | RouteDeleted;

export type Route = Readonly<RouteSettings & { id: string; isActive: boolean; createdAt: string; updatedAt: string }>;

export type RouteState = Readonly<{ status: 'empty' }> | Readonly<{ status: 'active'; route: Route }> | Readonly<{ status: 'deleted'; route: Route }>;

export const initialRouteState = (): RouteState => ({ status: 'empty' });

const change = (state: RouteState, patch: Partial<Route>): RouteState => (state.status === 'active' ? { status: 'active', route: { ...state.route, ...patch } } : state);

export const evolveRoute = (state: RouteState, event: RouteEvent): RouteState => {
  switch (event.type) {
    case 'RouteCreated': {
      const { routeId, createdAt, ...rest } = event.data;
      return { status: 'active', route: { ...rest, id: routeId, createdAt, updatedAt: createdAt } };
    }
    case 'RouteUpdated': {
      const { routeId: _id, updatedAt, ...settings } = event.data;
      return change(state, { ...settings, updatedAt });
    }
    case 'RouteActivated':
      return change(state, { isActive: true, updatedAt: event.data.activatedAt });
    case 'RouteDeactivated':
      return change(state, { isActive: false, updatedAt: event.data.deactivatedAt });
    case 'RouteDeleted':
      return state.status === 'active' ? { status: 'deleted', route: state.route } : state;
    default: {
      const never: never = event;
      return never;
    }
  }
};
