import type { Event } from '../decider';
import { derivedSubscriptionId } from '../ids';

// An endpoint's subscriptions: one per (endpoint, event type) pair, with its own id and an enabled flag, kept as
// events on the endpoint's stream. An endpoint with no subscription at all receives every event type.

/**
 * Which sends of its event type a subscription takes (the official clients' subscription fields): every label it
 * names must (`all`) or one must (`any`) have one of the listed values in the send's labels; and `expression`, a
 * JSONata expression over the payload, must be true. Decided at send time (api/commands/subscriptionFilters.ts).
 */
export type SubscriptionFilter = {
  labels: Record<string, string | string[]> | null;
  labelMode: 'all' | 'any';
  expression: string | null;
};

/** `filter` is absent in states folded before subscriptions had filters (= none). */
export type Subscription = Readonly<{ id: string; eventType: string; enabled: boolean; createdAt: string; updatedAt: string; filter?: SubscriptionFilter | null }>;

/** A subscription as an EndpointCreated event names it (see EndpointCreated's `subscriptions`). */
export type SubscriptionRef = { subscriptionId: string; eventType: string };

export type EndpointSubscriptionAdded = Event<
  'EndpointSubscriptionAdded',
  { endpointId: string; applicationId: string; subscriptionId: string; eventType: string; addedAt: string }
>;
export type EndpointSubscriptionEnabled = Event<
  'EndpointSubscriptionEnabled',
  { endpointId: string; subscriptionId: string; eventType: string; enabledAt: string }
>;
export type EndpointSubscriptionDisabled = Event<
  'EndpointSubscriptionDisabled',
  { endpointId: string; subscriptionId: string; eventType: string; disabledAt: string }
>;
export type EndpointSubscriptionRemoved = Event<
  'EndpointSubscriptionRemoved',
  { endpointId: string; subscriptionId: string; eventType: string; removedAt: string }
>;

/** The subscription's filter replaced (null: none, every send of its event type). */
export type EndpointSubscriptionFilterSet = Event<
  'EndpointSubscriptionFilterSet',
  { endpointId: string; subscriptionId: string; eventType: string; filter: SubscriptionFilter | null; setAt: string }
>;

export type SubscriptionEvent =
  | EndpointSubscriptionAdded
  | EndpointSubscriptionEnabled
  | EndpointSubscriptionDisabled
  | EndpointSubscriptionRemoved
  | EndpointSubscriptionFilterSet;

export const SUBSCRIPTION_EVENT_TYPES = [
  'EndpointSubscriptionAdded',
  'EndpointSubscriptionEnabled',
  'EndpointSubscriptionDisabled',
  'EndpointSubscriptionRemoved',
  'EndpointSubscriptionFilterSet',
] as const satisfies readonly SubscriptionEvent['type'][];

/** Pairs are unique per endpoint, so a subscription is found by its event type as well as by its id. */
const setEnabled = (subs: readonly Subscription[], eventType: string, enabled: boolean, at: string): Subscription[] =>
  subs.map((s) => (s.eventType === eventType ? { ...s, enabled, updatedAt: at } : s));

export const evolveSubscriptions = (subs: readonly Subscription[], event: SubscriptionEvent): Subscription[] => {
  switch (event.type) {
    case 'EndpointSubscriptionAdded': {
      const { subscriptionId, eventType, addedAt } = event.data;
      return [...subs.filter((s) => s.eventType !== eventType), { id: subscriptionId, eventType, enabled: true, createdAt: addedAt, updatedAt: addedAt }];
    }
    case 'EndpointSubscriptionEnabled':
      return setEnabled(subs, event.data.eventType, true, event.data.enabledAt);
    case 'EndpointSubscriptionDisabled':
      return setEnabled(subs, event.data.eventType, false, event.data.disabledAt);
    case 'EndpointSubscriptionRemoved':
      return subs.filter((s) => s.eventType !== event.data.eventType);
    case 'EndpointSubscriptionFilterSet':
      return subs.map((s) => (s.eventType === event.data.eventType ? { ...s, filter: event.data.filter, updatedAt: event.data.setAt } : s));
    default: {
      const never: never = event;
      return never;
    }
  }
};

