import type { Subscription } from '../domain/endpoint/subscriptions';
import { evolveSubscriptions, replaceSubscriptions, sameFilter, SUBSCRIPTION_EVENT_TYPES } from '../domain/endpoint/subscriptions';
import type { HookbaseEvent } from '../domain/events';
import type { WriteCollection } from '../store/readStore';
import { collections } from './readModels';
import type { SubscriptionDoc, SubscriptionOwnerDoc } from './readModels';
import { projection } from './projection';

const toSubscription = (d: SubscriptionDoc): Subscription => ({
  id: d.id, eventType: d.eventTypeName, enabled: d.isEnabled, createdAt: d.createdAt, updatedAt: d.updatedAt, filter: d.filter ?? null,
});

const toDoc = (s: Subscription, endpointId: string, applicationId: string): SubscriptionDoc => ({
  id: s.id, endpointId, applicationId, eventTypeName: s.eventType, isEnabled: s.enabled, ...(s.filter ? { filter: s.filter } : {}), createdAt: s.createdAt, updatedAt: s.updatedAt,
});

const sameDoc = (a: SubscriptionDoc, b: SubscriptionDoc): boolean =>
  a.isEnabled === b.isEnabled && a.updatedAt === b.updatedAt && a.eventTypeName === b.eventTypeName && a.createdAt === b.createdAt && sameFilter(a.filter, b.filter);

/** An endpoint has few subscriptions (one per event type at most): its whole set is read, changed and diffed. */
const ofEndpoint = async (subs: WriteCollection<SubscriptionDoc>, endpointId: string): Promise<SubscriptionDoc[]> => {
  const out: SubscriptionDoc[] = [];
  let cursor: string | undefined;
  do {
    const page = await subs.find({ where: { endpointId }, limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
};

const writeDiff = async (subs: WriteCollection<SubscriptionDoc>, before: readonly SubscriptionDoc[], after: readonly SubscriptionDoc[]): Promise<void> => {
  const kept = new Map(after.map((d) => [d.id, d]));
  for (const d of before) if (!kept.has(d.id)) await subs.delete(d.id);
  const old = new Map(before.map((d) => [d.id, d]));
  for (const d of after) {
    const was = old.get(d.id);
    if (!was || !sameDoc(was, d)) await subs.put(d);
  }
};

/** The subscriptions read model: one document per (endpoint, event type) pair, from the endpoint's stream. */
export const subscriptionsProjection = projection(
  'subscriptions',
  [collections.subscriptions, collections.subscriptionOwners],
  ['EndpointCreated', 'EndpointUpdated', 'EndpointSubscriptionsChanged', ...SUBSCRIPTION_EVENT_TYPES, 'EndpointDeleted'],
  async (event: HookbaseEvent, tx) => {
    const subs = tx.collection<SubscriptionDoc>(collections.subscriptions);
    const owners = tx.collection<SubscriptionOwnerDoc>(collections.subscriptionOwners);
    switch (event.type) {
      case 'EndpointCreated': {
        const { endpointId, applicationId, createdAt } = event.data;
        await owners.put({ id: endpointId, applicationId });
        for (const s of event.data.subscriptions) {
          await subs.put({ id: s.subscriptionId, endpointId, applicationId, eventTypeName: s.eventType, isEnabled: true, createdAt, updatedAt: createdAt });
        }
        return;
      }
      case 'EndpointDeleted': {
        for (const d of await ofEndpoint(subs, event.data.endpointId)) await subs.delete(d.id);
        await owners.delete(event.data.endpointId);
        return;
      }
      case 'EndpointUpdated':
      case 'EndpointSubscriptionsChanged': {
        // Events of older versions that replaced the whole filter.
        const eventTypes = event.type === 'EndpointUpdated' ? event.data.legacyEventTypes : event.data.eventTypes;
        if (eventTypes === null) return;
        const at = event.type === 'EndpointUpdated' ? event.data.updatedAt : event.data.changedAt;
        const { endpointId } = event.data;
        const owner = await owners.get(endpointId);
        if (!owner) return;
        const before = await ofEndpoint(subs, endpointId);
        const after = replaceSubscriptions(before.map(toSubscription), endpointId, eventTypes, at);
        return writeDiff(subs, before, after.map((s) => toDoc(s, endpointId, owner.applicationId)));
      }
      case 'EndpointSubscriptionAdded':
      case 'EndpointSubscriptionEnabled':
      case 'EndpointSubscriptionDisabled':
      case 'EndpointSubscriptionRemoved':
      case 'EndpointSubscriptionFilterSet': {
        const { endpointId } = event.data;
        const applicationId = event.type === 'EndpointSubscriptionAdded' ? event.data.applicationId : (await owners.get(endpointId))?.applicationId;
        if (applicationId === undefined) return;
        const before = await ofEndpoint(subs, endpointId);
        const after = evolveSubscriptions(before.map(toSubscription), event);
        return writeDiff(subs, before, after.map((s) => toDoc(s, endpointId, applicationId)));
      }
      default:
        return;
    }
  },
);
