import type { Command, Decider } from '../decider';
import { assertNever, conflict, notFound, validationError } from '../errors';
import { requireText } from '../validation';
import { requireFilterLogic, requireInlineFilter } from './filters';
import type { RouteEvent, RouteSettings, RouteState } from './route';
import { evolveRoute, initialRouteState } from './route';

/**
 * As the API hands it over. `filterConditions` is raw: the SDK's list (with `filterLogic`) or the MCP server's
 * `{logic, conditions}`; null clears the inline filter. Whether the ids name live sources, destinations, filters,
 * transforms and schemas is checked by the command handler (other streams), not here.
 */
export type RouteInput = {
  name: string;
  sourceId: string;
  destinationId: string;
  filterId?: string | null;
  filterConditions?: unknown;
  filterLogic?: string | null;
  transformId?: string | null;
  schemaId?: string | null;
  priority?: number;
  notifyOnFailure?: boolean;
  notifyOnSuccess?: boolean;
  notifyOnRecovery?: boolean;
  notifyEmails?: string | null;
  failureThreshold?: number | null;
  failoverDestinationIds?: string[] | null;
  failoverAfterAttempts?: number | null;
  expectedResponse?: string | null;
};

export type CreateRoute = Command<'CreateRoute', RouteInput & { routeId: string; isActive?: boolean }>;
export type UpdateRoute = Command<'UpdateRoute', Partial<RouteInput> & { routeId: string; isActive?: boolean }>;
export type DeleteRoute = Command<'DeleteRoute', { routeId: string }>;

export type RouteCommand = CreateRoute | UpdateRoute | DeleteRoute;

export const DEFAULT_FAILOVER_AFTER_ATTEMPTS = 3;
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

const optionalId = (field: string, value: string | null): string | null => (value === null ? null : requireText(field, value, 128));

const wholeNumber = (field: string, value: number, min: number, max: number): number => {
  if (!Number.isInteger(value) || value < min || value > max) throw validationError(field, 'range', `${field} must be a whole number from ${min} to ${max}.`);
  return value;
};

const requireEmails = (field: string, text: string | null): string | null => {
  if (text === null || text.trim() === '') return null;
  const emails = text.split(',').map((e) => e.trim());
  if (emails.length > 20) throw validationError(field, 'max_items', `${field} may name at most 20 addresses.`);
  emails.forEach((email, i) => {
    if (!EMAIL.test(email)) throw validationError(field, 'email', `${field}: entry ${i + 1} is not an email address.`);
  });
  return emails.join(',');
};

/** What a route holds when its creation leaves a setting out. */
export const ROUTE_DEFAULTS: Omit<RouteSettings, 'name' | 'sourceId' | 'destinationId'> = {
  filterId: null,
  filter: null,
  transformId: null,
  schemaId: null,
  priority: 0,
  notifyOnFailure: false,
  notifyOnSuccess: false,
  notifyOnRecovery: false,
  notifyEmails: null,
  failureThreshold: null,
  failoverDestinationIds: [],
  failoverAfterAttempts: null,
  expectedResponse: null,
};

