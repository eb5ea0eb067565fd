import type { JsonObject } from '../../../domain/json';
import type { EventTypeDoc } from '../../../projections/readModels';

// The portal's event type: its id is its name; schema travels as JSON text; a live type is enabled.

export const eventTypeOut = (t: EventTypeDoc, subscriptionCount: number): JsonObject => ({
  id: t.name,
  name: t.name,
  displayName: t.displayName,
  description: t.description,
  category: t.category,
  schema: t.schema === null ? null : JSON.stringify(t.schema),
  examplePayload: null,
  documentationUrl: null,
  isEnabled: !t.archived,
  isArchived: t.archived,
  subscriptionCount,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
});
