import type { ValidateFunction } from 'ajv';
import { inboundEventDecider } from '../domain/inbound/decide';
import { inboundDeliveryDecider } from '../domain/inbound/deliveryDecide';
import type { CreateInboundDelivery } from '../domain/inbound/deliveryDecide';
import type { InboundEventReceived, RoutedDelivery, SkippedRoute, StoredBody } from '../domain/inbound/inboundEvent';
import { DomainError } from '../domain/errors';
import { derivedInboundDeliveryId, newId } from '../domain/ids';
import type { FilterDefinition } from '../domain/route/filters';
import type { Route } from '../domain/route/route';
import { sealSecret } from '../domain/secretBox';
import { streams } from '../domain/streams';
import { collections } from '../projections/readModels';
import type { DestinationDoc, FilterDoc, RouteDoc, SchemaDoc, TransformDoc } from '../projections/readModels';
import { aggregateStream, handleCommand } from '../store/commandHandler';
import type { EventStore, Position } from '../store/eventStore';
import { StreamNotFoundError, WrongExpectedVersionError } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import { destroyPayloadKey, loadPayloadKey } from './payloadKeys';
import { compileSchema, decideRouting } from './router';
import type { DecidedDelivery } from './router';
import { openBody } from './storedBody';
import { DEFAULT_TRANSFORM_LIMITS, compileTransform } from './transforms';
import type { CompiledTransform } from './transforms';

/** What routing needs: the log, the read models (routes and their parts), the operational store (payload keys). */
export type RoutingDeps = Readonly<{ events: EventStore; reads: ReadStore; ops: ReadStore; masterKey: Buffer; now: () => Date; log: (line: string) => void }>;