const settingsFrom = (input: Partial<RouteInput>, base: RouteSettings): RouteSettings => {
  const filterChanged = input.filterConditions !== undefined || input.filterLogic !== undefined;
  const filter = !filterChanged
    ? base.filter
    : input.filterConditions === undefined && base.filter !== null
      ? { conditions: base.filter.conditions, logic: requireFilterLogic('filterLogic', input.filterLogic) }
      : requireInlineFilter(input.filterConditions, input.filterLogic);
  const failover = input.failoverDestinationIds === undefined ? base.failoverDestinationIds : (input.failoverDestinationIds ?? []).map((id, i) => requireText(`failoverDestinationIds[${i}]`, id, 128));
  const afterAttempts =
    input.failoverAfterAttempts === undefined ? base.failoverAfterAttempts : input.failoverAfterAttempts === null ? null : wholeNumber('failoverAfterAttempts', input.failoverAfterAttempts, 1, 20);
  return {
    name: input.name === undefined ? base.name : requireText('name', input.name),
    sourceId: input.sourceId === undefined ? base.sourceId : requireText('sourceId', input.sourceId, 128),
    destinationId: input.destinationId === undefined ? base.destinationId : requireText('destinationId', input.destinationId, 128),
    filterId: input.filterId === undefined ? base.filterId : optionalId('filterId', input.filterId),
    filter,
    transformId: input.transformId === undefined ? base.transformId : optionalId('transformId', input.transformId),
    schemaId: input.schemaId === undefined ? base.schemaId : optionalId('schemaId', input.schemaId),
    priority: input.priority === undefined ? base.priority : wholeNumber('priority', input.priority, -1000, 1000),
    notifyOnFailure: input.notifyOnFailure ?? base.notifyOnFailure,
    notifyOnSuccess: input.notifyOnSuccess ?? base.notifyOnSuccess,
    notifyOnRecovery: input.notifyOnRecovery ?? base.notifyOnRecovery,
    notifyEmails: input.notifyEmails === undefined ? base.notifyEmails : requireEmails('notifyEmails', input.notifyEmails),
    failureThreshold:
      input.failureThreshold === undefined ? base.failureThreshold : input.failureThreshold === null ? null : wholeNumber('failureThreshold', input.failureThreshold, 1, 1000),
    failoverDestinationIds: failover,
    failoverAfterAttempts: failover.length > 0 ? (afterAttempts ?? DEFAULT_FAILOVER_AFTER_ATTEMPTS) : afterAttempts,
    expectedResponse: input.expectedResponse === undefined ? base.expectedResponse : input.expectedResponse === null ? null : requireText('expectedResponse', input.expectedResponse, 1024),
  };
};

/** Rules across fields, on the settings as they would be after the command. */
const requireCoherent = (s: RouteSettings): RouteSettings => {
  if (s.filterId !== null && s.filter !== null && s.filter.conditions.length > 0) {
    throw validationError('filterId', 'exclusive', 'A route has a named filter (filterId) or inline filterConditions, not both.');
  }
  if (s.failoverDestinationIds.length > 5) throw validationError('failoverDestinationIds', 'max_items', 'failoverDestinationIds may name at most 5 destinations.');
  if (new Set(s.failoverDestinationIds).size !== s.failoverDestinationIds.length) {
    throw validationError('failoverDestinationIds', 'unique', 'failoverDestinationIds must not name a destination twice.');
  }
  if (s.failoverDestinationIds.includes(s.destinationId)) {
    throw validationError('failoverDestinationIds', 'distinct', 'failoverDestinationIds must not include the route\'s own destinationId.');
  }
  return s;
};

export const decideRoute = (command: RouteCommand, state: RouteState): RouteEvent[] => {
  const now = command.metadata.now;
  const id = command.data.routeId;
  if (command.type === 'CreateRoute') {
    if (state.status !== 'empty') throw conflict('route_exists', `Route ${id} already exists.`);
    const d = command.data;
    const settings = requireCoherent(settingsFrom(d, { ...ROUTE_DEFAULTS, name: d.name, sourceId: d.sourceId, destinationId: d.destinationId }));
    return [{ type: 'RouteCreated', data: { ...settings, routeId: id, isActive: d.isActive ?? true, createdAt: now } }];
  }
  if (state.status !== 'active') throw notFound('route', id);
  const route = state.route;
  switch (command.type) {
    case 'UpdateRoute': {
      const { routeId: _id, isActive, ...input } = command.data;
      const events: RouteEvent[] = [];
      if (Object.keys(input).length > 0) events.push({ type: 'RouteUpdated', data: { ...requireCoherent(settingsFrom(input, route)), routeId: id, updatedAt: now } });
      if (isActive === true && !route.isActive) events.push({ type: 'RouteActivated', data: { routeId: id, activatedAt: now } });
      if (isActive === false && route.isActive) events.push({ type: 'RouteDeactivated', data: { routeId: id, deactivatedAt: now } });
      return events;
    }
    case 'DeleteRoute':
      return [{ type: 'RouteDeleted', data: { routeId: id, sourceId: route.sourceId, deletedAt: now } }];
    default:
      return assertNever(command);
  }
};

export const routeDecider: Decider<RouteState, RouteCommand, RouteEvent> = { decide: decideRoute, evolve: evolveRoute, initialState: initialRouteState };
