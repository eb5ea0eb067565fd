import type { Command, Decider } from '../decider';
import { assertNever, conflict, notFound, validationError } from '../errors';
import type { JsonObject } from '../json';
import type { SealedSecret } from '../secretBox';
import { requireEventTypeName } from '../validation';
import type { EndpointEvent, EndpointSettings, EndpointState } from './endpoint';
import { evolveEndpoint, initialEndpointState } from './endpoint';
import { sameFilter, subscriptionChanges } from './subscriptions';
import type { SubscriptionFilter } from './subscriptions';
import {
  DEFAULT_TIMEOUT_SECONDS,
  requireEndpointUrl,
  requireEventTypeFilter,
  requireHeaders,
  requireRateLimit,
  requireRetryDelays,
  requireTimeout,
} from './rules';

export type EndpointInput = {
  url: string;
  description?: string;
  /** The enabled subscriptions wanted, by event type (empty = every event type). */
  eventTypes?: string[];
  headers?: Record<string, string>;
  rateLimitPerSecond?: number | null;
  timeoutSeconds?: number;
  retryDelays?: number[] | null;
  metadata?: JsonObject;
};

/** New ids for the subscriptions a command may add: `subscriptionIds[i]` is for `eventTypes[i]` (if it is new). */
type NewSubscriptionIds = { subscriptionIds?: readonly string[] };

export type CreateEndpoint = Command<
  'CreateEndpoint',
  EndpointInput & NewSubscriptionIds & { endpointId: string; applicationId: string; disabled?: boolean; secret: SealedSecret }
>;
export type UpdateEndpoint = Command<'UpdateEndpoint', Partial<EndpointInput> & NewSubscriptionIds & { endpointId: string; disabled?: boolean }>;
/** API.md's PUT subscriptions: the enabled set becomes exactly `eventTypes`. */
export type SetEndpointSubscriptions = Command<'SetEndpointSubscriptions', NewSubscriptionIds & { endpointId: string; eventTypes: string[] }>;
export type Subscribe = Command<'Subscribe', { endpointId: string; subscriptionId: string; eventType: string; filter?: SubscriptionFilter | null }>;
export type SetSubscriptionFilter = Command<'SetSubscriptionFilter', { endpointId: string; subscriptionId: string; filter: SubscriptionFilter | null }>;
export type SetSubscriptionEnabled = Command<'SetSubscriptionEnabled', { endpointId: string; subscriptionId: string; enabled: boolean }>;
export type Unsubscribe = Command<'Unsubscribe', { endpointId: string; subscriptionId: string }>;
export type RotateEndpointSecret = Command<'RotateEndpointSecret', { endpointId: string; secret: SealedSecret; gracePeriodSeconds: number }>;
export type DisableEndpoint = Command<'DisableEndpoint', { endpointId: string; reason: string }>;
export type EnableEndpoint = Command<'EnableEndpoint', { endpointId: string }>;
export type DeleteEndpoint = Command<'DeleteEndpoint', { endpointId: string }>;
export type OpenCircuit = Command<'OpenCircuit', { endpointId: string; consecutiveFailures: number; lastError: string; probeAt: string }>;
export type HalfOpenCircuit = Command<'HalfOpenCircuit', { endpointId: string }>;
export type CloseCircuit = Command<'CloseCircuit', { endpointId: string }>;

export type EndpointCommand =
  | CreateEndpoint
  | UpdateEndpoint
  | SetEndpointSubscriptions
  | Subscribe
  | SetSubscriptionEnabled
  | Unsubscribe
  | SetSubscriptionFilter
  | RotateEndpointSecret
  | DisableEndpoint
  | EnableEndpoint
  | DeleteEndpoint
  | OpenCircuit
  | HalfOpenCircuit
  | CloseCircuit;

