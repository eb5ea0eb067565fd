import type { HookbaseEventType } from '../domain/events';
import type { WriteCollection } from '../store/readStore';
import { projection } from './projection';
import { inboundCollections as c } from './inboundModels';
import type {
  DestinationDoc,
  FilterDoc,
  InboundAttemptDoc,
  InboundCountsDoc,
  InboundDeliveryDoc,
  InboundDueDoc,
  InboundEventDoc,
  InboundUnroutedDoc,
  RouteDoc,
  SchemaDoc,
  SourceDoc,
  TransformDoc,
} from './inboundModels';

const patch = async <T extends { id: string }>(collection: WriteCollection<T>, id: string, change: Partial<T>): Promise<void> => {
  const doc = await collection.get(id);
  if (doc) await collection.put({ ...doc, ...change });
};

const CONFIG_EVENTS: HookbaseEventType[] = [
  'SourceCreated', 'SourceUpdated', 'SourceActivated', 'SourceDeactivated', 'SourceSecretRotated', 'SourceDeleted',
  'DestinationCreated', 'DestinationUpdated', 'DestinationActivated', 'DestinationDeactivated', 'DestinationDeleted',
  'RouteCreated', 'RouteUpdated', 'RouteActivated', 'RouteDeactivated', 'RouteDeleted',
  'FilterCreated', 'FilterUpdated', 'FilterDeleted', 'TransformCreated', 'TransformUpdated', 'TransformDeleted', 'SchemaCreated', 'SchemaUpdated', 'SchemaDeleted',
];

/** Sources, destinations, routes, and the filters, transforms and schemas routes name. */
export const inboundConfigProjection = projection(
  'inbound_config',
  [c.sources, c.destinations, c.routes, c.filters, c.transforms, c.schemas],
  CONFIG_EVENTS,
  async (event, tx) => {
    const sources = tx.collection<SourceDoc>(c.sources);
    const destinations = tx.collection<DestinationDoc>(c.destinations);
    const routes = tx.collection<RouteDoc>(c.routes);
    switch (event.type) {
      case 'SourceCreated': {
        const { sourceId, createdAt, ...rest } = event.data;
        return sources.put({ ...rest, id: sourceId, createdAt, updatedAt: createdAt });
      }
      case 'SourceUpdated': {
        const { sourceId, updatedAt, ...settings } = event.data;
        return patch(sources, sourceId, { ...settings, updatedAt });
      }
      case 'SourceActivated':
        return patch(sources, event.data.sourceId, { isActive: true, updatedAt: event.data.activatedAt });
      case 'SourceDeactivated':
        return patch(sources, event.data.sourceId, { isActive: false, updatedAt: event.data.deactivatedAt });
      case 'SourceSecretRotated':
        return patch(sources, event.data.sourceId, { signingSecret: event.data.signingSecret, updatedAt: event.data.rotatedAt });
      case 'SourceDeleted':
        return sources.delete(event.data.sourceId);
      case 'DestinationCreated': {
        const { destinationId, createdAt, ...rest } = event.data;
        return destinations.put({ ...rest, id: destinationId, createdAt, updatedAt: createdAt });
      }
      case 'DestinationUpdated': {
        const { destinationId, updatedAt, ...settings } = event.data;
        return patch(destinations, destinationId, { ...settings, updatedAt });
      }
      case 'DestinationActivated':
        return patch(destinations, event.data.destinationId, { isActive: true, updatedAt: event.data.activatedAt });
      case 'DestinationDeactivated':
        return patch(destinations, event.data.destinationId, { isActive: false, updatedAt: event.data.deactivatedAt });
      case 'DestinationDeleted':
        return destinations.delete(event.data.destinationId);
      case 'RouteCreated': {
        const { routeId, createdAt, ...rest } = event.data;
        return routes.put({ ...rest, id: routeId, createdAt, updatedAt: createdAt });
      }
      case 'RouteUpdated': {
        const { routeId, updatedAt, ...settings } = event.data;
        return patch(routes, routeId, { ...settings, updatedAt });
      }
      case 'RouteActivated':
        return patch(routes, event.data.routeId, { isActive: true, updatedAt: event.data.activatedAt });
      case 'RouteDeactivated':
        return patch(routes, event.data.routeId, { isActive: false, updatedAt: event.data.deactivatedAt });
      case 'RouteDeleted':
        return routes.delete(event.data.routeId);
      case 'FilterCreated': {
        const { filterId, createdAt, ...rest } = event.data;
        return tx.collection<FilterDoc>(c.filters).put({ ...rest, id: filterId, version: 1, createdAt, updatedAt: createdAt });
      }
      case 'FilterUpdated': {
        const { filterId, ...rest } = event.data;
        return patch(tx.collection<FilterDoc>(c.filters), filterId, rest);
      }
      case 'FilterDeleted':
        return tx.collection<FilterDoc>(c.filters).delete(event.data.filterId);
      case 'TransformCreated': {
        const { transformId, createdAt, ...rest } = event.data;
        return tx.collection<TransformDoc>(c.transforms).put({ ...rest, id: transformId, version: 1, createdAt, updatedAt: createdAt });
      }
      case 'TransformUpdated': {
        const { transformId, ...rest } = event.data;
        return patch(tx.collection<TransformDoc>(c.transforms), transformId, rest);
      }
      case 'TransformDeleted':
        return tx.collection<TransformDoc>(c.transforms).delete(event.data.transformId);
      case 'SchemaCreated': {
        const { schemaId, createdAt, ...rest } = event.data;
        return tx.collection<SchemaDoc>(c.schemas).put({ ...rest, id: schemaId, version: 1, createdAt, updatedAt: createdAt });
      }
      case 'SchemaUpdated': {
        const { schemaId, ...rest } = event.data;
        return patch(tx.collection<SchemaDoc>(c.schemas), schemaId, rest);
      }
      case 'SchemaDeleted':
        return tx.collection<SchemaDoc>(c.schemas).delete(event.data.schemaId);
      default:
        return;
    }
  },
);

