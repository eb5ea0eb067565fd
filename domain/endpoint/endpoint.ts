import type { Event } from '../decider';
import type { JsonObject } from '../json';
import type { SealedSecret } from '../secretBox';
import type { Subscription, SubscriptionEvent, SubscriptionRef } from './subscriptions';
import { enabledEventTypes, evolveSubscriptions, replaceSubscriptions, subscriptionEventTime } from './subscriptions';

export type EndpointSettings = {
  url: string;
  description: string;
  headers: { [name: string]: string };
  rateLimitPerSecond: number | null;
  timeoutSeconds: number;
  /** Seconds; null = the configured schedule. */
  retryDelays: number[] | null;
  metadata: JsonObject;
};

/**
 * v2. `subscriptions`: those the endpoint starts with. Written empty since v2 (each subscription is an
 * EndpointSubscriptionAdded event after this one); a v1 event's `eventTypes` filter is upcast into it.
 */
export type EndpointCreated = Event<
  'EndpointCreated',
  EndpointSettings & { endpointId: string; applicationId: string; disabled: boolean; secret: SealedSecret; createdAt: string; subscriptions: SubscriptionRef[] }
>;
/** v2. `legacyEventTypes`: null since v2; a v1 event carried the whole filter, which it then replaced. */
export type EndpointUpdated = Event<'EndpointUpdated', EndpointSettings & { endpointId: string; updatedAt: string; legacyEventTypes: string[] | null }>;
/** Written before subscriptions were events (no longer written): the filter became exactly `eventTypes`. */
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
  | SubscriptionEvent
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
    /** Empty = every event type; otherwise the enabled ones say which. */
    subscriptions: readonly Subscription[];
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
      const { endpointId, createdAt, subscriptions, ...rest } = event.data;
      return {
        status: 'active',
        endpoint: {
          ...rest,
          id: endpointId,
          disabledReason: null,
          circuit: 'closed',
          subscriptions: subscriptions.map((s) => ({ id: s.subscriptionId, eventType: s.eventType, enabled: true, createdAt, updatedAt: createdAt })),
          previousSecrets: [],
          createdAt,
          updatedAt: createdAt,
        },
      };
    }
    case 'EndpointUpdated': {
      if (state.status !== 'active') return state;
      const { endpointId, updatedAt, legacyEventTypes, ...settings } = event.data;
      const subscriptions = legacyEventTypes === null ? state.endpoint.subscriptions : replaceSubscriptions(state.endpoint.subscriptions, endpointId, legacyEventTypes, updatedAt);
      return change(state, { ...settings, subscriptions, updatedAt });
    }
    case 'EndpointSubscriptionsChanged': {
      if (state.status !== 'active') return state;
      const { endpointId, eventTypes, changedAt } = event.data;
      return change(state, { subscriptions: replaceSubscriptions(state.endpoint.subscriptions, endpointId, eventTypes, changedAt), updatedAt: changedAt });
    }
    case 'EndpointSubscriptionAdded':
    case 'EndpointSubscriptionEnabled':
    case 'EndpointSubscriptionDisabled':
    case 'EndpointSubscriptionRemoved':
    case 'EndpointSubscriptionFilterSet': {
      if (state.status !== 'active') return state;
      return change(state, { subscriptions: evolveSubscriptions(state.endpoint.subscriptions, event), updatedAt: subscriptionEventTime(event) });
    }
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

/**
 * What a read model keeps to route messages: `eventTypes`, the enabled subscriptions' event types, and
 * `subscriptionCount`, every subscription enabled or not (absent in documents written before subscriptions had
 * flags, when every subscription was enabled).
 */
export type RoutingFilter = Readonly<{ disabled: boolean; eventTypes: readonly string[]; subscriptionCount?: number }>;

export const routingFilterOf = (endpoint: Pick<Endpoint, 'disabled' | 'subscriptions'>): { disabled: boolean; eventTypes: string[]; subscriptionCount: number } => ({
  disabled: endpoint.disabled,
  eventTypes: enabledEventTypes(endpoint.subscriptions),
  subscriptionCount: endpoint.subscriptions.length,
});

/**
 * Whether an endpoint receives a message of this event type: one with no subscription at all receives every type;
 * otherwise the types of its enabled subscriptions (all of them disabled: nothing).
 */
export const endpointWants = (endpoint: RoutingFilter, eventType: string): boolean => {
  if (endpoint.disabled) return false;
  const count = endpoint.subscriptionCount ?? endpoint.eventTypes.length;
  return count === 0 || endpoint.eventTypes.includes(eventType);
};
