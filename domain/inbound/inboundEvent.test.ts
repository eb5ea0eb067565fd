import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../testing/deciderSpec';
import type { ReceiveInboundEvent, ReplayInboundEvent } from './decide';
import { inboundEventDecider } from './decide';
import type { InboundEventReceived, InboundEventRouted, InboundPayloadPurged, RoutedDelivery, SkippedRoute } from './inboundEvent';

const NOW = '2026-01-01T00:00:00.000Z';
const EARLIER = '2025-12-31T23:59:00.000Z';
const meta = { now: NOW };
const spec = deciderSpec(inboundEventDecider);
const HASH = 'a'.repeat(64);

const receivedData: Omit<InboundEventReceived['data'], 'receivedAt'> = {
  inboundEventId: 'ibe_1',
  sourceId: 'src_1',
  contentType: 'application/json',
  headers: { 'stripe-signature': 't=1,v1=ab' },
  body: { kind: 'plain', encoding: 'utf8', data: '{"type":"invoice.paid"}' },
  payloadHash: HASH,
  ipAddress: '203.0.113.9',
  signatureValid: true,
  eventType: 'invoice.paid',
  dedupKey: 'evt_1',
};
const received: InboundEventReceived = { type: 'InboundEventReceived', data: { ...receivedData, receivedAt: EARLIER } };
const transient: InboundEventReceived = {
  type: 'InboundEventReceived',
  data: { ...received.data, body: { kind: 'sealed', keyId: 'key_1', sealed: { alg: 'A256GCM', iv: 'aXY=', tag: 'dGFn', data: 'Y2lwaGVy' } } },
};
const delivery = (n: number): RoutedDelivery => ({ deliveryId: `ibd_${n}`, routeId: `rte_${n}`, destinationId: `dst_${n}` });
const filteredOut: SkippedRoute = { routeId: 'rte_9', reason: 'filter', detail: 'conditions[0] did not pass' };
const routed: InboundEventRouted = { type: 'InboundEventRouted', data: { inboundEventId: 'ibe_1', routedAt: EARLIER, deliveries: [delivery(1)], skipped: [filteredOut] } };
const purged: InboundPayloadPurged = { type: 'InboundPayloadPurged', data: { inboundEventId: 'ibe_1', purgedAt: EARLIER, reason: 'transient' } };
const receive = (data: Partial<ReceiveInboundEvent['data']> = {}): ReceiveInboundEvent => ({ type: 'ReceiveInboundEvent', data: { ...receivedData, ...data }, metadata: meta });
const route = (deliveries: RoutedDelivery[], skipped: SkippedRoute[] = []) => ({ type: 'RouteInboundEvent', data: { inboundEventId: 'ibe_1', deliveries, skipped }, metadata: meta }) as const;
const replay = (deliveries: RoutedDelivery[]): ReplayInboundEvent => ({ type: 'ReplayInboundEvent', data: { inboundEventId: 'ibe_1', deliveries, skipped: [] }, metadata: meta });

describe('inbound event decider', () => {
  it('receives an event at the time of the command', () => {
    const state = spec.given([]).when(receive()).then([{ ...received, data: { ...received.data, receivedAt: NOW } }]);
    expect(state).toMatchObject({ status: 'received', event: { id: 'ibe_1', transient: false, payloadPurged: false } });
  });

  it('a second receipt of the same (derived) id is a duplicate', () => {
    spec.given([received]).when(receive()).thenThrows({ kind: 'conflict', code: 'inbound_event_exists' });
  });

  it('refuses a payload hash that is not a hex SHA-256', () => {
    spec.given([]).when(receive({ payloadHash: 'nope' })).thenThrows({ kind: 'validation', code: 'validation_failed', field: 'payloadHash', rule: 'pattern' });
  });

  it('records a rejection at the door, and only that', () => {
    const data = { inboundEventId: 'ibe_1', sourceId: 'src_1', ipAddress: '198.51.100.7', reason: 'signature', code: 'no_matching_signature', message: 'No matching signature found' } as const;
    const state = spec.given([]).when({ type: 'RejectInboundEvent', data, metadata: meta }).then([{ type: 'InboundEventRejected', data: { ...data, receivedAt: NOW } }]);
    expect(state).toEqual({ status: 'rejected', id: 'ibe_1' });
    spec.given([{ type: 'InboundEventRejected', data: { ...data, receivedAt: EARLIER } }]).when(route([delivery(1)])).thenThrows({ kind: 'not_found', code: 'inbound_event_not_found' });
  });

  it('routes once, with the deliveries and the routes skipped and why', () => {
    const state = spec.given([received]).when(route([delivery(1)], [filteredOut])).then([{ ...routed, data: { ...routed.data, routedAt: NOW } }]);
    expect(state).toMatchObject({ status: 'routed', event: { deliveries: [delivery(1)] } });
    spec.given([received, routed]).when(route([delivery(2)])).thenThrows({ kind: 'conflict', code: 'inbound_event_routed' });
    spec.given([received]).when(route([delivery(1), delivery(1)])).thenThrows({ kind: 'validation', code: 'validation_failed', field: 'deliveries[1].deliveryId', rule: 'unique' });
  });

  it('replays through the routes of now, with new deliveries only', () => {
    spec
      .given([received, routed])
      .when(replay([delivery(2)]))
      .then([{ type: 'InboundEventReplayed', data: { inboundEventId: 'ibe_1', replayedAt: NOW, deliveries: [delivery(2)], skipped: [] } }]);
    spec.given([received, routed]).when(replay([delivery(1)])).thenThrows({ kind: 'validation', code: 'validation_failed', field: 'deliveries[0].deliveryId', rule: 'unique' });
  });

  it('a transient payload is purged once; after that the event cannot be replayed', () => {
    const state = spec
      .given([transient, routed])
      .when({ type: 'PurgeInboundPayload', data: { inboundEventId: 'ibe_1', reason: 'transient' }, metadata: meta })
      .then([{ ...purged, data: { ...purged.data, purgedAt: NOW } }]);
    expect(state).toMatchObject({ event: { transient: true, payloadPurged: true } });
    spec.given([transient, routed, purged]).when({ type: 'PurgeInboundPayload', data: { inboundEventId: 'ibe_1', reason: 'transient' }, metadata: meta }).then([]);
    spec.given([transient, routed, purged]).when(replay([delivery(2)])).thenThrows({ kind: 'conflict', code: 'payload_purged' });
  });
});