export const subscriptionEventTime = (event: SubscriptionEvent): string => {
  switch (event.type) {
    case 'EndpointSubscriptionAdded':
      return event.data.addedAt;
    case 'EndpointSubscriptionEnabled':
      return event.data.enabledAt;
    case 'EndpointSubscriptionDisabled':
      return event.data.disabledAt;
    case 'EndpointSubscriptionRemoved':
      return event.data.removedAt;
    case 'EndpointSubscriptionFilterSet':
      return event.data.setAt;
    default: {
      const never: never = event;
      return never;
    }
  }
};

/**
 * What an event written before subscriptions were events means: the endpoint's filter became exactly `eventTypes`.
 * Pairs kept stay as they are (a disabled one is enabled), the others go; new ones get their derived id.
 */
export const replaceSubscriptions = (
  subs: readonly Subscription[],
  endpointId: string,
  eventTypes: readonly string[],
  at: string,
): Subscription[] => {
  const wanted = new Set(eventTypes);
  const kept = subs.filter((s) => wanted.has(s.eventType)).map((s) => (s.enabled ? s : { ...s, enabled: true, updatedAt: at }));
  const have = new Set(kept.map((s) => s.eventType));
  const added = [...wanted]
    .filter((name) => !have.has(name))
    .map((eventType) => ({ id: derivedSubscriptionId(endpointId, eventType), eventType, enabled: true, createdAt: at, updatedAt: at }));
  return [...kept, ...added];
};

/** The event types of the enabled subscriptions: what API.md's `eventTypes` lists. */
export const enabledEventTypes = (subs: readonly Subscription[]): string[] => subs.filter((s) => s.enabled).map((s) => s.eventType);

/** The events that turn `subs` into exactly the enabled set `eventTypes` (new pairs take their id from `newIds`). */
export const subscriptionChanges = (
  subs: readonly Subscription[],
  ids: Readonly<{ endpointId: string; applicationId: string; now: string }>,
  eventTypes: readonly string[],
  newIds: ReadonlyMap<string, string>,
): SubscriptionEvent[] => {
  const { endpointId, applicationId, now } = ids;
  const wanted = new Set(eventTypes);
  const events: SubscriptionEvent[] = [];
  for (const s of subs) {
    if (!wanted.has(s.eventType)) {
      events.push({ type: 'EndpointSubscriptionRemoved', data: { endpointId, subscriptionId: s.id, eventType: s.eventType, removedAt: now } });
    } else if (!s.enabled) {
      events.push({ type: 'EndpointSubscriptionEnabled', data: { endpointId, subscriptionId: s.id, eventType: s.eventType, enabledAt: now } });
    }
  }
  const existing = new Set(subs.map((s) => s.eventType));
  for (const eventType of wanted) {
    if (existing.has(eventType)) continue;
    const subscriptionId = newIds.get(eventType);
    // The caller hands one new id per event type it names; a missing one is a bug, not bad input.
    if (subscriptionId === undefined) throw new Error(`No subscription id given for ${eventType}`);
    events.push({ type: 'EndpointSubscriptionAdded', data: { endpointId, applicationId, subscriptionId, eventType, addedAt: now } });
  }
  return events;
};

/** Filters compare as data: labels by key order-free, values in order. */
export const sameFilter = (a: SubscriptionFilter | null | undefined, b: SubscriptionFilter | null | undefined): boolean => {
  const canon = (f: SubscriptionFilter | null | undefined): string =>
    f ? JSON.stringify([f.labelMode, f.expression, f.labels === null ? null : Object.keys(f.labels).sort().map((k) => [k, f.labels?.[k]])]) : 'none';
  return canon(a) === canon(b);
};
