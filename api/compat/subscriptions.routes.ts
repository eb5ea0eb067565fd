import type { ApplicationDoc, EndpointDoc, EventTypeDoc, SubscriptionDoc } from '../../projections/readModels';
import type { JsonObject } from '../../domain/json';
import type { ApiDeps } from '../deps';
import { subscriptionFilterIn } from '../commands/subscriptionFilters';
import type { SubscriptionFilterBody } from '../commands/subscriptionFilters';
import { validationError } from '../../domain/errors';
import { collections } from '../../projections/readModels';
import { requireApplication } from '../commands/common';
import { requireSubscription, setSubscriptionEnabled, setSubscriptionFilter, subscribe, subscriptionsOfEndpoint, unsubscribe } from '../commands/subscriptions';
import { defineRoute } from '../route';
import { bulkBodySchema, bulkIn, bulkOut, bulkSchema, filterBodyProperties, refuseTransform, subscriptionBodySchema, subscriptionCreateIn, subscriptionOut, subscriptionSchema } from './subscriptions.mapping';
import type { BulkBody, SubscriptionBody } from './subscriptions.mapping';
import { requireEndpointById } from './endpoints.routes';
import { splitFilters } from '../pagination';
import { boolFilter, compatList, compatListQuery, dataSchema, given, listSchema, one } from './wire';
import type { CompatListQuery } from './wire';

const BASE = '/api/webhook-subscriptions';

/** The subscription with its endpoint's URL, its application's name and its event type's display name. */
export const shapeSubscription = async (deps: ApiDeps, s: SubscriptionDoc): Promise<JsonObject> => {
  const [endpoint, app, type] = await Promise.all([
    deps.reads.collection<EndpointDoc>(collections.endpoints).get(s.endpointId),
    deps.reads.collection<ApplicationDoc>(collections.applications).get(s.applicationId),
    deps.reads.collection<EventTypeDoc>(collections.eventTypes).get(s.eventTypeName),
  ]);
  return subscriptionOut(s, { endpointUrl: endpoint?.url ?? null, applicationName: app?.name ?? null, eventTypeDisplayName: type?.displayName ?? null });
};

type UpdateBody = { isEnabled?: boolean; transformId?: string | null } & SubscriptionFilterBody;

type SubscriptionQuery = CompatListQuery & { applicationId?: string; endpointId?: string; eventTypeId?: string; isEnabled?: boolean };

