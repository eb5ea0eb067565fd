import { streams } from '../../domain/streams';
import { collections } from '../../projections/readModels';
import type { InboundDeliveryDoc, InboundEventDoc } from '../../projections/readModels';
import type { Scalar } from '../../store/readStore';
import {
  attemptsOfDelivery, deleteFromDlq, deliveriesOfEvent, historyOf, replayInboundEvent, requireInboundDelivery, requireInboundEvent, retryFromDlq, retryInboundDelivery,
} from '../commands/inboundTraffic';
import { inboundAttemptOut, inboundDeliveryOut, inboundEventOut, inboundSchemas } from '../inboundShapes';
import { listPage, listQuerySchema, listResponseSchema, splitFilters } from '../pagination';
import type { ListQuery } from '../pagination';
import { defineRoute } from '../route';
import type { AnyRoute, Schema } from '../route';

// /v1 routes of inbound traffic: events with their deliveries and history, deliveries with their attempts, the DLQ.

const idList: Schema = { type: 'object', additionalProperties: false, properties: { deliveryIds: { type: 'array', items: { type: 'string' }, maxItems: 100 } } };
const defined = (q: Readonly<Record<string, string | number | undefined>>, keys: string[]): Record<string, Scalar> =>
  Object.fromEntries(keys.flatMap((k) => (q[k] === undefined ? [] : [[k, String(q[k])]])));

type EventsQuery = ListQuery & { sourceId?: string; status?: string };
type DeliveriesQuery = ListQuery & { sourceId?: string; status?: string; eventId?: string; routeId?: string; destinationId?: string };

