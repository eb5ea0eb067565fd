import { notFound, validationError } from '../../domain/errors';
import type { JsonObject } from '../../domain/json';
import { collections } from '../../projections/readModels';
import type { ApplicationDoc, AttemptDoc, EndpointDoc, MessageDoc, OutboundDoc } from '../../projections/readModels';
import type { Range, Scalar } from '../../store/readStore';
import { CONSISTENCY_HEADER, consistencyToken, findAfterOwnWrites, requireApplication } from '../commands/common';
import { retryOutbound, sendMessage } from '../commands/messages';
import type { ApiDeps } from '../deps';
import { defineRoute } from '../route';
import type { RouteRequest, RouteResponse } from '../route';
import {
  attemptOut,
  attemptSchema,
  outboundOut,
  outboundSchema,
  replayOut,
  replaySchema,
  sendEventBodySchema,
  sendEventIn,
  sendEventOut,
  sendEventSchema,
  statusIn,
  summarySchema,
  toCsv,
} from './messages.mapping';
import type { CompatStatus, SendEventBody } from './messages.mapping';
import { outboundSummary } from './stats';
import { splitFilters } from '../pagination';
import { compatList, compatListQuery, dataSchema, given, listSchema, one } from './wire';
import type { CompatList, CompatListQuery } from './wire';

const BASE = '/api/outbound-messages';

export const shapeOutbound = async (deps: ApiDeps, o: OutboundDoc): Promise<JsonObject> => {
  const [message, app, last] = await Promise.all([
    deps.reads.collection<MessageDoc>(collections.messages).get(o.messageId),
    deps.reads.collection<ApplicationDoc>(collections.applications).get(o.applicationId),
    deps.reads.collection<AttemptDoc>(collections.attempts).find({ where: { outboundMessageId: o.id }, orderBy: { key: 'attemptedAt', direction: 'desc' }, limit: 1 }),
  ]);
  return outboundOut(o, { eventId: message?.eventId ?? null, lastResponseBody: last.items[0]?.responseBody ?? null, applicationName: app?.name ?? null });
};

export const requireOutboundById = async (deps: ApiDeps, outboundId: string): Promise<OutboundDoc> => {
  const doc = await findAfterOwnWrites(deps, () => deps.reads.collection<OutboundDoc>(collections.outbound).get(outboundId));
  if (!doc) throw notFound('outbound message', outboundId);
  return doc;
};

type OutboundQuery = CompatListQuery & {
  applicationId?: string;
  endpointId?: string;
  status?: CompatStatus;
  eventType?: string;
  messageId?: string;
  startDate?: string;
  endDate?: string;
};

const FILTERS = {
  applicationId: { type: 'string' },
  endpointId: { type: 'string' },
  status: { enum: ['pending', 'processing', 'success', 'failed', 'exhausted', 'dlq'] },
  eventType: { type: 'string' },
  messageId: { type: 'string' },
  startDate: { type: 'string', format: 'date-time' },
  endDate: { type: 'string', format: 'date-time' },
};

type OutboundFind = { where: Record<string, Scalar>; range?: Range; rest: Record<string, Scalar> };

/**
 * The list's filters as a read-store query: the most selective declared index takes its equality filters and the
 * createdAt range, the other filters are checked while paging (compatList). null: matches nothing.
 */
const outboundFind = async (deps: ApiDeps, q: OutboundQuery): Promise<OutboundFind | null> => {
  const status = statusIn(q.status);
  if (status === null) return null;
  const applicationId = q.applicationId === undefined ? undefined : (await requireApplication(deps, q.applicationId)).id;
  // Most selective first: splitFilters gives the store the largest set an index serves, the rest is checked per delivery.
  const filters = given({ messageId: q.messageId, endpointId: q.endpointId, applicationId, status, eventType: q.eventType });
  const { where, rest } = splitFilters(collections.outbound, filters, 'createdAt');
  const range =
    q.startDate === undefined && q.endDate === undefined
      ? undefined
      : {
          key: 'createdAt',
          ...(q.startDate !== undefined ? { gte: new Date(q.startDate).toISOString() } : {}),
          ...(q.endDate !== undefined ? { lte: new Date(q.endDate).toISOString() } : {}),
        };
  return { where, ...(range ? { range } : {}), rest };
};

const EMPTY: CompatList = { data: [], pagination: { hasMore: false, nextCursor: null } };

/** Rows an export answers at most (newest first). */
const EXPORT_LIMIT = 10_000;
/** Deliveries an export reads at most (filters no index combines are applied while reading). */
const EXPORT_SCAN_LIMIT = 100_000;

const replay = async ({ deps, params }: RouteRequest<undefined, Record<string, never>>): Promise<RouteResponse> => {
  const o = await requireOutboundById(deps, params.outboundId ?? '');
  await retryOutbound(deps, o.applicationId, o.id);
  return { status: 200, body: one(replayOut(o.id)) };
};