export const subscriptionRoutes = [
  defineRoute<undefined, SubscriptionQuery>({
    operationId: 'api.subscription.list',
    method: 'GET',
    path: BASE,
    summary: 'List subscriptions, newest first',
    auth: 'admin',
    query: compatListQuery({ applicationId: { type: 'string' }, endpointId: { type: 'string' }, eventTypeId: { type: 'string' }, isEnabled: boolFilter }),
    response: { status: 200, schema: listSchema(subscriptionSchema) },
    handle: async ({ deps, query }) => {
      const applicationId = query.applicationId === undefined ? undefined : (await requireApplication(deps, query.applicationId)).id;
      const filters = given({ endpointId: query.endpointId, applicationId, eventTypeName: query.eventTypeId, isEnabled: query.isEnabled });
      const { where, rest } = splitFilters(collections.subscriptions, filters, 'createdAt');
      const subs = deps.reads.collection<SubscriptionDoc>(collections.subscriptions);
      const options = { where, orderBy: { key: 'createdAt', direction: 'desc' as const } };
      return { status: 200, body: await compatList(subs, options, query, (s) => shapeSubscription(deps, s), rest) };
    },
  }),
  defineRoute<SubscriptionBody>({
    operationId: 'api.subscription.create',
    method: 'POST',
    path: BASE,
    summary: 'Subscribe an endpoint to an event type (409 when the pair exists)',
    auth: 'admin',
    body: { ...subscriptionBodySchema, required: ['endpointId'] },
    response: { status: 201, schema: dataSchema(subscriptionSchema) },
    handle: async ({ deps, body }) => {
      refuseTransform(body);
      const filter = await subscriptionFilterIn(body, null);
      let doc = await subscribe(deps, null, { ...subscriptionCreateIn(body), filter: filter ?? null }, 'eventTypeId');
      if (body.isEnabled === false) doc = await setSubscriptionEnabled(deps, null, doc.id, false);
      return { status: 201, body: one(await shapeSubscription(deps, doc)) };
    },
  }),
  defineRoute<BulkBody>({
    operationId: 'api.subscription.bulk',
    method: 'POST',
    path: `${BASE}/bulk`,
    summary: 'Subscribe an endpoint to several event types; pairs that exist are skipped. Unwrapped answer',
    auth: 'admin',
    body: { ...bulkBodySchema, required: ['endpointId', 'eventTypeIds'] },
    response: { status: 200, schema: bulkSchema },
    handle: async ({ deps, body }) => {
      const { endpointId, eventTypes } = bulkIn(body);
      await requireEndpointById(deps, endpointId);
      // Every event type is checked first: a refused bulk subscribes nothing.
      const types = deps.reads.collection<EventTypeDoc>(collections.eventTypes);
      for (const [i, name] of eventTypes.entries()) {
        const type = await types.get(name);
        if (!type || type.archived) throw validationError(`eventTypeIds[${i}]`, 'event_type_exists', `eventTypeIds[${i}]: ${name} is not a defined event type${type ? ' (it is archived)' : ''}.`);
      }
      const existing = new Set((await subscriptionsOfEndpoint(deps, endpointId)).map((s) => s.eventTypeName));
      const created: JsonObject[] = [];
      for (const [i, eventType] of eventTypes.entries()) {
        if (existing.has(eventType)) continue;
        created.push(await shapeSubscription(deps, await subscribe(deps, null, { endpointId, eventType }, `eventTypeIds[${i}]`)));
      }
      return { status: 200, body: bulkOut(created, eventTypes.length - created.length) };
    },
  }),
  defineRoute({
    operationId: 'api.subscription.get',
    method: 'GET',
    path: `${BASE}/{subscriptionId}`,
    summary: 'Get a subscription',
    auth: 'admin',
    response: { status: 200, schema: dataSchema(subscriptionSchema) },
    handle: async ({ deps, params }) => ({ status: 200, body: one(await shapeSubscription(deps, await requireSubscription(deps, null, params.subscriptionId ?? ''))) }),
  }),
  defineRoute<UpdateBody>({
    operationId: 'api.subscription.update',
    method: 'PATCH',
    path: `${BASE}/{subscriptionId}`,
    summary: "Enable or disable a subscription; set or clear its filter (labelFilters, labelFilterMode, filterExpression)",
    auth: 'admin',
    body: { type: 'object', properties: { isEnabled: { type: 'boolean' }, ...filterBodyProperties } },
    response: { status: 200, schema: dataSchema(subscriptionSchema) },
    handle: async ({ deps, params, body }) => {
      const id = params.subscriptionId ?? '';
      refuseTransform(body);
      let doc = await requireSubscription(deps, null, id);
      const filter = await subscriptionFilterIn(body, doc.filter ?? null);
      if (filter !== undefined) doc = await setSubscriptionFilter(deps, null, id, filter);
      if (body.isEnabled !== undefined) doc = await setSubscriptionEnabled(deps, null, id, body.isEnabled);
      return { status: 200, body: one(await shapeSubscription(deps, doc)) };
    },
  }),
  defineRoute({
    operationId: 'api.subscription.delete',
    method: 'DELETE',
    path: `${BASE}/{subscriptionId}`,
    summary: 'Remove a subscription',
    auth: 'admin',
    response: { status: 200, schema: { type: 'object', required: ['success'], properties: { success: { type: 'boolean' } } } },
    handle: async ({ deps, params }) => {
      await unsubscribe(deps, null, params.subscriptionId ?? '');
      return { status: 200, body: { success: true } };
    },
  }),
];