export const inboundTrafficRoutes: AnyRoute[] = [
  defineRoute<undefined, EventsQuery>({
    operationId: 'v1.inboundEvent.list', method: 'GET', path: '/v1/inbound-events', summary: 'List inbound events, newest first', auth: 'admin',
    query: listQuerySchema({ sourceId: { type: 'string' }, status: { enum: ['received', 'routed', 'rejected'] } }),
    response: { status: 200, schema: listResponseSchema(inboundSchemas.InboundEvent) },
    handle: async ({ deps, query }) => {
      const def = collections.inboundEvents;
      const { where, rest } = splitFilters(def, defined(query, ['sourceId', 'status']), 'receivedAt');
      return { status: 200, body: await listPage(deps.reads.collection<InboundEventDoc>(def), { where, orderBy: { key: 'receivedAt', direction: 'desc' } }, query, inboundEventOut, rest) };
    },
  }),
  defineRoute({
    operationId: 'v1.inboundEvent.get', method: 'GET', path: '/v1/inbound-events/{eventId}',
    summary: 'Get an inbound event with its route matches, its deliveries and its history from the log', auth: 'admin',
    response: { status: 200, schema: inboundSchemas.InboundEvent },
    handle: async ({ deps, params }) => {
      const event = await requireInboundEvent(deps, params.eventId ?? '');
      const deliveries = await deliveriesOfEvent(deps, event.id);
      return {
        status: 200,
        body: { ...inboundEventOut(event), deliveries: deliveries.map(inboundDeliveryOut), history: await historyOf(deps, streams.inbound(event.id)) },
      };
    },
  }),
  defineRoute({
    operationId: 'v1.inboundEvent.replay', method: 'POST', path: '/v1/inbound-events/{eventId}/replay', summary: 'Route an event again through the current routes', auth: 'admin',
    response: { status: 202 },
    handle: async ({ deps, params }) => {
      const outcome = await replayInboundEvent(deps, params.eventId ?? '');
      return { status: 202, body: { eventId: params.eventId ?? '', deliveryIds: outcome.deliveries.map((d) => d.deliveryId), skippedRoutes: outcome.skipped } };
    },
  }),
  defineRoute<undefined, DeliveriesQuery>({
    operationId: 'v1.inboundDelivery.list', method: 'GET', path: '/v1/inbound-deliveries', summary: 'List inbound deliveries, newest first', auth: 'admin',
    query: listQuerySchema({
      sourceId: { type: 'string' }, eventId: { type: 'string' }, routeId: { type: 'string' }, destinationId: { type: 'string' },
      status: { enum: ['pending', 'success', 'failed', 'exhausted', 'discarded'] },
    }),
    response: { status: 200, schema: listResponseSchema(inboundSchemas.InboundDelivery) },
    handle: async ({ deps, query }) => {
      const def = collections.inboundDeliveries;
      const filters = defined({ ...query, inboundEventId: query.eventId }, ['inboundEventId', 'routeId', 'destinationId', 'sourceId', 'status']);
      const { where, rest } = splitFilters(def, filters, 'createdAt');
      return { status: 200, body: await listPage(deps.reads.collection<InboundDeliveryDoc>(def), { where, orderBy: { key: 'createdAt', direction: 'desc' } }, query, inboundDeliveryOut, rest) };
    },
  }),
  defineRoute({
    operationId: 'v1.inboundDelivery.get', method: 'GET', path: '/v1/inbound-deliveries/{deliveryId}', summary: 'Get a delivery with every attempt and its history from the log', auth: 'admin',
    response: { status: 200, schema: inboundSchemas.InboundDelivery },
    handle: async ({ deps, params }) => {
      const d = await requireInboundDelivery(deps, params.deliveryId ?? '');
      const attempts = await attemptsOfDelivery(deps, d.id);
      return { status: 200, body: { ...inboundDeliveryOut(d), attemptList: attempts.map(inboundAttemptOut), history: await historyOf(deps, streams.inboundDelivery(d.id)) } };
    },
  }),
  defineRoute({
    operationId: 'v1.inboundDelivery.replay', method: 'POST', path: '/v1/inbound-deliveries/{deliveryId}/replay', summary: 'Deliver again: a fresh attempt budget on its current destination', auth: 'admin',
    response: { status: 202, schema: inboundSchemas.InboundDelivery },
    handle: async ({ deps, params }) => ({ status: 202, body: inboundDeliveryOut(await retryInboundDelivery(deps, params.deliveryId ?? '')) }),
  }),
  defineRoute<undefined, ListQuery & { sourceId?: string }>({
    operationId: 'v1.dlq.list', method: 'GET', path: '/v1/dlq', summary: 'The dead-letter queue: deliveries with no attempt left', auth: 'admin',
    query: listQuerySchema({ sourceId: { type: 'string' } }),
    response: { status: 200, schema: listResponseSchema(inboundSchemas.InboundDelivery) },
    handle: async ({ deps, query }) => ({
      status: 200,
      body: await listPage(
        deps.reads.collection<InboundDeliveryDoc>(collections.inboundDeliveries),
        { where: { status: 'exhausted', ...(query.sourceId ? { sourceId: query.sourceId } : {}) }, orderBy: { key: 'createdAt', direction: 'desc' } },
        query,
        inboundDeliveryOut,
      ),
    }),
  }),
  defineRoute<{ deliveryIds?: string[] }>({
    operationId: 'v1.dlq.retry', method: 'POST', path: '/v1/dlq/retry', summary: 'Retry deliveries from the DLQ (the named ones, or up to 100)', auth: 'admin',
    body: idList, response: { status: 200 },
    handle: async ({ deps, body }) => ({ status: 200, body: await retryFromDlq(deps, body?.deliveryIds) }),
  }),
  defineRoute<{ deliveryIds?: string[] }>({
    operationId: 'v1.dlq.delete', method: 'POST', path: '/v1/dlq/delete', summary: 'Discard deliveries from the DLQ (kept in the log)', auth: 'admin',
    body: idList, response: { status: 200 },
    handle: async ({ deps, body }) => ({ status: 200, body: await deleteFromDlq(deps, body?.deliveryIds) }),
  }),
];
