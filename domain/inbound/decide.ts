import type { Command, Decider } from '../decider';
import { assertNever, conflict, notFound, validationError } from '../errors';
import type { InboundEventEvent, InboundEventReceived, InboundEventRejected, InboundEventState, RoutedDelivery, SkippedRoute } from './inboundEvent';
import { evolveInboundEvent, initialInboundEventState } from './inboundEvent';

type ReceivedData = InboundEventReceived['data'];
type RejectedData = InboundEventRejected['data'];

export type ReceiveInboundEvent = Command<'ReceiveInboundEvent', Omit<ReceivedData, 'receivedAt'>>;
export type RejectInboundEvent = Command<'RejectInboundEvent', Omit<RejectedData, 'receivedAt'>>;
/** The router's decision (routes of the source, filters, schema, transform), handed in whole. */
export type RouteInboundEvent = Command<'RouteInboundEvent', { inboundEventId: string; deliveries: RoutedDelivery[]; skipped: SkippedRoute[] }>;
export type ReplayInboundEvent = Command<'ReplayInboundEvent', { inboundEventId: string; deliveries: RoutedDelivery[]; skipped: SkippedRoute[] }>;
export type PurgeInboundPayload = Command<'PurgeInboundPayload', { inboundEventId: string; reason: 'transient' | 'retention' }>;

export type InboundEventCommand = ReceiveInboundEvent | RejectInboundEvent | RouteInboundEvent | ReplayInboundEvent | PurgeInboundPayload;

const HEX_SHA256 = /^[0-9a-f]{64}$/;

const requireFreshDeliveries = (deliveries: readonly RoutedDelivery[], known: readonly RoutedDelivery[]): void => {
  const ids = new Set(known.map((d) => d.deliveryId));
  deliveries.forEach((d, i) => {
    if (ids.has(d.deliveryId)) throw validationError(`deliveries[${i}].deliveryId`, 'unique', `Delivery ${d.deliveryId} is already part of this event.`);
    ids.add(d.deliveryId);
  });
};

/**
 * The inbound event's life: received (or rejected at the door), routed once, replayed any number of times while its
 * payload exists. With dedup, the event id is derived from (source, dedup key) and the append expects no stream:
 * a second receipt is the `inbound_event_exists` conflict, answered as a duplicate.
 */
export const decideInboundEvent = (command: InboundEventCommand, state: InboundEventState): InboundEventEvent[] => {
  const now = command.metadata.now;
  const id = command.data.inboundEventId;
  switch (command.type) {
    case 'ReceiveInboundEvent': {
      if (state.status !== 'empty') throw conflict('inbound_event_exists', `Inbound event ${id} was already received.`);
      if (!HEX_SHA256.test(command.data.payloadHash)) throw validationError('payloadHash', 'pattern', 'payloadHash must be a hex SHA-256.');
      return [{ type: 'InboundEventReceived', data: { ...command.data, receivedAt: now } }];
    }
    case 'RejectInboundEvent':
      if (state.status !== 'empty') throw conflict('inbound_event_exists', `Inbound event ${id} was already received.`);
      return [{ type: 'InboundEventRejected', data: { ...command.data, receivedAt: now } }];
    case 'RouteInboundEvent': {
      if (state.status === 'routed') throw conflict('inbound_event_routed', `Inbound event ${id} was already routed.`);
      if (state.status !== 'received') throw notFound('inbound event', id);
      requireFreshDeliveries(command.data.deliveries, []);
      return [{ type: 'InboundEventRouted', data: { inboundEventId: id, routedAt: now, deliveries: command.data.deliveries, skipped: command.data.skipped } }];
    }
    case 'ReplayInboundEvent': {
      if (state.status !== 'received' && state.status !== 'routed') throw notFound('inbound event', id);
      if (state.event.payloadPurged) throw conflict('payload_purged', `Inbound event ${id} cannot be replayed: its payload was purged (transient source or retention).`);
      requireFreshDeliveries(command.data.deliveries, state.event.deliveries);
      return [{ type: 'InboundEventReplayed', data: { inboundEventId: id, replayedAt: now, deliveries: command.data.deliveries, skipped: command.data.skipped } }];
    }
    case 'PurgeInboundPayload':
      if (state.status !== 'received' && state.status !== 'routed') throw notFound('inbound event', id);
      return state.event.payloadPurged ? [] : [{ type: 'InboundPayloadPurged', data: { inboundEventId: id, purgedAt: now, reason: command.data.reason } }];
    default:
      return assertNever(command);
  }
};

export const inboundEventDecider: Decider<InboundEventState, InboundEventCommand, InboundEventEvent> = {
  decide: decideInboundEvent,
  evolve: evolveInboundEvent,
  initialState: initialInboundEventState,
};
