import type { Command, Decider } from '../decider';
import { assertNever, conflict, notFound } from '../errors';
import type { JsonObject, JsonValue } from '../json';
import { requireEventTypeName, requireText } from '../validation';
import type { Deprecation, EventTypeEvent, EventTypeState } from './eventType';
import { evolveEventType, initialEventTypeState } from './eventType';

type Describable = {
  displayName?: string | null;
  description?: string | null;
  category?: string | null;
  schema?: JsonObject | null;
  examplePayload?: JsonValue | null;
  documentationUrl?: string | null;
};

/** Update only: true marks the type deprecated (keeping the first time it was), false clears the mark. */
type Deprecating = { deprecated?: boolean; deprecatedMessage?: string | null };

export type CreateEventType = Command<'CreateEventType', { name: string } & Describable>;
export type UpdateEventType = Command<'UpdateEventType', { name: string } & Describable & Deprecating>;
export type ArchiveEventType = Command<'ArchiveEventType', { name: string }>;
export type UnarchiveEventType = Command<'UnarchiveEventType', { name: string }>;

export type EventTypeCommand = CreateEventType | UpdateEventType | ArchiveEventType | UnarchiveEventType;

const optionalText = (field: string, value: string | null | undefined, max: number): string | null =>
  value === null || value === undefined ? null : requireText(field, value, max);

const deprecationAfter = (current: Deprecation | null, d: Deprecating, now: string): Deprecation | null => {
  const message = d.deprecatedMessage === undefined ? current?.message ?? null : optionalText('deprecatedMessage', d.deprecatedMessage, 1024);
  if (d.deprecated === false) return null;
  if (d.deprecated === true || current !== null) return { at: current?.at ?? now, message };
  return null;
};

export const decideEventType = (command: EventTypeCommand, state: EventTypeState): EventTypeEvent[] => {
  const now = command.metadata.now;
  const name = command.data.name;
  switch (command.type) {
    case 'CreateEventType': {
      if (state.status !== 'empty') throw conflict('event_type_exists', `Event type ${name} already exists.`);
      const d = command.data;
      return [
        {
          type: 'EventTypeCreated',
          data: {
            name: requireEventTypeName('name', name),
            displayName: optionalText('displayName', d.displayName, 256),
            description: optionalText('description', d.description, 4096),
            category: optionalText('category', d.category, 256),
            schema: d.schema ?? null,
            examplePayload: d.examplePayload ?? null,
            documentationUrl: optionalText('documentationUrl', d.documentationUrl, 2048),
            deprecated: null,
            createdAt: now,
          },
        },
      ];
    }
    case 'UpdateEventType': {
      if (state.status !== 'defined') throw notFound('event type', name);
      const current = state.eventType;
      const d = command.data;
      return [
        {
          type: 'EventTypeUpdated',
          data: {
            name,
            displayName: d.displayName === undefined ? current.displayName : optionalText('displayName', d.displayName, 256),
            description: d.description === undefined ? current.description : optionalText('description', d.description, 4096),
            category: d.category === undefined ? current.category : optionalText('category', d.category, 256),
            schema: d.schema === undefined ? current.schema : d.schema,
            examplePayload: d.examplePayload === undefined ? current.examplePayload : d.examplePayload,
            documentationUrl: d.documentationUrl === undefined ? current.documentationUrl : optionalText('documentationUrl', d.documentationUrl, 2048),
            deprecated: deprecationAfter(current.deprecated, d, now),
            updatedAt: now,
          },
        },
      ];
    }
    case 'ArchiveEventType':
      if (state.status !== 'defined') throw notFound('event type', name);
      return state.eventType.archived ? [] : [{ type: 'EventTypeArchived', data: { name, archivedAt: now } }];
    case 'UnarchiveEventType':
      if (state.status !== 'defined') throw notFound('event type', name);
      return state.eventType.archived ? [{ type: 'EventTypeUnarchived', data: { name, unarchivedAt: now } }] : [];
    default:
      return assertNever(command);
  }
};

export const eventTypeDecider: Decider<EventTypeState, EventTypeCommand, EventTypeEvent> = {
  decide: decideEventType,
  evolve: evolveEventType,
  initialState: initialEventTypeState,
};