/** The received event as the log holds it; null when the stream holds no receipt. */
export const readReceipt = async (events: EventStore, inboundEventId: string): Promise<InboundEventReceived['data'] | null> => {
  try {
    for await (const recorded of events.readStream(streams.inbound(inboundEventId))) {
      if (recorded.type === 'InboundEventReceived') return recorded.data as InboundEventReceived['data'];
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return null;
};

const all = async <T extends { id: string }>(reads: ReadStore, def: Parameters<ReadStore['collection']>[0], where?: Record<string, string>): Promise<T[]> => {
  const out: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await reads.collection<T>(def).find({ ...(where ? { where } : {}), orderBy: { key: 'createdAt', direction: 'asc' }, limit: 500, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    if (page.nextCursor === null) return out;
    cursor = page.nextCursor;
  }
};

/** The routes of a source as they are now, with the named filters, compiled transforms and schemas they use. */
const routingInputs = async (reads: ReadStore, sourceId: string) => {
  const routes = await all<RouteDoc>(reads, collections.routes, { sourceId });
  const filters = new Map<string, FilterDefinition>();
  const transforms = new Map<string, CompiledTransform>();
  const schemas = new Map<string, ValidateFunction>();
  for (const route of routes) {
    if (route.filterId !== null && !filters.has(route.filterId)) {
      const f = await reads.collection<FilterDoc>(collections.filters).get(route.filterId);
      if (f) filters.set(f.id, { conditions: f.conditions, logic: f.logic });
    }
    if (route.transformId !== null && !transforms.has(route.transformId)) {
      const t = await reads.collection<TransformDoc>(collections.transforms).get(route.transformId);
      if (t) transforms.set(t.id, await compileTransform(t.transformType, t.code));
    }
    if (route.schemaId !== null && !schemas.has(route.schemaId)) {
      const s = await reads.collection<SchemaDoc>(collections.schemas).get(route.schemaId);
      if (s) schemas.set(s.id, compileSchema(s.jsonSchema));
    }
  }
  return { routes: routes as Route[], resources: { filters, transforms, schemas } };
};

/** A delivery's body: the original bytes as stored, or the transform's output as JSON (sealed alike for a transient source). */
const deliveryBody = (receipt: InboundEventReceived['data'], decided: DecidedDelivery, key: Buffer | null): { body: StoredBody; contentType: string } => {
  if (decided.body.kind === 'original') return { body: receipt.body, contentType: receipt.contentType ?? 'application/octet-stream' };
  const text = JSON.stringify(decided.body.output);
  if (receipt.body.kind === 'sealed' && key !== null) {
    return { body: { kind: 'sealed', keyId: receipt.body.keyId, sealed: sealSecret(key, Buffer.from(text, 'utf8').toString('base64')) }, contentType: 'application/json' };
  }
  return { body: { kind: 'plain', encoding: 'utf8', data: text }, contentType: 'application/json' };
};

export type RoutingOutcome = Readonly<{ deliveries: RoutedDelivery[]; skipped: SkippedRoute[]; position: Position | null }>;

/**
 * Routes a received event through its source's routes as they are now, creates one delivery stream per delivery,
 * then records the routing on the event's stream. A first routing derives the delivery ids from (event, route), so
 * two routers that race (or one that crashed half-way and runs again) create the same streams once; a replay makes
 * new ids and records itself as a replay.
 */
export const routeInboundEvent = async (deps: RoutingDeps, inboundEventId: string, mode: 'first' | 'replay'): Promise<RoutingOutcome | null> => {
  const receipt = await readReceipt(deps.events, inboundEventId);
  if (receipt === null) return null;
  const key = receipt.body.kind === 'sealed' ? await loadPayloadKey(deps.ops, deps.masterKey, receipt.body.keyId) : null;
  const raw = openBody(receipt.body, () => key);
  if (raw === null && mode === 'replay') throw new DomainError('conflict', 'payload_purged', `Inbound event ${inboundEventId} cannot be replayed: its payload was purged.`);
  let payload: unknown;
  try {
    payload = raw === null || raw.length === 0 ? undefined : (JSON.parse(Buffer.from(raw).toString('utf8')) as unknown);
  } catch {
    payload = undefined;
  }
  const { routes, resources } = await routingInputs(deps.reads, receipt.sourceId);
  const now = deps.now();
  const decision = await decideRouting(routes, { payload, headers: receipt.headers }, resources, (routeId) => (mode === 'first' ? derivedInboundDeliveryId(inboundEventId, routeId) : newId('ibd')), {
    now,
    limits: DEFAULT_TRANSFORM_LIMITS,
  });
  const metadata = { now: now.toISOString() };
  const routeById = new Map(routes.map((r) => [r.id, r]));
  for (const decided of decision.deliveries) {
    const route = routeById.get(decided.routeId)!;
    const destination = await deps.reads.collection<DestinationDoc>(collections.destinations).get(route.destinationId);
    const { body, contentType } = deliveryBody(receipt, decided, key);
    const command: CreateInboundDelivery = {
      type: 'CreateInboundDelivery',
      data: {
        deliveryId: decided.deliveryId,
        inboundEventId,
        routeId: route.id,
        sourceId: receipt.sourceId,
        destinationIds: [route.destinationId, ...route.failoverDestinationIds],
        failoverAfterAttempts: route.failoverDestinationIds.length > 0 ? route.failoverAfterAttempts : null,
        // The destination's retry budget at routing time (its retryCount + 1); a missing one still gets an attempt (recorded as failed).
        maxAttemptsPerDestination: (destination?.retryCount ?? 0) + 1,
        body,
        contentType,
      },
      metadata,
    };
    try {
      await handleCommand(deps.events, streams.inboundDelivery(decided.deliveryId), inboundDeliveryDecider, command, { expectedRevision: 'no_stream' });
    } catch (error) {
      // Created by a router that raced this one (or by this one before a crash): the same delivery.
      if (!(error instanceof WrongExpectedVersionError)) throw error;
    }
  }
  const deliveries = decision.deliveries.map(({ deliveryId, routeId, destinationId }) => ({ deliveryId, routeId, destinationId }));
  try {
    const { position } = await handleCommand(deps.events, streams.inbound(inboundEventId), inboundEventDecider, {
      type: mode === 'first' ? 'RouteInboundEvent' : 'ReplayInboundEvent',
      data: { inboundEventId, deliveries, skipped: decision.skipped },
      metadata,
    });
    return { deliveries, skipped: decision.skipped, position };
  } catch (error) {
    if (mode === 'first' && error instanceof DomainError && error.code === 'inbound_event_routed') return { deliveries, skipped: decision.skipped, position: null };
    throw error;
  }
};

/**
 * Transient mode: once every delivery of an event has ended (delivered, or discarded from the DLQ; one waiting in
 * the DLQ still needs the payload), the payload's key is destroyed and InboundPayloadPurged appended: from then on
 * the log's ciphertext is unreadable and the read models hold no payload. A plain (non-transient) event is left alone.
 */
export const purgeIfDelivered = async (deps: RoutingDeps, inboundEventId: string): Promise<boolean> => {
  const receipt = await readReceipt(deps.events, inboundEventId);
  if (receipt === null || receipt.body.kind !== 'sealed') return false;
  const { state } = await aggregateStream(deps.events, streams.inbound(inboundEventId), inboundEventDecider.evolve, inboundEventDecider.initialState);
  if (state.status !== 'routed' || state.event.payloadPurged) return false;
  for (const d of state.event.deliveries) {
    const delivery = await aggregateStream(deps.events, streams.inboundDelivery(d.deliveryId), inboundDeliveryDecider.evolve, inboundDeliveryDecider.initialState);
    if (delivery.state.status !== 'created') return false;
    if (delivery.state.delivery.status !== 'success' && delivery.state.delivery.status !== 'discarded') return false;
  }
  await destroyPayloadKey(deps.ops, receipt.body.keyId);
  await handleCommand(deps.events, streams.inbound(inboundEventId), inboundEventDecider, {
    type: 'PurgeInboundPayload',
    data: { inboundEventId, reason: 'transient' },
    metadata: { now: deps.now().toISOString() },
  });
  return true;
};
