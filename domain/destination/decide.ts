import type { Command, Decider } from '../decider';
import { assertNever, conflict, notFound, validationError } from '../errors';
import type { SealedSecret } from '../secretBox';
import { requireText } from '../validation';
import { requireEndpointUrl, requireHeaders } from '../endpoint/rules';
import { requireSlug, requireRateLimitWindow, requireSourceRateLimit, slugFromName } from '../source/rules';
import type { DestinationEvent, DestinationSettings, DestinationState } from './destination';
import { evolveDestination, initialDestinationState } from './destination';
import {
  DEFAULT_RETRY_COUNT,
  DEFAULT_RETRY_INTERVAL,
  DEFAULT_TIMEOUT_MS,
  requireAuthType,
  requireDestinationType,
  requireMethod,
  requireRetryCount,
  requireRetryInterval,
  requireTimeoutMs,
} from './rules';

/** As the API hands it over: `authConfig` already checked with requireAuthConfig and sealed (`auth`). */
export type DestinationInput = {
  name: string;
  description?: string | null;
  type?: string;
  url?: string;
  method?: string;
  headers?: Record<string, string>;
  authType?: string;
  auth?: SealedSecret | null;
  timeoutMs?: number;
  retryCount?: number;
  retryInterval?: number;
  rateLimit?: number | null;
  rateLimitWindow?: number;
};

export type CreateDestination = Command<'CreateDestination', DestinationInput & { destinationId: string; slug?: string; isActive?: boolean }>;
export type UpdateDestination = Command<'UpdateDestination', Partial<DestinationInput> & { destinationId: string; isActive?: boolean }>;
export type DeleteDestination = Command<'DeleteDestination', { destinationId: string }>;

export type DestinationCommand = CreateDestination | UpdateDestination | DeleteDestination;

const DEFAULTS: DestinationSettings = {
  name: '',
  description: null,
  type: 'http',
  url: '',
  method: 'POST',
  headers: {},
  authType: 'none',
  timeoutMs: DEFAULT_TIMEOUT_MS,
  retryCount: DEFAULT_RETRY_COUNT,
  retryInterval: DEFAULT_RETRY_INTERVAL,
  rateLimit: null,
  rateLimitWindow: 60,
};

const settingsFrom = (input: Partial<DestinationInput>, base: DestinationSettings): DestinationSettings => ({
  name: input.name === undefined ? base.name : requireText('name', input.name),
  description: input.description === undefined ? base.description : input.description === null ? null : requireText('description', input.description, 2048),
  type: input.type === undefined ? base.type : requireDestinationType('type', input.type),
  url: input.url === undefined ? base.url : requireEndpointUrl('url', input.url),
  method: input.method === undefined ? base.method : requireMethod('method', input.method),
  headers: input.headers === undefined ? base.headers : requireHeaders('headers', input.headers),
  authType: input.authType === undefined ? base.authType : requireAuthType('authType', input.authType),
  timeoutMs: input.timeoutMs === undefined ? base.timeoutMs : requireTimeoutMs('timeoutMs', input.timeoutMs),
  retryCount: input.retryCount === undefined ? base.retryCount : requireRetryCount('retryCount', input.retryCount),
  retryInterval: input.retryInterval === undefined ? base.retryInterval : requireRetryInterval('retryInterval', input.retryInterval),
  rateLimit: input.rateLimit === undefined ? base.rateLimit : requireSourceRateLimit('rateLimit', input.rateLimit),
  rateLimitWindow: input.rateLimitWindow === undefined ? base.rateLimitWindow : requireRateLimitWindow('rateLimitWindow', input.rateLimitWindow),
});

/** Credentials go with an auth type: none has none, every other type has them. */
const requireAuth = (settings: DestinationSettings, auth: SealedSecret | null): SealedSecret | null => {
  if (settings.authType === 'none') return null;
  if (auth === null) throw validationError('authConfig', 'required', `authConfig is required with authType ${settings.authType}.`);
  return auth;
};

export const decideDestination = (command: DestinationCommand, state: DestinationState): DestinationEvent[] => {
  const now = command.metadata.now;
  const id = command.data.destinationId;
  if (command.type === 'CreateDestination') {
    if (state.status !== 'empty') throw conflict('destination_exists', `Destination ${id} already exists.`);
    const d = command.data;
    if (d.type !== undefined) requireDestinationType('type', d.type);
    if (d.url === undefined) throw validationError('url', 'required', 'url is required for an http destination.');
    const settings = settingsFrom(d, { ...DEFAULTS, name: d.name });
    const slug = d.slug === undefined ? slugFromName(settings.name) : requireSlug('slug', d.slug);
    const auth = requireAuth(settings, d.auth ?? null);
    return [{ type: 'DestinationCreated', data: { ...settings, destinationId: id, slug, isActive: d.isActive ?? true, auth, createdAt: now } }];
  }
  if (state.status !== 'active') throw notFound('destination', id);
  const destination = state.destination;
  switch (command.type) {
    case 'UpdateDestination': {
      const { destinationId: _id, isActive, auth: newAuth, ...input } = command.data;
      const events: DestinationEvent[] = [];
      if (Object.keys(input).length > 0 || newAuth !== undefined) {
        const settings = settingsFrom(input, destination);
        // Changing the auth type without new credentials keeps none of the old ones.
        const kept = newAuth !== undefined ? newAuth : settings.authType === destination.authType ? destination.auth : null;
        events.push({ type: 'DestinationUpdated', data: { ...settings, destinationId: id, auth: requireAuth(settings, kept), updatedAt: now } });
      }
      if (isActive === true && !destination.isActive) events.push({ type: 'DestinationActivated', data: { destinationId: id, activatedAt: now } });
      if (isActive === false && destination.isActive) events.push({ type: 'DestinationDeactivated', data: { destinationId: id, deactivatedAt: now } });
      return events;
    }
    case 'DeleteDestination':
      return [{ type: 'DestinationDeleted', data: { destinationId: id, deletedAt: now } }];
    default:
      return assertNever(command);
  }
};

export const destinationDecider: Decider<DestinationState, DestinationCommand, DestinationEvent> = {
  decide: decideDestination,
  evolve: evolveDestination,
  initialState: initialDestinationState,
};
