import { validationError } from '../../domain/errors';
import type { JsonObject } from '../../domain/json';
import type { SubscriptionDoc } from '../../projections/readModels';
import type { Schema } from '../route';

// Subscriptions on the compat surface ⇄ ours. Their `eventTypeId` is our event type's name (its id on /api).

export type SubscriptionBody = { endpointId?: string; eventTypeId?: string; eventTypeName?: string; isEnabled?: boolean };

export type BulkBody = { endpointId?: string; eventTypeIds?: string[] };

export const subscriptionCreateIn = (body: SubscriptionBody): { endpointId: string; eventType: string } => {
  if (body.endpointId === undefined) throw validationError('endpointId', 'required', 'endpointId is required.');
  const eventType = body.eventTypeId ?? body.eventTypeName;
  if (eventType === undefined) throw validationError('eventTypeId', 'required', 'eventTypeId is required.');
  return { endpointId: body.endpointId, eventType };
};

export const bulkIn = (body: BulkBody): { endpointId: string; eventTypes: string[] } => {
  if (body.endpointId === undefined) throw validationError('endpointId', 'required', 'endpointId is required.');
  if (body.eventTypeIds === undefined) throw validationError('eventTypeIds', 'required', 'eventTypeIds is required.');
  return { endpointId: body.endpointId, eventTypes: [...new Set(body.eventTypeIds)] };
};

export const subscriptionOut = (s: SubscriptionDoc): JsonObject => ({
  id: s.id,
  endpointId: s.endpointId,
  eventTypeId: s.eventTypeName,
  eventTypeName: s.eventTypeName,
  isEnabled: s.isEnabled,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});

export const bulkOut = (created: readonly SubscriptionDoc[], skipped: number): JsonObject => ({
  created: created.length,
  skipped,
  subscriptions: created.map(subscriptionOut),
});

const FIELDS: Record<string, Schema> = {
  id: { type: 'string' }, endpointId: { type: 'string' }, eventTypeId: { type: 'string' }, eventTypeName: { type: 'string' },
  isEnabled: { type: 'boolean' }, createdAt: { type: 'string' }, updatedAt: { type: 'string' },
};

export const subscriptionSchema: Schema = { type: 'object', required: Object.keys(FIELDS), properties: FIELDS };

export const bulkSchema: Schema = {
  type: 'object',
  required: ['created', 'skipped', 'subscriptions'],
  properties: { created: { type: 'integer' }, skipped: { type: 'integer' }, subscriptions: { type: 'array', items: subscriptionSchema } },
};

export const subscriptionBodySchema: Schema = {
  type: 'object',
  properties: { endpointId: { type: 'string', minLength: 1 }, eventTypeId: { type: 'string', minLength: 1 }, eventTypeName: { type: 'string', minLength: 1 }, isEnabled: { type: 'boolean' } },
};

export const bulkBodySchema: Schema = {
  type: 'object',
  properties: { endpointId: { type: 'string', minLength: 1 }, eventTypeIds: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 1000 } },
};
