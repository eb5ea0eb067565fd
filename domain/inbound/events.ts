import type { DestinationEvent } from '../destination/destination';
import type { JsonObject } from '../json';
import type { PipelineEvent } from '../pipeline/pipeline';
import type { RouteEvent } from '../route/route';
import type { SourceEvent, SourceSlugClaimed } from '../source/source';
import type { InboundDeliveryEvent } from './delivery';
import type { InboundEventEvent } from './inboundEvent';

// The inbound half's events and streams; domain/events.ts and domain/streams.ts include them (one registry).
// Same conventions: category prefixes, versioned events.

export { inboundCategories, inboundStreams } from './streams';

export type InboundDomainEvent = SourceEvent | SourceSlugClaimed | DestinationEvent | RouteEvent | PipelineEvent | InboundEventEvent | InboundDeliveryEvent;
export type InboundDomainEventType = InboundDomainEvent['type'];

/** Every event is written with `metadata.schemaVersion`; all are at version 1 (no upcaster yet). */
export const INBOUND_SCHEMA_VERSION: Readonly<Record<InboundDomainEventType, number>> = {
  SourceCreated: 1,
  SourceUpdated: 1,
  SourceActivated: 1,
  SourceDeactivated: 1,
  SourceSecretRotated: 1,
  SourceDeleted: 1,
  SourceSlugClaimed: 1,
  DestinationCreated: 1,
  DestinationUpdated: 1,
  DestinationActivated: 1,
  DestinationDeactivated: 1,
  DestinationDeleted: 1,
  RouteCreated: 1,
  RouteUpdated: 1,
  RouteActivated: 1,
  RouteDeactivated: 1,
  RouteDeleted: 1,
  FilterCreated: 1,
  FilterUpdated: 1,
  FilterDeleted: 1,
  TransformCreated: 1,
  TransformUpdated: 1,
  TransformDeleted: 1,
  SchemaCreated: 1,
  SchemaUpdated: 1,
  SchemaDeleted: 1,
  InboundEventReceived: 1,
  InboundEventRejected: 1,
  InboundEventRouted: 1,
  InboundEventReplayed: 1,
  InboundPayloadPurged: 1,
  InboundDeliveryCreated: 1,
  InboundAttemptSucceeded: 1,
  InboundAttemptFailed: 1,
  InboundRetryScheduled: 1,
  InboundDeliveryFailedOver: 1,
  InboundDeliveryExhausted: 1,
  InboundRetryRequested: 1,
  InboundDeliveryDiscarded: 1,
};

export const isInboundEventType = (type: string): type is InboundDomainEventType => Object.hasOwn(INBOUND_SCHEMA_VERSION, type);

/** A stored inbound event in its current shape; a type written by a later version gives null. */
export const readInboundEvent = (type: string, data: JsonObject): InboundDomainEvent | null =>
  isInboundEventType(type) ? ({ type, data } as InboundDomainEvent) : null;

export const inboundEventMetadata = (type: InboundDomainEventType, extra: JsonObject = {}): JsonObject => ({ schemaVersion: INBOUND_SCHEMA_VERSION[type], ...extra });