const settingsFrom = (input: Partial<EndpointInput>, base: EndpointSettings): EndpointSettings => ({
  url: input.url === undefined ? base.url : requireEndpointUrl('url', input.url),
  description: input.description ?? base.description,
  headers: input.headers === undefined ? base.headers : requireHeaders('headers', input.headers),
  rateLimitPerSecond: input.rateLimitPerSecond === undefined ? base.rateLimitPerSecond : requireRateLimit('rateLimitPerSecond', input.rateLimitPerSecond),
  timeoutSeconds: input.timeoutSeconds === undefined ? base.timeoutSeconds : requireTimeout('timeoutSeconds', input.timeoutSeconds),
  retryDelays: input.retryDelays === undefined ? base.retryDelays : requireRetryDelays('retryDelays', input.retryDelays),
  metadata: input.metadata ?? base.metadata,
});

const DEFAULTS: EndpointSettings = {
  url: '',
  description: '',
  headers: {},
  rateLimitPerSecond: null,
  timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
  retryDelays: null,
  metadata: {},
};

const settingsOf = (endpoint: EndpointSettings): EndpointSettings => ({
  url: endpoint.url,
  description: endpoint.description,
  headers: endpoint.headers,
  rateLimitPerSecond: endpoint.rateLimitPerSecond,
  timeoutSeconds: endpoint.timeoutSeconds,
  retryDelays: endpoint.retryDelays,
  metadata: endpoint.metadata,
});

/** The event types named (checked, without duplicates) and the new id offered for each. */
const filterWithIds = (eventTypes: readonly string[], ids: readonly string[] = []): { names: string[]; newIds: Map<string, string> } => {
  const names = requireEventTypeFilter('eventTypes', eventTypes);
  const newIds = new Map<string, string>();
  eventTypes.forEach((name, i) => {
    const id = ids[i];
    if (id !== undefined && !newIds.has(name)) newIds.set(name, id);
  });
  return { names, newIds };
};

const addSeconds = (iso: string, seconds: number): string => new Date(Date.parse(iso) + seconds * 1000).toISOString();

