import type { ApiKeyEvent, PortalTokenEvent } from './access/access';
import type { ApplicationEvent, ApplicationUidClaimed } from './application/application';
import type { EndpointEvent } from './endpoint/endpoint';
import type { EventTypeEvent } from './eventType/eventType';
import { derivedSubscriptionId } from './ids';
import { INBOUND_SCHEMA_VERSION } from './inbound/events';
import type { InboundDomainEvent } from './inbound/events';
import type { JsonObject, JsonValue } from './json';
import type { MessageEvent } from './message/message';
import type { OutboundEvent } from './outbound/outbound';

export type HookbaseEvent =
  | ApplicationEvent
  | ApplicationUidClaimed
  | EventTypeEvent
  | EndpointEvent
  | MessageEvent
  | OutboundEvent
  | ApiKeyEvent
  | PortalTokenEvent
  | InboundDomainEvent;

export type HookbaseEventType = HookbaseEvent['type'];

/**
 * Every event is written with `metadata.schemaVersion`. When an event's data changes shape, its version goes up
 * and an upcaster from the old version is added here, so that every event ever written stays readable.
 */
export const OUTBOUND_SCHEMA_VERSION: Readonly<Record<Exclude<HookbaseEventType, InboundDomainEvent['type']>, number>> = {
  ApplicationCreated: 1,
  ApplicationUpdated: 1,
  ApplicationDeleted: 1,
  ApplicationDisabled: 1,
  ApplicationEnabled: 1,
  ApplicationUidClaimed: 1,
  EventTypeCreated: 2,
  EventTypeUpdated: 2,
  EventTypeArchived: 1,
  EventTypeUnarchived: 1,
  EndpointCreated: 2,
  EndpointUpdated: 2,
  EndpointSubscriptionsChanged: 1,
  EndpointSubscriptionAdded: 1,
  EndpointSubscriptionEnabled: 1,
  EndpointSubscriptionDisabled: 1,
  EndpointSubscriptionRemoved: 1,
  EndpointSubscriptionFilterSet: 1,
  EndpointSecretRotated: 1,
  EndpointDisabled: 1,
  EndpointEnabled: 1,
  EndpointDeleted: 1,
  EndpointCircuitOpened: 1,
  EndpointCircuitHalfOpened: 1,
  EndpointCircuitClosed: 1,
  MessageSent: 1,
  MessageResent: 1,
  AttemptSucceeded: 1,
  AttemptFailed: 1,
  RetryScheduled: 1,
  DeliveryExhausted: 1,
  RetryRequested: 1,
  ApiKeyCreated: 1,
  ApiKeyRevoked: 1,
  PortalTokenCreated: 2,
  PortalTokenRevoked: 1,
};

/** Both halves: the inbound one (docs/inbound.md) is versioned in domain/inbound/events.ts. */
export const CURRENT_SCHEMA_VERSION: Readonly<Record<HookbaseEventType, number>> = { ...OUTBOUND_SCHEMA_VERSION, ...INBOUND_SCHEMA_VERSION };

type Upcaster = (data: JsonObject) => JsonObject;

const names = (value: JsonValue | undefined): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** `UPCASTERS[type][v]` turns data of version v into version v + 1. */
const UPCASTERS: Partial<Record<HookbaseEventType, Record<number, Upcaster>>> = {
  // v1 endpoints had an `eventTypes` filter; v2 keeps subscriptions, each with an id (derived for these).
  EndpointCreated: {
    1: ({ eventTypes, ...rest }) => ({
      ...rest,
      subscriptions: names(eventTypes).map((eventType) => ({ subscriptionId: derivedSubscriptionId(String(rest.endpointId), eventType), eventType })),
    }),
  },
  EndpointUpdated: {
    1: ({ eventTypes, ...rest }) => ({ ...rest, legacyEventTypes: names(eventTypes) }),
  },
  // v1 event types had no example payload, documentation link or deprecation mark.
  EventTypeCreated: {
    1: (data) => ({ ...data, examplePayload: null, documentationUrl: null, deprecated: null }),
  },
  EventTypeUpdated: {
    1: (data) => ({ ...data, examplePayload: null, documentationUrl: null, deprecated: null }),
  },
  // v1 portal tokens had neither name nor scopes: they could do everything.
  PortalTokenCreated: {
    1: (data) => ({ ...data, tokenPrefix: null, name: null, scopes: ['read', 'write'] }),
  },
};

export const isHookbaseEventType = (type: string): type is HookbaseEventType => Object.hasOwn(CURRENT_SCHEMA_VERSION, type);

/** Turns a stored event into the current shape of its type; unknown types (written by a later version) give null. */
export const upcast = (type: string, data: JsonObject, metadata: JsonObject): HookbaseEvent | null => {
  if (!isHookbaseEventType(type)) return null;
  const stored = typeof metadata.schemaVersion === 'number' ? metadata.schemaVersion : 1;
  let current = data;
  for (let v = stored; v < CURRENT_SCHEMA_VERSION[type]; v++) {
    const step = UPCASTERS[type]?.[v];
    if (!step) throw new Error(`No upcaster for ${type} v${v}`);
    current = step(current);
  }
  return { type, data: current } as HookbaseEvent;
};

export const eventMetadata = (type: HookbaseEventType, extra: JsonObject = {}): JsonObject => ({
  schemaVersion: CURRENT_SCHEMA_VERSION[type],
  ...extra,
});
