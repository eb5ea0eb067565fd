import type { Command, Decider } from '../decider';
import { assertNever, conflict, notFound, validationError } from '../errors';
import type { JsonObject } from '../json';
import type { SealedSecret } from '../secretBox';
import type { EndpointEvent, EndpointSettings, EndpointState } from './endpoint';
import { evolveEndpoint, initialEndpointState } from './endpoint';
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
  eventTypes?: string[];
  headers?: Record<string, string>;
  rateLimitPerSecond?: number | null;
  timeoutSeconds?: number;
  retryDelays?: number[] | null;
  metadata?: JsonObject;
};

export type CreateEndpoint = Command<
  'CreateEndpoint',
  EndpointInput & { endpointId: string; applicationId: string; disabled?: boolean; secret: SealedSecret }
>;
export type UpdateEndpoint = Command<'UpdateEndpoint', Partial<EndpointInput> & { endpointId: string; disabled?: boolean }>;
export type SetEndpointSubscriptions = Command<'SetEndpointSubscriptions', { endpointId: string; eventTypes: string[] }>;
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
  eventTypes: input.eventTypes === undefined ? base.eventTypes : requireEventTypeFilter('eventTypes', input.eventTypes),
  headers: input.headers === undefined ? base.headers : requireHeaders('headers', input.headers),
  rateLimitPerSecond: input.rateLimitPerSecond === undefined ? base.rateLimitPerSecond : requireRateLimit('rateLimitPerSecond', input.rateLimitPerSecond),
  timeoutSeconds: input.timeoutSeconds === undefined ? base.timeoutSeconds : requireTimeout('timeoutSeconds', input.timeoutSeconds),
  retryDelays: input.retryDelays === undefined ? base.retryDelays : requireRetryDelays('retryDelays', input.retryDelays),
  metadata: input.metadata ?? base.metadata,
});

const DEFAULTS: EndpointSettings = {
  url: '',
  description: '',
  eventTypes: [],
  headers: {},
  rateLimitPerSecond: null,
  timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
  retryDelays: null,
  metadata: {},
};

const addSeconds = (iso: string, seconds: number): string => new Date(Date.parse(iso) + seconds * 1000).toISOString();

export const decideEndpoint = (command: EndpointCommand, state: EndpointState): EndpointEvent[] => {
  const now = command.metadata.now;
  const id = command.data.endpointId;
  if (command.type === 'CreateEndpoint') {
    if (state.status !== 'empty') throw conflict('endpoint_exists', `Endpoint ${id} already exists.`);
    const d = command.data;
    if (d.url === undefined) throw validationError('url', 'required', 'url is required.');
    return [
      {
        type: 'EndpointCreated',
        data: {
          ...settingsFrom(d, DEFAULTS),
          endpointId: id,
          applicationId: d.applicationId,
          disabled: d.disabled ?? false,
          secret: d.secret,
          createdAt: now,
        },
      },
    ];
  }
  if (state.status !== 'active') throw notFound('endpoint', id);
  const endpoint = state.endpoint;
  switch (command.type) {
    case 'UpdateEndpoint': {
      const { endpointId: _id, disabled, ...input } = command.data;
      const events: EndpointEvent[] = [{ type: 'EndpointUpdated', data: { ...settingsFrom(input, endpoint), endpointId: id, updatedAt: now } }];
      if (disabled === true && !endpoint.disabled) events.push({ type: 'EndpointDisabled', data: { endpointId: id, reason: 'Disabled by a user.', disabledAt: now } });
      if (disabled === false && endpoint.disabled) events.push({ type: 'EndpointEnabled', data: { endpointId: id, enabledAt: now } });
      return events;
    }
    case 'SetEndpointSubscriptions':
      return [
        { type: 'EndpointSubscriptionsChanged', data: { endpointId: id, eventTypes: requireEventTypeFilter('eventTypes', command.data.eventTypes), changedAt: now } },
      ];
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
