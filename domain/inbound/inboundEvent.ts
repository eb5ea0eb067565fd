import type { Event } from '../decider';
import type { SealedSecret } from '../secretBox';

/**
 * The raw bytes as received. `plain`: in the log as text (utf8) or base64 (anything else). `sealed`: a transient
 * source's payload, sealed with a key of its own (`keyId`, kept outside the log) that is destroyed once every
 * delivery has ended; after that the log holds only ciphertext nobody can open.
 */
export type StoredBody =
  | { kind: 'plain'; encoding: 'utf8' | 'base64'; data: string }
  | { kind: 'sealed'; keyId: string; sealed: SealedSecret };

/** A delivery decided when an event is routed (or replayed): fixed then, like an outbound message's fan-out. */
export type RoutedDelivery = { deliveryId: string; routeId: string; destinationId: string };
export type SkippedRoute = { routeId: string; reason: 'inactive' | 'filter' | 'schema' | 'transform'; detail: string | null };

export type InboundEventReceived = Event<
  'InboundEventReceived',
  {
    inboundEventId: string;
    sourceId: string;
    receivedAt: string;
    contentType: string | null;
    /** Lower-case names. */
    headers: { [name: string]: string };
    body: StoredBody;
    /** Hex SHA-256 of the raw bytes (dedup `payload_hash`, and proof of what arrived once a payload is purged). */
    payloadHash: string;
    ipAddress: string | null;
    /** Null: the source does not verify signatures. */
    signatureValid: boolean | null;
    eventType: string | null;
    dedupKey: string | null;
  }
>;
/** A request refused at the door (signature, IP list, rate limit, inactive source): its record, and nothing else. */
export type InboundEventRejected = Event<
  'InboundEventRejected',
  {
    inboundEventId: string;
    sourceId: string;
    receivedAt: string;
    ipAddress: string | null;
    reason: 'signature' | 'ip_denied' | 'rate_limited' | 'inactive';
    code: string;
    message: string;
  }
>;
export type InboundEventRouted = Event<'InboundEventRouted', { inboundEventId: string; routedAt: string; deliveries: RoutedDelivery[]; skipped: SkippedRoute[] }>;
/** Routed again through the routes of now. */
export type InboundEventReplayed = Event<'InboundEventReplayed', { inboundEventId: string; replayedAt: string; deliveries: RoutedDelivery[]; skipped: SkippedRoute[] }>;
/** The payload's key is destroyed (transient) or its retention ended: read models drop the payload. */
export type InboundPayloadPurged = Event<'InboundPayloadPurged', { inboundEventId: string; purgedAt: string; reason: 'transient' | 'retention' }>;

export type InboundEventEvent = InboundEventReceived | InboundEventRejected | InboundEventRouted | InboundEventReplayed | InboundPayloadPurged;

export type InboundEventRecord = Readonly<{
  id: string;
  sourceId: string;
  receivedAt: string;
  transient: boolean;
  payloadPurged: boolean;
  deliveries: readonly RoutedDelivery[];
}>;

export type InboundEventState =
  | Readonly<{ status: 'empty' }>
  | Readonly<{ status: 'rejected'; id: string }>
  | Readonly<{ status: 'received' | 'routed'; event: InboundEventRecord }>;

export const initialInboundEventState = (): InboundEventState => ({ status: 'empty' });

export const evolveInboundEvent = (state: InboundEventState, event: InboundEventEvent): InboundEventState => {
  switch (event.type) {
    case 'InboundEventReceived': {
      const d = event.data;
      return {
        status: 'received',
        event: { id: d.inboundEventId, sourceId: d.sourceId, receivedAt: d.receivedAt, transient: d.body.kind === 'sealed', payloadPurged: false, deliveries: [] },
      };
    }
    case 'InboundEventRejected':
      return { status: 'rejected', id: event.data.inboundEventId };
    case 'InboundEventRouted':
    case 'InboundEventReplayed':
      if (state.status !== 'received' && state.status !== 'routed') return state;
      return { status: 'routed', event: { ...state.event, deliveries: [...state.event.deliveries, ...event.data.deliveries] } };
    case 'InboundPayloadPurged':
      if (state.status !== 'received' && state.status !== 'routed') return state;
      return { status: state.status, event: { ...state.event, payloadPurged: true } };
    default: {
      const never: never = event;
      return never;
    }
  }
};