export const messageRoutes = [
  defineRoute<SendEventBody>({
    operationId: 'api.message.sendEvent',
    method: 'POST',
    path: '/api/send-event',
    summary: "Send an event to the application's subscribed endpoints (202); a repeated eventId answers the first message",
    auth: 'admin',
    rateLimit: 'sends',
    body: sendEventBodySchema,
    response: { status: 202, schema: dataSchema(sendEventSchema) },
    handle: async ({ deps, body }) => {
      // Without applicationId, an endpointId names the application (the MCP server's application_id is optional).
      const target = body.applicationId || !body.endpointId ? null : await deps.reads.collection<EndpointDoc>(collections.endpoints).get(body.endpointId);
      if (body.endpointId && !body.applicationId && !target) throw validationError('endpointId', 'endpoint_exists', `endpointId ${body.endpointId} is not an endpoint.`);
      const { application, input } = sendEventIn(body, target?.applicationId ?? null);
      // Answered from the append (the endpoints fanned out to at send time), without waiting for the read models.
      const { message, endpoints, position } = await sendMessage(deps, application, input);
      return { status: 202, body: one(sendEventOut(message.id, endpoints)), headers: { [CONSISTENCY_HEADER]: consistencyToken(position) } };
    },
  }),
  defineRoute<undefined, OutboundQuery>({
    operationId: 'api.outbound.list',
    method: 'GET',
    path: BASE,
    summary: 'List deliveries (outbound messages), newest first',
    auth: 'admin',
    query: compatListQuery(FILTERS),
    response: { status: 200, schema: listSchema(outboundSchema) },
    handle: async ({ deps, query }) => {
      const find = await outboundFind(deps, query);
      if (find === null) return { status: 200, body: EMPTY };
      const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
      const { rest, ...options } = find;
      return { status: 200, body: await compatList(outbound, { ...options, orderBy: { key: 'createdAt', direction: 'desc' } }, query, (o) => shapeOutbound(deps, o), rest) };
    },
  }),
  defineRoute<undefined, { applicationId?: string }>({
    operationId: 'api.outbound.summary',
    method: 'GET',
    path: `${BASE}/stats/summary`,
    summary: 'Deliveries by status',
    auth: 'admin',
    query: { type: 'object', properties: { applicationId: { type: 'string' } } },
    response: { status: 200, schema: dataSchema(summarySchema) },
    handle: async ({ deps, query }) => {
      const appId = query.applicationId === undefined ? null : (await requireApplication(deps, query.applicationId)).id;
      return { status: 200, body: one(await outboundSummary(deps, appId)) };
    },
  }),
  defineRoute<undefined, OutboundQuery & { format?: 'json' | 'csv' }>({
    operationId: 'api.outbound.export',
    method: 'GET',
    path: `${BASE}/export`,
    summary: `The list's rows (at most ${EXPORT_LIMIT}, newest first) as JSON or CSV`,
    auth: 'admin',
    query: compatListQuery({ ...FILTERS, format: { enum: ['json', 'csv'] } }),
    response: { status: 200, schema: dataSchema({ type: 'array', items: outboundSchema }) },
    handle: async ({ deps, query }) => {
      const find = await outboundFind(deps, query);
      const rows: JsonObject[] = [];
      if (find !== null) {
        const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
        let cursor: string | undefined;
        let read = 0;
        do {
          const { rest, ...options } = find;
          const keep = (o: OutboundDoc): boolean => Object.entries(rest).every(([k, v]) => ((o as Record<string, unknown>)[k] ?? null) === v);
          const page = await outbound.find({ ...options, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 500, cursor });
          for (const o of page.items) if (rows.length < EXPORT_LIMIT && keep(o)) rows.push(await shapeOutbound(deps, o));
          read += page.items.length;
          cursor = page.nextCursor ?? undefined;
        } while (cursor && rows.length < EXPORT_LIMIT && read < EXPORT_SCAN_LIMIT);
      }
      if (query.format === 'csv') {
        return { status: 200, body: toCsv(rows), headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="outbound-messages.csv"' } };
      }
      return { status: 200, body: one(rows) };
    },
  }),
  defineRoute({
    operationId: 'api.outbound.get',
    method: 'GET',
    path: `${BASE}/{outboundId}`,
    summary: 'Get a delivery',
    auth: 'admin',
    response: { status: 200, schema: dataSchema(outboundSchema) },
    handle: async ({ deps, params }) => ({ status: 200, body: one(await shapeOutbound(deps, await requireOutboundById(deps, params.outboundId ?? ''))) }),
  }),
  defineRoute({
    operationId: 'api.outbound.attempts',
    method: 'GET',
    path: `${BASE}/{outboundId}/attempts`,
    summary: "A delivery's attempts, first to last",
    auth: 'admin',
    response: { status: 200, schema: dataSchema({ type: 'array', items: attemptSchema }) },
    handle: async ({ deps, params }) => {
      const o = await requireOutboundById(deps, params.outboundId ?? '');
      const page = await deps.reads.collection<AttemptDoc>(collections.attempts).find({ where: { outboundMessageId: o.id }, orderBy: { key: 'attemptedAt', direction: 'asc' }, limit: 1000 });
      return { status: 200, body: one(page.items.map(attemptOut)) };
    },
  }),
  defineRoute({
    operationId: 'api.outbound.replay',
    method: 'POST',
    path: `${BASE}/{outboundId}/replay`,
    summary: 'Attempt the delivery again now, whatever its status',
    auth: 'admin',
    response: { status: 200, schema: dataSchema(replaySchema) },
    handle: replay,
  }),
  defineRoute({
    operationId: 'api.outbound.retry',
    method: 'POST',
    path: `${BASE}/{outboundId}/retry`,
    summary: 'Same as replay',
    auth: 'admin',
    response: { status: 200, schema: dataSchema(replaySchema) },
    handle: replay,
  }),
];
