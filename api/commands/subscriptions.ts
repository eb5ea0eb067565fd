import type { SubscriptionFilter as DeliveryFilter } from '../../domain/endpoint/subscriptions';
import { notFound, validationError } from '../../domain/errors';
import { newId } from '../../domain/ids';
import { collections } from '../../projections/readModels';
import type { EndpointDoc, EventTypeDoc, SubscriptionDoc } from '../../projections/readModels';
import type { Page, Scalar } from '../../store/readStore';
import type { ApiDeps } from '../deps';
import { findAfterOwnWrites, metadataOf } from './common';
import { runEndpointCommand } from './endpoints';

// Subscriptions, one (endpoint, event type) pair each, for every surface: /portal and /api call these.
// `applicationId` scopes a call to one application (a portal token's); null means any (an API key's).

export type SubscriptionFilter = Readonly<{
  applicationId?: string | null;
  endpointId?: string;
  eventTypeName?: string;
  isEnabled?: boolean;
}>;

export type PageRequest = Readonly<{ limit?: number; cursor?: string }>;

const subscriptions = (deps: ApiDeps) => deps.reads.collection<SubscriptionDoc>(collections.subscriptions);

const inScope = (applicationId: string | null, owner: string): boolean => applicationId === null || applicationId === owner;

/** Newest first. */
export const listSubscriptions = async (deps: ApiDeps, filter: SubscriptionFilter, page: PageRequest = {}): Promise<Page<SubscriptionDoc>> => {
  const where: Record<string, Scalar> = {};
  if (filter.endpointId !== undefined) {
    // An endpoint belongs to one application: scoped by the endpoint, the query needs no application key.
    const endpoint = await deps.reads.collection<EndpointDoc>(collections.endpoints).get(filter.endpointId);
    if (!endpoint || (filter.applicationId && endpoint.applicationId !== filter.applicationId)) return { items: [], nextCursor: null };
    where.endpointId = filter.endpointId;
  } else if (filter.applicationId) where.applicationId = filter.applicationId;
  if (filter.eventTypeName !== undefined) where.eventTypeName = filter.eventTypeName;
  if (filter.isEnabled !== undefined) where.isEnabled = filter.isEnabled;
  return subscriptions(deps).find({ where, orderBy: { key: 'createdAt', direction: 'desc' }, limit: page.limit ?? 50, cursor: page.cursor });
};

/** Every subscription of one endpoint (an endpoint has at most one per event type). */
export const subscriptionsOfEndpoint = async (deps: ApiDeps, endpointId: string): Promise<SubscriptionDoc[]> => {
  const out: SubscriptionDoc[] = [];
  let cursor: string | undefined;
  do {
    const page = await subscriptions(deps).find({ where: { endpointId }, orderBy: { key: 'createdAt', direction: 'asc' }, limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
};

export const requireSubscription = async (deps: ApiDeps, applicationId: string | null, subscriptionId: string): Promise<SubscriptionDoc> => {
  const doc = await findAfterOwnWrites(deps, () => subscriptions(deps).get(subscriptionId));
  // Another application's subscription is "not found": ids never reveal what belongs to someone else.
  if (!doc || !inScope(applicationId, doc.applicationId)) throw notFound('subscription', subscriptionId);
  return doc;
};

const requireEndpointIn = async (deps: ApiDeps, applicationId: string | null, endpointId: string): Promise<EndpointDoc> => {
  const doc = await findAfterOwnWrites(deps, () => deps.reads.collection<EndpointDoc>(collections.endpoints).get(endpointId));
  if (!doc || !inScope(applicationId, doc.applicationId)) throw notFound('endpoint', endpointId);
  return doc;
};

/** A new enabled subscription; 409 `subscription_exists` when the endpoint already has one for this event type. */
export const subscribe = async (
  deps: ApiDeps,
  applicationId: string | null,
  input: Readonly<{ endpointId: string; eventType: string; filter?: DeliveryFilter | null }>,
  field = 'eventType',
): Promise<SubscriptionDoc> => {
  await requireEndpointIn(deps, applicationId, input.endpointId);
  const type = await deps.reads.collection<EventTypeDoc>(collections.eventTypes).get(input.eventType);
  if (!type || type.archived) {
    throw validationError(field, 'event_type_exists', `${field}: ${input.eventType} is not a defined event type${type ? ' (it is archived)' : ''}.`);
  }
  const subscriptionId = newId('sub');
  await runEndpointCommand(deps, input.endpointId, {
    type: 'Subscribe',
    data: { endpointId: input.endpointId, subscriptionId, eventType: input.eventType, filter: input.filter ?? null },
    metadata: metadataOf(deps),
  });
  return requireSubscription(deps, applicationId, subscriptionId);
};

/** Replace the subscription's filter (null: none); the same filter again appends nothing. */
export const setSubscriptionFilter = async (
  deps: ApiDeps,
  applicationId: string | null,
  subscriptionId: string,
  filter: DeliveryFilter | null,
): Promise<SubscriptionDoc> => {
  const sub = await requireSubscription(deps, applicationId, subscriptionId);
  await runEndpointCommand(deps, sub.endpointId, {
    type: 'SetSubscriptionFilter',
    data: { endpointId: sub.endpointId, subscriptionId, filter },
    metadata: metadataOf(deps),
  });
  return requireSubscription(deps, applicationId, subscriptionId);
};

export const setSubscriptionEnabled = async (
  deps: ApiDeps,
  applicationId: string | null,
  subscriptionId: string,
  enabled: boolean,
): Promise<SubscriptionDoc> => {
  const sub = await requireSubscription(deps, applicationId, subscriptionId);
  await runEndpointCommand(deps, sub.endpointId, {
    type: 'SetSubscriptionEnabled',
    data: { endpointId: sub.endpointId, subscriptionId, enabled },
    metadata: metadataOf(deps),
  });
  return requireSubscription(deps, applicationId, subscriptionId);
};

export const unsubscribe = async (deps: ApiDeps, applicationId: string | null, subscriptionId: string): Promise<SubscriptionDoc> => {
  const sub = await requireSubscription(deps, applicationId, subscriptionId);
  await runEndpointCommand(deps, sub.endpointId, { type: 'Unsubscribe', data: { endpointId: sub.endpointId, subscriptionId }, metadata: metadataOf(deps) });
  return sub;
};
