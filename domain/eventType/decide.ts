import type { Command, Decider } from '../decider';
import { assertNever, conflict, notFound } from '../errors';
import type { JsonObject } from '../json';
import { requireEventTypeName, requireText } from '../validation';
import type { EventTypeEvent, EventTypeState } from './eventType';
import { evolveEventType, initialEventTypeState } from './eventType';

type Describable = { displayName?: string | null; description?: string | null; category?: string | null; schema?: JsonObject | null };

export type CreateEventType = Command<'CreateEventType', { name: string } & Describable>;
export type UpdateEventType = Command<'UpdateEventType', { name: string } & Describable>;
export type ArchiveEventType = Command<'ArchiveEventType', { name: string }>;
export type UnarchiveEventType = Command<'UnarchiveEventType', { name: string }>;

export type EventTypeCommand = CreateEventType | UpdateEventType | ArchiveEventType | UnarchiveEventType;

const optionalText = (field: string, value: string | null | undefined, max: number): string | null =>
  value === null || value === undefined ? null : requireText(field, value, max);

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