const TRAFFIC_EVENTS: HookbaseEventType[] = [
  'InboundEventReceived', 'InboundEventRejected', 'InboundEventRouted', 'InboundEventReplayed', 'InboundPayloadPurged',
  'InboundDeliveryCreated', 'InboundAttemptSucceeded', 'InboundAttemptFailed', 'InboundRetryScheduled', 'InboundDeliveryFailedOver',
  'InboundDeliveryExhausted', 'InboundRetryRequested', 'InboundDeliveryDiscarded',
];

/** Inbound events with their routing, deliveries with their attempts, and the two work lists (unrouted, due). */
export const inboundTrafficProjection = projection(
  'inbound_traffic',
  [c.inboundEvents, c.inboundDeliveries, c.inboundAttempts, c.inboundDue, c.inboundUnrouted, c.inboundCounts],
  TRAFFIC_EVENTS,
  async (event, tx) => {
    const counts = tx.collection<InboundCountsDoc>(c.inboundCounts);
    const count = async (id: string, field: 'events' | 'deliveries' | 'successes' | 'failures'): Promise<void> => {
      const doc = (await counts.get(id)) ?? { id, events: 0, deliveries: 0, successes: 0, failures: 0 };
      await counts.put({ ...doc, [field]: doc[field] + 1 });
    };
    const events = tx.collection<InboundEventDoc>(c.inboundEvents);
    const deliveries = tx.collection<InboundDeliveryDoc>(c.inboundDeliveries);
    const due = tx.collection<InboundDueDoc>(c.inboundDue);
    const attempts = tx.collection<InboundAttemptDoc>(c.inboundAttempts);
    switch (event.type) {
      case 'InboundEventReceived': {
        const d = event.data;
        const plain = d.body.kind === 'plain' ? d.body : null;
        await events.put({
          id: d.inboundEventId, sourceId: d.sourceId, status: 'received', receivedAt: d.receivedAt, contentType: d.contentType, headers: d.headers,
          body: plain?.data ?? null, bodyEncoding: plain?.encoding ?? null, transient: plain === null, payloadPurged: false, payloadHash: d.payloadHash,
          ipAddress: d.ipAddress, signatureValid: d.signatureValid, eventType: d.eventType, dedupKey: d.dedupKey, rejection: null,
          deliveryIds: [], skipped: [], routedAt: null, replays: 0,
        });
        await count(d.sourceId, 'events');
        return tx.collection<InboundUnroutedDoc>(c.inboundUnrouted).put({ id: d.inboundEventId, sourceId: d.sourceId, receivedAt: d.receivedAt });
      }
      case 'InboundEventRejected': {
        const d = event.data;
        await count(d.sourceId, 'events');
        return events.put({
          id: d.inboundEventId, sourceId: d.sourceId, status: 'rejected', receivedAt: d.receivedAt, contentType: null, headers: {}, body: null, bodyEncoding: null,
          transient: false, payloadPurged: false, payloadHash: null, ipAddress: d.ipAddress, signatureValid: d.reason === 'signature' ? false : null, eventType: null,
          dedupKey: null, rejection: { reason: d.reason, code: d.code, message: d.message }, deliveryIds: [], skipped: [], routedAt: null, replays: 0,
        });
      }
      case 'InboundEventRouted': {
        const d = event.data;
        await patch(events, d.inboundEventId, { status: 'routed', deliveryIds: d.deliveries.map((x) => x.deliveryId), skipped: d.skipped, routedAt: d.routedAt });
        return tx.collection<InboundUnroutedDoc>(c.inboundUnrouted).delete(d.inboundEventId);
      }
      case 'InboundEventReplayed': {
        const d = event.data;
        const doc = await events.get(d.inboundEventId);
        if (doc) await events.put({ ...doc, deliveryIds: [...doc.deliveryIds, ...d.deliveries.map((x) => x.deliveryId)], skipped: d.skipped, replays: doc.replays + 1 });
        return;
      }
      case 'InboundPayloadPurged':
        return patch(events, event.data.inboundEventId, { body: null, bodyEncoding: null, payloadPurged: true });
      case 'InboundDeliveryCreated': {
        const d = event.data;
        const destinationId = d.destinationIds[0] ?? '';
        await deliveries.put({
          id: d.deliveryId, inboundEventId: d.inboundEventId, routeId: d.routeId, sourceId: d.sourceId, destinationId, destinationIds: d.destinationIds,
          status: 'pending', attempts: 0, maxAttemptsPerDestination: d.maxAttemptsPerDestination, lastAttemptAt: null, nextAttemptAt: d.createdAt,
          lastResponseStatus: null, lastError: null, deliveredAt: null, exhaustedAt: null, exhaustedReason: null, createdAt: d.createdAt,
        });
        await count(d.routeId, 'deliveries');
        await count(destinationId, 'deliveries');
        return due.put({ id: d.deliveryId, destinationId, attemptNumber: 1, dueAt: d.createdAt });
      }
      case 'InboundAttemptSucceeded':
      case 'InboundAttemptFailed': {
        const d = event.data;
        const failed = event.type === 'InboundAttemptFailed';
        const error = event.type === 'InboundAttemptFailed' ? event.data.error : null;
        await attempts.put({
          id: d.attemptId, deliveryId: d.deliveryId, destinationId: d.destinationId, attemptNumber: d.attemptNumber, responseStatus: d.responseStatus,
          responseBody: d.responseBody, error, latencyMs: d.latencyMs, attemptedAt: d.attemptedAt,
        });
        await patch(deliveries, d.deliveryId, {
          status: failed ? 'failed' : 'success', attempts: d.attemptNumber, lastAttemptAt: d.attemptedAt, lastResponseStatus: d.responseStatus, lastError: error,
          nextAttemptAt: null, ...(failed ? {} : { deliveredAt: d.attemptedAt }),
        });
        if (!failed) {
          await count(d.routeId, 'successes');
          await count(d.destinationId, 'successes');
        }
        return due.delete(d.deliveryId);
      }
      case 'InboundRetryScheduled': {
        const d = event.data;
        await patch(deliveries, d.deliveryId, { nextAttemptAt: d.dueAt });
        return due.put({ id: d.deliveryId, destinationId: d.destinationId, attemptNumber: d.attemptNumber, dueAt: d.dueAt });
      }
      case 'InboundDeliveryFailedOver':
        await count(event.data.toDestinationId, 'deliveries');
        return patch(deliveries, event.data.deliveryId, { destinationId: event.data.toDestinationId });
      case 'InboundDeliveryExhausted': {
        const d = event.data;
        await patch(deliveries, d.deliveryId, { status: 'exhausted', nextAttemptAt: null, exhaustedAt: d.exhaustedAt, exhaustedReason: d.reason });
        await count(d.routeId, 'failures');
        await count(d.destinationId, 'failures');
        return due.delete(d.deliveryId);
      }
      case 'InboundRetryRequested': {
        const d = event.data;
        await patch(deliveries, d.deliveryId, { status: 'pending', nextAttemptAt: d.requestedAt, exhaustedAt: null, exhaustedReason: null });
        return due.put({ id: d.deliveryId, destinationId: d.destinationId, attemptNumber: d.attemptNumber, dueAt: d.requestedAt });
      }
      case 'InboundDeliveryDiscarded': {
        await patch(deliveries, event.data.deliveryId, { status: 'discarded', nextAttemptAt: null });
        return due.delete(event.data.deliveryId);
      }
      default:
        return;
    }
  },
);
