import { collections } from '../../projections/readModels';
import type { EventTypeDoc } from '../../projections/readModels';
import { archiveEventType, createEventType, requireEventType, unarchiveEventType, updateEventType } from '../commands/eventTypes';
import type { ApiDeps } from '../deps';
import { defineRoute } from '../route';
import { eventTypeBodySchema, eventTypeCreateIn, eventTypeOut, eventTypePatchIn, eventTypeSchema, hasChanges } from './eventTypes.mapping';
import type { CompatEventTypeBody } from './eventTypes.mapping';
import { subscriptionCountOfEventType } from './subscriptions.query';
import { boolFilter, compatListQuery, containsFolded, dataSchema, listSchema, one, scanPage } from './wire';
import type { CompatListQuery } from './wire';

const BASE = '/api/event-types';

const shape = async (deps: ApiDeps, t: EventTypeDoc) => eventTypeOut(t, await subscriptionCountOfEventType(deps, t.name));

type EventTypeQuery = CompatListQuery & { category?: string; isEnabled?: boolean; search?: string };

export const eventTypeRoutes = [
  defineRoute<undefined, EventTypeQuery>({
    operationId: 'api.eventType.list',
    method: 'GET',
    path: BASE,
    summary: 'List event types by name; category and isEnabled filter by index, search matches name or display name',
    auth: 'admin',
    query: compatListQuery({ category: { type: 'string' }, isEnabled: boolFilter, search: { type: 'string', maxLength: 256 } }),
    response: { status: 200, schema: listSchema(eventTypeSchema) },
    handle: async ({ deps, query }) => {
      const types = deps.reads.collection<EventTypeDoc>(collections.eventTypes);
      const where: Record<string, string | boolean> = {};
      if (query.category !== undefined) where.category = query.category;
      if (query.isEnabled !== undefined) where.archived = !query.isEnabled;
      const search = query.search;
      const keep = (t: EventTypeDoc): boolean => search === undefined || containsFolded(t.name, search) || containsFolded(t.displayName, search);
      return { status: 200, body: await scanPage(types, where, 'asc', query, keep, (t) => shape(deps, t)) };
    },
  }),
  defineRoute<CompatEventTypeBody>({
    operationId: 'api.eventType.create',
    method: 'POST',
    path: BASE,
    summary: 'Define an event type (409 if the name exists); schema as an object or JSON text',
    auth: 'admin',
    body: { ...eventTypeBodySchema, required: ['name'] },
    response: { status: 201, schema: dataSchema(eventTypeSchema) },
    handle: async ({ deps, body }) => ({ status: 201, body: one(await shape(deps, await createEventType(deps, eventTypeCreateIn(body)))) }),
  }),
  defineRoute({
    operationId: 'api.eventType.get',
    method: 'GET',
    path: `${BASE}/{name}`,
    summary: 'Get an event type (its id is its name)',
    auth: 'admin',
    response: { status: 200, schema: dataSchema(eventTypeSchema) },
    handle: async ({ deps, params }) => ({ status: 200, body: one(await shape(deps, await requireEventType(deps, params.name ?? ''))) }),
  }),
  defineRoute<CompatEventTypeBody>({
    operationId: 'api.eventType.update',
    method: 'PATCH',
    path: `${BASE}/{name}`,
    summary: 'Change an event type; isEnabled false archives it, true unarchives it',
    auth: 'admin',
    body: eventTypeBodySchema,
    response: { status: 200, schema: dataSchema(eventTypeSchema) },
    handle: async ({ deps, params, body }) => {
      const name = params.name ?? '';
      const { patch, enable } = eventTypePatchIn(body);
      let doc = await requireEventType(deps, name);
      if (hasChanges(patch)) doc = await updateEventType(deps, name, patch);
      if (enable === false && !doc.archived) doc = await archiveEventType(deps, name);
      if (enable === true && doc.archived) doc = await unarchiveEventType(deps, name);
      return { status: 200, body: one(await shape(deps, doc)) };
    },
  }),
  defineRoute({
    operationId: 'api.eventType.delete',
    method: 'DELETE',
    path: `${BASE}/{name}`,
    summary: 'Archive an event type (sends of it are refused; its history stays)',
    auth: 'admin',
    response: { status: 200, schema: { type: 'object', required: ['success'], properties: { success: { type: 'boolean' } } } },
    handle: async ({ deps, params }) => {
      const doc = await requireEventType(deps, params.name ?? '');
      if (!doc.archived) await archiveEventType(deps, doc.name);
      return { status: 200, body: { success: true } };
    },
  }),
];
