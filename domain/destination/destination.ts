import type { Event } from '../decider';
import type { SealedSecret } from '../secretBox';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type AuthType = 'none' | 'basic' | 'bearer' | 'api_key' | 'custom_header';

/** A destination's settings, named as the official SDK's `Destination` (src/types/index.ts); only `http` is delivered. */
export type DestinationSettings = {
  name: string;
  description: string | null;
  type: 'http';
  url: string;
  method: HttpMethod;
  headers: { [name: string]: string };
  authType: AuthType;
  /** The official `timeout`, in milliseconds (the MCP server's `timeoutMs`). */
  timeoutMs: number;
  /** Attempts after the first. */
  retryCount: number;
  /** Seconds before the first retry (the schedule grows from it). */
  retryInterval: number;
  rateLimit: number | null;
  rateLimitWindow: number;
};

/** `auth`: the credentials of `authType` (JSON), sealed with the master key before they enter the event; null for none. */
export type DestinationCreated = Event<
  'DestinationCreated',
  DestinationSettings & { destinationId: string; slug: string; isActive: boolean; auth: SealedSecret | null; createdAt: string }
>;
export type DestinationUpdated = Event<'DestinationUpdated', DestinationSettings & { destinationId: string; auth: SealedSecret | null; updatedAt: string }>;
export type DestinationActivated = Event<'DestinationActivated', { destinationId: string; activatedAt: string }>;
export type DestinationDeactivated = Event<'DestinationDeactivated', { destinationId: string; deactivatedAt: string }>;
export type DestinationDeleted = Event<'DestinationDeleted', { destinationId: string; deletedAt: string }>;

export type DestinationEvent = DestinationCreated | DestinationUpdated | DestinationActivated | DestinationDeactivated | DestinationDeleted;

export type Destination = Readonly<
  DestinationSettings & { id: string; slug: string; isActive: boolean; auth: SealedSecret | null; createdAt: string; updatedAt: string }
>;

export type DestinationState =
  | Readonly<{ status: 'empty' }>
  | Readonly<{ status: 'active'; destination: Destination }>
  | Readonly<{ status: 'deleted'; destination: Destination }>;

export const initialDestinationState = (): DestinationState => ({ status: 'empty' });

const change = (state: DestinationState, patch: Partial<Destination>): DestinationState =>
  state.status === 'active' ? { status: 'active', destination: { ...state.destination, ...patch } } : state;

export const evolveDestination = (state: DestinationState, event: DestinationEvent): DestinationState => {
  switch (event.type) {
    case 'DestinationCreated': {
      const { destinationId, createdAt, ...rest } = event.data;
      return { status: 'active', destination: { ...rest, id: destinationId, createdAt, updatedAt: createdAt } };
    }
    case 'DestinationUpdated': {
      const { destinationId: _id, updatedAt, ...settings } = event.data;
      return change(state, { ...settings, updatedAt });
    }
    case 'DestinationActivated':
      return change(state, { isActive: true, updatedAt: event.data.activatedAt });
    case 'DestinationDeactivated':
      return change(state, { isActive: false, updatedAt: event.data.deactivatedAt });
    case 'DestinationDeleted':
      return state.status === 'active' ? { status: 'deleted', destination: state.destination } : state;
    default: {
      const never: never = event;
      return never;
    }
  }
};
