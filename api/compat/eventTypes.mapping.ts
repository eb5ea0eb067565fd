import { validationError } from '../../domain/errors';
import type { JsonObject, JsonValue } from '../../domain/json';
import type { EventTypeDoc } from '../../projections/readModels';
import type { EventTypeIn, EventTypePatch } from '../commands/eventTypes';
import type { Schema } from '../route';

// Event types on the compat surface ⇄ ours. Their `id` is our name; `isEnabled` is the opposite of `archived`.

export type CompatEventTypeBody = {
  name?: string;
  displayName?: string | null;
  description?: string | null;
  category?: string | null;
  schema?: JsonValue;
  examplePayload?: JsonValue;
  documentationUrl?: string | null;
  isEnabled?: boolean;
};

/** `schema` arrives as an object or as JSON text (the Node client stringifies it); null and "" mean none. */
export const schemaIn = (raw: JsonValue | undefined, field = 'schema'): JsonObject | null | undefined => {
  if (raw === undefined) return undefined;
  if (raw === null || raw === '') return null;
  let value: JsonValue = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw) as JsonValue;
    } catch {
      throw validationError(field, 'json', `${field} must be a JSON object or JSON text of one.`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw validationError(field, 'type', `${field} must be a JSON object or JSON text of one.`);
  return value;
};

export const eventTypeCreateIn = (body: CompatEventTypeBody): EventTypeIn => {
  if (body.name === undefined) throw validationError('name', 'required', 'name is required.');
  return {
    name: body.name,
    displayName: body.displayName ?? null,
    description: body.description ?? null,
    category: body.category ?? null,
    schema: schemaIn(body.schema) ?? null,
  };
};

/** The fields to change, and whether to archive (isEnabled false) or unarchive (true). */
export const eventTypePatchIn = (body: CompatEventTypeBody): { patch: EventTypePatch; enable: boolean | undefined } => {
  const schema = schemaIn(body.schema);
  const patch: EventTypePatch = {
    ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.category !== undefined ? { category: body.category } : {}),
    ...(schema !== undefined ? { schema } : {}),
  };
  return { patch, enable: body.isEnabled };
};

export const hasChanges = (patch: EventTypePatch): boolean => Object.keys(patch).length > 0;

/**
 * Our event type in the compat shape; schema as JSON text. Not modelled, answered as null: examplePayload and
 * documentationUrl (accepted and ignored).
 */
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

const nStr: Schema = { type: ['string', 'null'] };

export const eventTypeSchema: Schema = {
  type: 'object',
  required: ['id', 'name', 'displayName', 'description', 'category', 'schema', 'examplePayload', 'documentationUrl', 'isEnabled', 'isArchived', 'subscriptionCount', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, displayName: nStr, description: nStr, category: nStr, schema: nStr, examplePayload: nStr,
    documentationUrl: nStr, isEnabled: { type: 'boolean' }, isArchived: { type: 'boolean' }, subscriptionCount: { type: 'integer' },
    createdAt: { type: 'string' }, updatedAt: { type: 'string' },
  },
};

export const eventTypeBodySchema: Schema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 256 },
    displayName: nStr,
    description: nStr,
    category: nStr,
    schema: { type: ['object', 'string', 'null'] },
    examplePayload: {},
    documentationUrl: nStr,
    isEnabled: { type: 'boolean' },
  },
};
