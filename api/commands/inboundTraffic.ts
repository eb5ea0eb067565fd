import { inboundDeliveryDecider } from '../../domain/inbound/deliveryDecide';
import { notFound, validationError } from '../../domain/errors';
import type { JsonObject } from '../../domain/json';
import { streams } from '../../domain/streams';
import { purgeIfDelivered, routeInboundEvent } from '../../inbound/routing';
import type { RoutingOutcome } from '../../inbound/routing';
import { collections } from '../../projections/readModels';
import type { InboundAttemptDoc, InboundDeliveryDoc, InboundEventDoc } from '../../projections/readModels';
import { handleCommand } from '../../store/commandHandler';
import { StreamNotFoundError } from '../../store/eventStore';
import type { ApiDeps } from '../deps';
import { findAfterOwnWrites, metadataOf, readBack, readYourWrites } from './common';

// Inbound events, deliveries and the dead-letter queue: reads with their history, replays, retries and discards.

export const requireInboundEvent = async (deps: ApiDeps, id: string): Promise<InboundEventDoc> => {
  const doc = await findAfterOwnWrites(deps, () => deps.reads.collection<InboundEventDoc>(collections.inboundEvents).get(id));
  if (!doc) throw notFound('inbound event', id);
  return doc;
};

export const requireInboundDelivery = async (deps: ApiDeps, id: string): Promise<InboundDeliveryDoc> => {
  const doc = await findAfterOwnWrites(deps, () => deps.reads.collection<InboundDeliveryDoc>(collections.inboundDeliveries).get(id));
  if (!doc) throw notFound('inbound delivery', id);
  return doc;
};

export const deliveriesOfEvent = async (deps: ApiDeps, inboundEventId: string): Promise<InboundDeliveryDoc[]> =>
  (await deps.reads.collection<InboundDeliveryDoc>(collections.inboundDeliveries).find({ where: { inboundEventId }, orderBy: { key: 'createdAt', direction: 'asc' }, limit: 1000 })).items;

export const attemptsOfDelivery = async (deps: ApiDeps, deliveryId: string): Promise<InboundAttemptDoc[]> =>
  (await deps.reads.collection<InboundAttemptDoc>(collections.inboundAttempts).find({ where: { deliveryId }, orderBy: { key: 'attemptedAt', direction: 'asc' }, limit: 1000 })).items;

export type HistoryEntry = { type: string; revision: number; data: JsonObject };

/**
 * A stream's events straight from the log: the full history of an inbound event or a delivery. Payloads are left out
 * (the event's body is answered with the event, and never for a transient source); attempts and routing are all there.
 */
export const historyOf = async (deps: ApiDeps, streamId: string): Promise<HistoryEntry[]> => {
  const out: HistoryEntry[] = [];
  try {
    for await (const recorded of deps.events.readStream(streamId)) {
      const { body: _body, ...data } = recorded.data;
      out.push({ type: recorded.type, revision: Number(recorded.revision), data });
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return out;
};

/** Routes the event again through its source's routes as they are now: new deliveries, recorded as a replay. */
export const replayInboundEvent = async (deps: ApiDeps, id: string): Promise<RoutingOutcome> => {
  const event = await requireInboundEvent(deps, id);
  if (event.status === 'rejected') throw validationError('eventId', 'rejected', `Inbound event ${id} was refused at the door (${event.rejection?.code ?? 'rejected'}): there is nothing to replay.`);
  const outcome = await routeInboundEvent(deps, id, 'replay');
  if (outcome === null) throw notFound('inbound event', id);
  await readYourWrites(deps, outcome.position);
  return outcome;
};

/** A delivery again: a fresh attempt budget on its current destination (from the DLQ, or after it was delivered). */
export const retryInboundDelivery = async (deps: ApiDeps, id: string): Promise<InboundDeliveryDoc> => {
  await requireInboundDelivery(deps, id);
  const { position } = await handleCommand(deps.events, streams.inboundDelivery(id), inboundDeliveryDecider, { type: 'RequestInboundRetry', data: { deliveryId: id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
  return readBack(() => requireInboundDelivery(deps, id));
};

export const discardInboundDelivery = async (deps: ApiDeps, id: string): Promise<void> => {
  const delivery = await requireInboundDelivery(deps, id);
  const { position } = await handleCommand(deps.events, streams.inboundDelivery(id), inboundDeliveryDecider, { type: 'DiscardInboundDelivery', data: { deliveryId: id }, metadata: metadataOf(deps) });
  await readYourWrites(deps, position);
  // A transient event whose last open delivery this was loses its payload now.
  await purgeIfDelivered(deps, delivery.inboundEventId);
};

export type BulkResult = { succeeded: string[]; failed: { id: string; code: string; message: string }[] };

const MAX_BULK = 100;

/** Each id on its own: one that fails (not in the DLQ, unknown) is reported and the others go on. */
const bulk = async (ids: readonly string[], each: (id: string) => Promise<unknown>): Promise<BulkResult> => {
  if (ids.length > MAX_BULK) throw validationError('deliveryIds', 'max_items', `deliveryIds may name at most ${MAX_BULK} deliveries.`);
  const result: BulkResult = { succeeded: [], failed: [] };
  for (const id of ids) {
    try {
      await each(id);
      result.succeeded.push(id);
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String((error as { code: unknown }).code) : 'failed';
      result.failed.push({ id, code, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return result;
};

/** The DLQ's ids when none are named: every exhausted delivery (at most MAX_BULK a call). */
const dlqIds = async (deps: ApiDeps, ids: readonly string[] | undefined): Promise<string[]> => {
  if (ids !== undefined) return [...ids];
  const page = await deps.reads.collection<InboundDeliveryDoc>(collections.inboundDeliveries).find({ where: { status: 'exhausted' }, orderBy: { key: 'createdAt', direction: 'asc' }, limit: MAX_BULK });
  return page.items.map((d) => d.id);
};

export const retryFromDlq = async (deps: ApiDeps, ids?: readonly string[]): Promise<BulkResult> =>
  bulk(await dlqIds(deps, ids), async (id) => {
    const d = await requireInboundDelivery(deps, id);
    if (d.status !== 'exhausted') throw Object.assign(new Error(`${id} is not in the dead-letter queue (it is ${d.status}).`), { code: 'not_in_dlq' });
    return retryInboundDelivery(deps, id);
  });

export const deleteFromDlq = async (deps: ApiDeps, ids?: readonly string[]): Promise<BulkResult> => bulk(await dlqIds(deps, ids), (id) => discardInboundDelivery(deps, id));
