import { collections } from '../../projections/readModels';
import type { EventTypeDoc } from '../../projections/readModels';
import { archiveEventType, createEventType, requireEventType, unarchiveEventType, updateEventType } from '../commands/eventTypes';
import type { EventTypeIn, EventTypePatch } from '../commands/eventTypes';
import { listPage, listQuerySchema, listResponseSchema } from '../pagination';
import type { ListQuery } from '../pagination';
import { defineRoute } from '../route';
import { eventTypeOut, schemas } from '../shapes';

const text = (max: number) => ({ type: ['string', 'null'], maxLength: max });
const describable = {
  displayName: text(256),
  description: text(4096),
  category: text(256),
  schema: { type: ['object', 'null'] },
};
const TYPE = '/v1/event-types/{name}';

export const eventTypeRoutes = [
  defineRoute<EventTypeIn>({
    operationId: 'v1.eventType.create',
    method: 'POST',
    path: '/v1/event-types',
    summary: 'Define an event type; payloads of it must satisfy its JSON Schema, if it has one',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 256 }, ...describable } },
    response: { status: 201, schema: schemas.EventType },
    handle: async ({ deps, body }) => ({ status: 201, body: eventTypeOut(await createEventType(deps, body)) }),
  }),
  defineRoute<undefined, ListQuery & { category?: string; includeArchived?: boolean }>({
    operationId: 'v1.eventType.list',
    method: 'GET',
    path: '/v1/event-types',
    summary: 'List event types, newest first; archived ones only with includeArchived=true',
    auth: 'admin',
    query: listQuerySchema({ category: { type: 'string' }, includeArchived: { type: 'boolean' } }),
    response: { status: 200, schema: listResponseSchema(schemas.EventType) },
    handle: async ({ deps, query }) => {
      const where: Record<string, string | boolean> = {};
      if (query.category !== undefined) where.category = query.category;
      if (!query.includeArchived) where.archived = false;
      const types = deps.reads.collection<EventTypeDoc>(collections.eventTypes);
      return { status: 200, body: await listPage(types, { where, orderBy: { key: 'createdAt', direction: 'desc' } }, query, eventTypeOut) };
    },
  }),
  defineRoute({
    operationId: 'v1.eventType.get',
    method: 'GET',
    path: TYPE,
    summary: 'Get an event type',
    auth: 'admin',
    response: { status: 200, schema: schemas.EventType },
    handle: async ({ deps, params }) => ({ status: 200, body: eventTypeOut(await requireEventType(deps, params.name ?? '')) }),
  }),
  defineRoute<EventTypePatch>({
    operationId: 'v1.eventType.update',
    method: 'PATCH',
    path: TYPE,
    summary: 'Change an event type',
    auth: 'admin',
    body: { type: 'object', additionalProperties: false, properties: describable },
    response: { status: 200, schema: schemas.EventType },
    handle: async ({ deps, params, body }) => ({ status: 200, body: eventTypeOut(await updateEventType(deps, params.name ?? '', body)) }),
  }),
  defineRoute({
    operationId: 'v1.eventType.archive',
    method: 'DELETE',
    path: TYPE,
    summary: 'Archive an event type: it can no longer be sent or subscribed to',
    auth: 'admin',
    response: { status: 204 },
    handle: async ({ deps, params }) => {
      await archiveEventType(deps, params.name ?? '');
      return { status: 204 };
    },
  }),
  defineRoute({
    operationId: 'v1.eventType.unarchive',
    method: 'POST',
    path: `${TYPE}/unarchive`,
    summary: 'Bring an archived event type back',
    auth: 'admin',
    response: { status: 200, schema: schemas.EventType },
    handle: async ({ deps, params }) => ({ status: 200, body: eventTypeOut(await unarchiveEventType(deps, params.name ?? '')) }),
  }),
];

