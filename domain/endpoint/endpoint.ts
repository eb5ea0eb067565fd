import type { Event } from '../decider';
import type { JsonObject } from '../json';
import type { SealedSecret } from '../secretBox';

export type EndpointSettings = {
  url: string;
  description: string;
  /** Empty = every event type. */
  eventTypes: string[];
  headers: { [name: string]: string };
  rateLimitPerSecond: number | null;
  timeoutSeconds: number;
  /** Seconds; null = the configured schedule. */
  retryDelays: number[] | null;
  metadata: JsonObject;
};

export type EndpointCreated = Event<
  'EndpointCreated',
  EndpointSettings & { endpointId: string; applicationId: string; disabled: boolean; secret: SealedSecret; createdAt: string }
>;
export type EndpointUpdated = Event<'EndpointUpdated', EndpointSettings & { endpointId: string; updatedAt: string }>;
export type EndpointSubscriptionsChanged = Event<'EndpointSubscriptionsChanged', { endpointId: string; eventTypes: string[]; changedAt: string }>;
export type EndpointSecretRotated = Event<
  'EndpointSecretRotated',
  { endpointId: string; secret: SealedSecret; previousSecret: SealedSecret; previousSecretExpiresAt: string; rotatedAt: string }
>;
export type EndpointDisabled = Event<'EndpointDisabled', { endpointId: string; reason: string; disabledAt: string }>;
export type EndpointEnabled = Event<'EndpointEnabled', { endpointId: string; enabledAt: string }>;
export type EndpointDeleted = Event<'EndpointDeleted', { endpointId: string; deletedAt: string }>;

export type CircuitState = 'closed' | 'open' | 'half_open';
/** The dispatcher's circuit breaker: after repeated failures deliveries wait instead of burning attempts. */
export type EndpointCircuitOpened = Event<
  'EndpointCircuitOpened',
  { endpointId: string; consecutiveFailures: number; lastError: string; openedAt: string; probeAt: string }
>;
export type EndpointCircuitHalfOpened = Event<'EndpointCircuitHalfOpened', { endpointId: string; halfOpenedAt: string }>;
export type EndpointCircuitClosed = Event<'EndpointCircuitClosed', { endpointId: string; closedAt: string }>;

export type EndpointEvent =
  | EndpointCreated
  | EndpointUpdated
  | EndpointSubscriptionsChanged
  | EndpointSecretRotated
  | EndpointDisabled
  | EndpointEnabled
  | EndpointDeleted
  | EndpointCircuitOpened
  | EndpointCircuitHalfOpened
  | EndpointCircuitClosed;

export type PreviousSecret = Readonly<{ secret: SealedSecret; expiresAt: string }>;

export type Endpoint = Readonly<
  EndpointSettings & {
    id: string;
    applicationId: string;
    disabled: boolean;
    disabledReason: string | null;
    circuit: CircuitState;
    secret: SealedSecret;
    previousSecrets: readonly PreviousSecret[];
    createdAt: string;
    updatedAt: string;
  }
>;

export type EndpointState =
  | Readonly<{ status: 'empty' }>
  | Readonly<{ status: 'active'; endpoint: Endpoint }>
  | Readonly<{ status: 'deleted'; endpoint: Endpoint }>;

export const initialEndpointState = (): EndpointState => ({ status: 'empty' });

const change = (state: EndpointState, patch: Partial<Endpoint>): EndpointState =>
  state.status === 'active' ? { status: 'active', endpoint: { ...state.endpoint, ...patch } } : state;

export const evolveEndpoint = (state: EndpointState, event: EndpointEvent): EndpointState => {
  switch (event.type) {
    case 'EndpointCreated': {
      const { endpointId, createdAt, ...rest } = event.data;
      return {
        status: 'active',
        endpoint: { ...rest, id: endpointId, disabledReason: null, circuit: 'closed', previousSecrets: [], createdAt, updatedAt: createdAt },
      };
    }
    case 'EndpointUpdated': {
      const { endpointId: _id, updatedAt, ...settings } = event.data;
      return change(state, { ...settings, updatedAt });
    }
    case 'EndpointSubscriptionsChanged':
      return change(state, { eventTypes: event.data.eventTypes, updatedAt: event.data.changedAt });
    case 'EndpointSecretRotated': {
      if (state.status !== 'active') return state;
      const stillValid = state.endpoint.previousSecrets.filter((p) => p.expiresAt > event.data.rotatedAt);
      return change(state, {
        secret: event.data.secret,
        previousSecrets: [...stillValid, { secret: event.data.previousSecret, expiresAt: event.data.previousSecretExpiresAt }],
        updatedAt: event.data.rotatedAt,
      });
    }
    case 'EndpointDisabled':
      return change(state, { disabled: true, disabledReason: event.data.reason, updatedAt: event.data.disabledAt });
    case 'EndpointEnabled':
      // Enabling starts afresh: a closed circuit.
      return change(state, { disabled: false, disabledReason: null, circuit: 'closed', updatedAt: event.data.enabledAt });
    case 'EndpointCircuitOpened':
      return change(state, { circuit: 'open' });
    case 'EndpointCircuitHalfOpened':
      return change(state, { circuit: 'half_open' });
    case 'EndpointCircuitClosed':
      return change(state, { circuit: 'closed' });
    case 'EndpointDeleted':
      return state.status === 'active' ? { status: 'deleted', endpoint: state.endpoint } : state;
    default: {
      const never: never = event;
      return never;
    }
  }
};

/** Whether an endpoint receives a message of this event type (an empty filter means every type). */
export const endpointWants = (endpoint: Pick<Endpoint, 'eventTypes' | 'disabled'>, eventType: string): boolean =>
  !endpoint.disabled && (endpoint.eventTypes.length === 0 || endpoint.eventTypes.includes(eventType));
