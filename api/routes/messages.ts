import type { JsonValue } from '../../domain/json';
import { collections } from '../../projections/readModels';
import type { AttemptDoc, MessageDoc, OutboundDoc } from '../../projections/readModels';
import type { Range } from '../../store/readStore';
import { CONSISTENCY_HEADER, consistencyToken, requireApplication } from '../commands/common';
import { messageHistory, outboundOfMessage, requireMessage, requireOutbound, resendMessage, retryOutbound, sendMessage } from '../commands/messages';
import type { MessageIn } from '../commands/messages';
import type { ApiDeps } from '../deps';
import { listPage, listQuerySchema, listResponseSchema, splitFilters } from '../pagination';
import type { ListQuery } from '../pagination';
import { defineRoute } from '../route';
import { attemptOut, messageOut, outboundOut, schemas } from '../shapes';

const APP = '/v1/applications/{appId}';

const shapeMessage = (deps: ApiDeps) => async (m: MessageDoc): Promise<JsonValue> => messageOut(m, await outboundOfMessage(deps, m));

const timeRange = (key: string, since?: string, until?: string): Range | undefined =>
  since === undefined && until === undefined
    ? undefined
    : { key, ...(since !== undefined ? { gte: new Date(since).toISOString() } : {}), ...(until !== undefined ? { lte: new Date(until).toISOString() } : {}) };

type OutboundFilter = ListQuery & { status?: string; endpointId?: string; messageId?: string; eventType?: string };