export const decideEndpoint = (command: EndpointCommand, state: EndpointState): EndpointEvent[] => {
  const now = command.metadata.now;
  const id = command.data.endpointId;
  if (command.type === 'CreateEndpoint') {
    if (state.status !== 'empty') throw conflict('endpoint_exists', `Endpoint ${id} already exists.`);
    const d = command.data;
    if (d.url === undefined) throw validationError('url', 'required', 'url is required.');
    const settings = settingsFrom(d, DEFAULTS);
    const { names, newIds } = filterWithIds(d.eventTypes ?? [], d.subscriptionIds);
    return [
      {
        type: 'EndpointCreated',
        data: { ...settings, endpointId: id, applicationId: d.applicationId, disabled: d.disabled ?? false, secret: d.secret, createdAt: now, subscriptions: [] },
      },
      ...subscriptionChanges([], { endpointId: id, applicationId: d.applicationId, now }, names, newIds),
    ];
  }
  if (state.status !== 'active') throw notFound('endpoint', id);
  const endpoint = state.endpoint;
  const ids = { endpointId: id, applicationId: endpoint.applicationId, now };
  switch (command.type) {
    case 'UpdateEndpoint': {
      const { endpointId: _id, disabled, eventTypes, subscriptionIds, ...input } = command.data;
      const settings = settingsFrom(input, settingsOf(endpoint));
      const filter = eventTypes === undefined ? null : filterWithIds(eventTypes, subscriptionIds);
      const events: EndpointEvent[] = [{ type: 'EndpointUpdated', data: { ...settings, endpointId: id, updatedAt: now, legacyEventTypes: null } }];
      if (filter) events.push(...subscriptionChanges(endpoint.subscriptions, ids, filter.names, filter.newIds));
      if (disabled === true && !endpoint.disabled) events.push({ type: 'EndpointDisabled', data: { endpointId: id, reason: 'Disabled by a user.', disabledAt: now } });
      if (disabled === false && endpoint.disabled) events.push({ type: 'EndpointEnabled', data: { endpointId: id, enabledAt: now } });
      return events;
    }
    case 'SetEndpointSubscriptions': {
      const { names, newIds } = filterWithIds(command.data.eventTypes, command.data.subscriptionIds);
      return subscriptionChanges(endpoint.subscriptions, ids, names, newIds);
    }
    case 'Subscribe': {
      const { subscriptionId, eventType } = command.data;
      requireEventTypeName('eventType', eventType);
      const existing = endpoint.subscriptions.find((s) => s.eventType === eventType);
      if (existing) throw conflict('subscription_exists', `Endpoint ${id} is already subscribed to ${eventType} (subscription ${existing.id}).`);
      const added: EndpointEvent = { type: 'EndpointSubscriptionAdded', data: { endpointId: id, applicationId: endpoint.applicationId, subscriptionId, eventType, addedAt: now } };
      const filter = command.data.filter ?? null;
      return filter === null ? [added] : [added, { type: 'EndpointSubscriptionFilterSet', data: { endpointId: id, subscriptionId, eventType, filter, setAt: now } }];
    }
    case 'SetSubscriptionFilter': {
      const { subscriptionId, filter } = command.data;
      const sub = endpoint.subscriptions.find((s) => s.id === subscriptionId);
      if (!sub) throw notFound('subscription', subscriptionId);
      if (sameFilter(sub.filter, filter)) return [];
      return [{ type: 'EndpointSubscriptionFilterSet', data: { endpointId: id, subscriptionId, eventType: sub.eventType, filter, setAt: now } }];
    }
    case 'SetSubscriptionEnabled': {
      const { subscriptionId, enabled } = command.data;
      const sub = endpoint.subscriptions.find((s) => s.id === subscriptionId);
      if (!sub) throw notFound('subscription', subscriptionId);
      if (sub.enabled === enabled) return [];
      return enabled
        ? [{ type: 'EndpointSubscriptionEnabled', data: { endpointId: id, subscriptionId, eventType: sub.eventType, enabledAt: now } }]
        : [{ type: 'EndpointSubscriptionDisabled', data: { endpointId: id, subscriptionId, eventType: sub.eventType, disabledAt: now } }];
    }
    case 'Unsubscribe': {
      const { subscriptionId } = command.data;
      const sub = endpoint.subscriptions.find((s) => s.id === subscriptionId);
      if (!sub) throw notFound('subscription', subscriptionId);
      return [{ type: 'EndpointSubscriptionRemoved', data: { endpointId: id, subscriptionId, eventType: sub.eventType, removedAt: now } }];
    }
    case 'RotateEndpointSecret': {
      const grace = command.data.gracePeriodSeconds;
      if (!Number.isInteger(grace) || grace < 0 || grace > 7 * 86_400) {
        throw validationError('gracePeriodSeconds', 'range', 'gracePeriodSeconds must be a whole number from 0 to 604800.');
      }
      return [
        {
          type: 'EndpointSecretRotated',
          data: { endpointId: id, secret: command.data.secret, previousSecret: endpoint.secret, previousSecretExpiresAt: addSeconds(now, grace), rotatedAt: now },
        },
      ];
    }
    case 'DisableEndpoint':
      return endpoint.disabled ? [] : [{ type: 'EndpointDisabled', data: { endpointId: id, reason: command.data.reason, disabledAt: now } }];
    case 'EnableEndpoint':
      return endpoint.disabled ? [{ type: 'EndpointEnabled', data: { endpointId: id, enabledAt: now } }] : [];
    case 'DeleteEndpoint':
      return [{ type: 'EndpointDeleted', data: { endpointId: id, deletedAt: now } }];
    case 'OpenCircuit': {
      if (endpoint.circuit === 'open') return [];
      const { consecutiveFailures, lastError, probeAt } = command.data;
      return [{ type: 'EndpointCircuitOpened', data: { endpointId: id, consecutiveFailures, lastError, openedAt: now, probeAt } }];
    }
    case 'HalfOpenCircuit':
      return endpoint.circuit === 'open' ? [{ type: 'EndpointCircuitHalfOpened', data: { endpointId: id, halfOpenedAt: now } }] : [];
    case 'CloseCircuit':
      return endpoint.circuit === 'closed' ? [] : [{ type: 'EndpointCircuitClosed', data: { endpointId: id, closedAt: now } }];
    default:
      return assertNever(command);
  }
};

export const endpointDecider: Decider<EndpointState, EndpointCommand, EndpointEvent> = {
  decide: decideEndpoint,
  evolve: evolveEndpoint,
  initialState: initialEndpointState,
};
