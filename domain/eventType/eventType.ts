import type { Event } from '../decider';
import type { JsonObject, JsonValue } from '../json';

/** A deprecated event type is still sent and received; the mark tells subscribers since when, and what to use. */
export type Deprecation = { at: string; message: string | null };

/** What describes an event type (v2 of its events added the example, the documentation link and the deprecation). */
export type EventTypeDescription = {
  displayName: string | null;
  description: string | null;
  category: string | null;
  schema: JsonObject | null;
  examplePayload: JsonValue | null;
  documentationUrl: string | null;
  deprecated: Deprecation | null;
};

export type EventTypeCreated = Event<'EventTypeCreated', { name: string; createdAt: string } & EventTypeDescription>;
export type EventTypeUpdated = Event<'EventTypeUpdated', { name: string; updatedAt: string } & EventTypeDescription>;
export type EventTypeArchived = Event<'EventTypeArchived', { name: string; archivedAt: string }>;
export type EventTypeUnarchived = Event<'EventTypeUnarchived', { name: string; unarchivedAt: string }>;

export type EventTypeEvent = EventTypeCreated | EventTypeUpdated | EventTypeArchived | EventTypeUnarchived;

export type EventTypeDefinition = Readonly<
  {
    name: string;
    archived: boolean;
    createdAt: string;
    updatedAt: string;
  } & EventTypeDescription
>;

export type EventTypeState = Readonly<{ status: 'empty' }> | Readonly<{ status: 'defined'; eventType: EventTypeDefinition }>;

export const initialEventTypeState = (): EventTypeState => ({ status: 'empty' });

export const evolveEventType = (state: EventTypeState, event: EventTypeEvent): EventTypeState => {
  switch (event.type) {
    case 'EventTypeCreated': {
      const { createdAt, ...rest } = event.data;
      return { status: 'defined', eventType: { ...rest, archived: false, createdAt, updatedAt: createdAt } };
    }
    case 'EventTypeUpdated': {
      if (state.status !== 'defined') return state;
      const { updatedAt, ...rest } = event.data;
      return { status: 'defined', eventType: { ...state.eventType, ...rest, updatedAt } };
    }
    case 'EventTypeArchived':
      if (state.status !== 'defined') return state;
      return { status: 'defined', eventType: { ...state.eventType, archived: true, updatedAt: event.data.archivedAt } };
    case 'EventTypeUnarchived':
      if (state.status !== 'defined') return state;
      return { status: 'defined', eventType: { ...state.eventType, archived: false, updatedAt: event.data.unarchivedAt } };
    default: {
      const never: never = event;
      return never;
    }
  }
};