export const messageRoutes = [
  defineRoute<MessageIn>({
    operationId: 'v1.message.send',
    method: 'POST',
    path: `${APP}/messages`,
    summary: 'Send a message to every endpoint subscribed to its event type; the same eventId is delivered once, forever',
    auth: 'admin',
    rateLimit: 'sends',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['eventType', 'payload'],
      properties: { eventType: { type: 'string', minLength: 1, maxLength: 256 }, payload: {}, eventId: { type: ['string', 'null'], minLength: 1, maxLength: 256 } },
    },
    response: { status: 202, schema: schemas.Message },
    // With an eventId the eventId is the message's identity (its stream's creation deduplicates, and an Idempotency-Key
    // adds nothing: no claim in the operational store, two transactions a send on MongoDB); without one, the key is.
    keyedByAppend: () => true,
    handle: async ({ deps, params, body, idempotency }) => {
      const { message, outbound, replayed, position } = await sendMessage(deps, params.appId ?? '', body, { idempotency });
      const out = messageOut(message, outbound);
      const token = { [CONSISTENCY_HEADER]: consistencyToken(position) };
      // A repeated key gets the first answer again (202, as withIdempotencyKey replays); a repeated eventId, 200.
      if (replayed === 'key') return { status: 202, body: out, headers: { ...token, 'Idempotent-Replayed': 'true' } };
      return replayed ? { status: 200, body: out, headers: { 'Idempotent-Replayed': 'true', ...token } } : { status: 202, body: out, headers: token };
    },
  }),
  defineRoute<undefined, ListQuery & { eventType?: string; since?: string; until?: string }>({
    operationId: 'v1.message.list',
    method: 'GET',
    path: `${APP}/messages`,
    summary: 'List messages, newest first',
    auth: 'admin',
    query: listQuerySchema({ eventType: { type: 'string' }, since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' } }),
    response: { status: 200, schema: listResponseSchema(schemas.Message) },
    handle: async ({ deps, params, query }) => {
      const app = await requireApplication(deps, params.appId ?? '');
      const where: Record<string, string> = { applicationId: app.id };
      if (query.eventType) where.eventType = query.eventType;
      const messages = deps.reads.collection<MessageDoc>(collections.messages);
      const options = { where, range: timeRange('timestamp', query.since, query.until), orderBy: { key: 'timestamp', direction: 'desc' as const } };
      return { status: 200, body: await listPage(messages, options, query, shapeMessage(deps)) };
    },
  }),
  defineRoute({
    operationId: 'v1.message.get',
    method: 'GET',
    path: `${APP}/messages/{messageId}`,
    summary: 'Get a message with its deliveries',
    auth: 'admin',
    response: { status: 200, schema: schemas.Message },
    handle: async ({ deps, params }) => {
      const app = await requireApplication(deps, params.appId ?? '');
      return { status: 200, body: await shapeMessage(deps)(await requireMessage(deps, app.id, params.messageId ?? '')) };
    },
  }),
  defineRoute({
    operationId: 'v1.message.resend',
    method: 'POST',
    path: `${APP}/messages/{messageId}/resend`,
    summary: 'New deliveries of a message to the endpoints subscribed now',
    auth: 'admin',
    response: { status: 202 },
    handle: async ({ deps, params }) => {
      const outbound = await resendMessage(deps, params.appId ?? '', params.messageId ?? '');
      return { status: 202, body: { outbound: outbound.map((o) => ({ id: o.id, endpointId: o.endpointId, status: o.status })) } };
    },
  }),
  defineRoute({
    operationId: 'v1.message.history',
    method: 'GET',
    path: `${APP}/messages/{messageId}/history`,
    summary: 'Every event of the message and its deliveries, read from the event store in commit order',
    auth: 'admin',
    response: { status: 200 },
    handle: async ({ deps, params }) => ({ status: 200, body: { data: await messageHistory(deps, params.appId ?? '', params.messageId ?? '') } }),
  }),
  defineRoute<undefined, OutboundFilter>({
    operationId: 'v1.outbound.list',
    method: 'GET',
    path: `${APP}/outbound`,
    summary: 'List deliveries, newest first, by status, endpoint, message or event type',
    auth: 'admin',
    query: listQuerySchema({
      status: { enum: ['pending', 'success', 'failed', 'exhausted'] },
      endpointId: { type: 'string' },
      messageId: { type: 'string' },
      eventType: { type: 'string' },
    }),
    response: { status: 200, schema: listResponseSchema(schemas.OutboundMessage) },
    handle: async ({ deps, params, query }) => {
      const app = await requireApplication(deps, params.appId ?? '');
      const filters: Record<string, string> = {};
      for (const key of ['messageId', 'endpointId', 'status', 'eventType'] as const) {
        const value = query[key];
        if (value !== undefined) filters[key] = value;
      }
      filters.applicationId = app.id;
      // The outbound indexes serve each filter alone (with the application) and endpoint with status; other
      // combinations are read through the most selective of them and checked here (see splitFilters).
      const { where, rest } = splitFilters(collections.outbound, filters, 'createdAt');
      const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
      return { status: 200, body: await listPage(outbound, { where, orderBy: { key: 'createdAt', direction: 'desc' } }, query, outboundOut, rest) };
    },
  }),
  defineRoute({
    operationId: 'v1.outbound.get',
    method: 'GET',
    path: `${APP}/outbound/{outboundId}`,
    summary: 'Get a delivery',
    auth: 'admin',
    response: { status: 200, schema: schemas.OutboundMessage },
    handle: async ({ deps, params }) => {
      const app = await requireApplication(deps, params.appId ?? '');
      return { status: 200, body: outboundOut(await requireOutbound(deps, app.id, params.outboundId ?? '')) };
    },
  }),
  defineRoute<undefined, ListQuery>({
    operationId: 'v1.outbound.listAttempts',
    method: 'GET',
    path: `${APP}/outbound/{outboundId}/attempts`,
    summary: 'Every attempt of a delivery, newest first',
    auth: 'admin',
    query: listQuerySchema(),
    response: { status: 200, schema: listResponseSchema(schemas.MessageAttempt) },
    handle: async ({ deps, params, query }) => {
      const app = await requireApplication(deps, params.appId ?? '');
      const outbound = await requireOutbound(deps, app.id, params.outboundId ?? '');
      const attempts = deps.reads.collection<AttemptDoc>(collections.attempts);
      return { status: 200, body: await listPage(attempts, { where: { outboundMessageId: outbound.id }, orderBy: { key: 'attemptedAt', direction: 'desc' } }, query, attemptOut) };
    },
  }),
  defineRoute({
    operationId: 'v1.outbound.retry',
    method: 'POST',
    path: `${APP}/outbound/{outboundId}/retry`,
    summary: 'Run an attempt of this delivery now, whatever its status',
    auth: 'admin',
    response: { status: 202, schema: schemas.OutboundMessage },
    handle: async ({ deps, params }) => ({ status: 202, body: outboundOut(await retryOutbound(deps, params.appId ?? '', params.outboundId ?? '')) }),
  }),
];
