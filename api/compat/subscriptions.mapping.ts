import { validationError } from '../../domain/errors';
import type { JsonObject } from '../../domain/json';
import type { SubscriptionDoc } from '../../projections/readModels';
import type { Schema } from '../route';
import type { SubscriptionFilterBody } from '../commands/subscriptionFilters';

// Subscriptions on the compat surface ⇄ ours. Their `eventTypeId` is our event type's name (its id on /api).

export type SubscriptionBody = {
  endpointId?: string;
  eventTypeId?: string;
  eventTypeName?: string;
  isEnabled?: boolean;
  transformId?: string | null;
} & SubscriptionFilterBody;

/** A transform on an outbound subscription is not offered: refused by name rather than ignored. */
export const refuseTransform = (body: { transformId?: string | null }): void => {
  if (body.transformId !== undefined && body.transformId !== null && body.transformId !== '') {
    throw validationError('transformId', 'not_supported', 'transformId: transforms on outbound subscriptions are not offered by this server; filter with labelFilters or filterExpression.');
  }
};

/** What a subscription is joined with in the answer (the MCP server's list/get_subscription read these). */
export type SubscriptionJoin = Readonly<{
  endpointUrl: string | null;
  applicationName: string | null;
  eventTypeDisplayName: string | null;
}>;

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

/** The fields the Node SDK's Subscription has (the portal answers these alone). */
export const subscriptionCoreOut = (s: SubscriptionDoc): JsonObject => ({
  id: s.id,
  endpointId: s.endpointId,
  eventTypeId: s.eventTypeName,
  eventTypeName: s.eventTypeName,
  isEnabled: s.isEnabled,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});

export const subscriptionOut = (s: SubscriptionDoc, j: SubscriptionJoin): JsonObject => ({
  ...subscriptionCoreOut(s),
  filterExpression: s.filter?.expression ?? null,
  labelFilters: s.filter?.labels ?? null,
  labelFilterMode: s.filter?.labels ? s.filter.labelMode : null,
  transformId: null,
  createdBy: null,
  // Joined, flat (list_subscriptions) and nested (get_subscription), as the MCP server's src/tools/outbound.ts reads them.
  endpointUrl: j.endpointUrl,
  eventTypeDisplayName: j.eventTypeDisplayName,
  applicationId: s.applicationId,
  applicationName: j.applicationName,
  endpoint: j.endpointUrl === null ? null : { id: s.endpointId, url: j.endpointUrl },
  eventType: { id: s.eventTypeName, name: s.eventTypeName, displayName: j.eventTypeDisplayName },
  application: { id: s.applicationId, name: j.applicationName },
});

export const bulkOut = (created: readonly JsonObject[], skipped: number): JsonObject => ({
  created: created.length,
  skipped,
  subscriptions: [...created],
});

const nStr: Schema = { type: ['string', 'null'] };
const FIELDS: Record<string, Schema> = {
  id: { type: 'string' }, endpointId: { type: 'string' }, eventTypeId: { type: 'string' }, eventTypeName: { type: 'string' },
  isEnabled: { type: 'boolean' }, createdAt: { type: 'string' }, updatedAt: { type: 'string' },
  filterExpression: nStr, labelFilters: { type: ['object', 'null'] }, labelFilterMode: { enum: ['all', 'any', null] }, transformId: { type: 'null' },
  createdBy: { type: 'null' }, endpointUrl: nStr, eventTypeDisplayName: nStr, applicationId: { type: 'string' }, applicationName: nStr,
  endpoint: { type: ['object', 'null'] }, eventType: { type: 'object' }, application: { type: 'object' },
};

export const subscriptionSchema: Schema = { type: 'object', required: Object.keys(FIELDS), properties: FIELDS };

export const bulkSchema: Schema = {
  type: 'object',
  required: ['created', 'skipped', 'subscriptions'],
  properties: { created: { type: 'integer' }, skipped: { type: 'integer' }, subscriptions: { type: 'array', items: subscriptionSchema } },
};

/** The filter fields of a create or an update (subscriptionFilters.ts checks the rest). */
export const filterBodyProperties: Record<string, Schema> = {
  labelFilters: { type: ['object', 'null'], additionalProperties: { type: ['string', 'array'], items: { type: 'string', maxLength: 256 }, maxLength: 256, maxItems: 100 } },
  labelFilterMode: { enum: ['all', 'any', null] },
  filterExpression: { type: ['string', 'null'] },
  transformId: { type: ['string', 'null'] },
};

export const subscriptionBodySchema: Schema = {
  type: 'object',
  properties: {
    endpointId: { type: 'string', minLength: 1 }, eventTypeId: { type: 'string', minLength: 1 }, eventTypeName: { type: 'string', minLength: 1 }, isEnabled: { type: 'boolean' },
    ...filterBodyProperties,
  },
};

export const bulkBodySchema: Schema = {
  type: 'object',
  properties: { endpointId: { type: 'string', minLength: 1 }, eventTypeIds: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 1000 } },
};
