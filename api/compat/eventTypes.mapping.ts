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
  isDeprecated?: boolean;
  deprecatedMessage?: string | null;
};

/** `examplePayload` arrives as JSON text (the MCP server's schema says so) or as JSON; kept as JSON, answered as text. */
export const exampleIn = (raw: JsonValue | undefined): JsonValue | null | undefined => {
  if (raw === undefined) return undefined;
  if (raw === null || raw === '') return null;
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as JsonValue;
  } catch {
    throw validationError('examplePayload', 'json', 'examplePayload must be JSON, or JSON text.');
  }
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
    examplePayload: exampleIn(body.examplePayload) ?? null,
    documentationUrl: body.documentationUrl ?? null,
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
    ...(body.examplePayload !== undefined ? { examplePayload: exampleIn(body.examplePayload) ?? null } : {}),
    ...(body.documentationUrl !== undefined ? { documentationUrl: body.documentationUrl } : {}),
    ...(body.isDeprecated !== undefined ? { deprecated: body.isDeprecated } : {}),
    ...(body.deprecatedMessage !== undefined ? { deprecatedMessage: body.deprecatedMessage } : {}),
  };
  return { patch, enable: body.isEnabled };
};

export const hasChanges = (patch: EventTypePatch): boolean => Object.keys(patch).length > 0;

/**
 * Our event type in the compat shape; schema and examplePayload as JSON text. `schemaVersion` (read by the MCP
 * server's get_event_type): how many schemas the type has had (the event types projection counts changes), null
 * without a schema; a document projected before it was kept answers 1 if it has a schema.
 */
export const eventTypeOut = (t: EventTypeDoc, subscriptionCount: number): JsonObject => ({
  id: t.name,
  name: t.name,
  displayName: t.displayName,
  description: t.description,
  category: t.category,
  schema: t.schema === null ? null : JSON.stringify(t.schema),
  examplePayload: t.examplePayload === undefined || t.examplePayload === null ? null : JSON.stringify(t.examplePayload),
  documentationUrl: t.documentationUrl ?? null,
  isEnabled: !t.archived,
  isArchived: t.archived,
  isDeprecated: Boolean(t.deprecated),
  deprecatedAt: t.deprecated?.at ?? null,
  deprecatedMessage: t.deprecated?.message ?? null,
  schemaVersion: t.schema === null ? null : (t.schemaVersion ?? 1),
  subscriptionCount,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
});

const nStr: Schema = { type: ['string', 'null'] };

export const eventTypeSchema: Schema = {
  type: 'object',
  required: [
    'id', 'name', 'displayName', 'description', 'category', 'schema', 'examplePayload', 'documentationUrl', 'isEnabled', 'isArchived',
    'isDeprecated', 'deprecatedAt', 'deprecatedMessage', 'schemaVersion', 'subscriptionCount', 'createdAt', 'updatedAt',
  ],
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, displayName: nStr, description: nStr, category: nStr, schema: nStr, examplePayload: nStr,
    documentationUrl: nStr, isEnabled: { type: 'boolean' }, isArchived: { type: 'boolean' }, isDeprecated: { type: 'boolean' }, deprecatedAt: nStr,
    deprecatedMessage: nStr, schemaVersion: { type: ['integer', 'null'] }, subscriptionCount: { type: 'integer' },
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
    documentationUrl: { type: ['string', 'null'], maxLength: 2048 },
    isEnabled: { type: 'boolean' },
    isDeprecated: { type: 'boolean' },
    deprecatedMessage: { type: ['string', 'null'], maxLength: 1024 },
  },
};
