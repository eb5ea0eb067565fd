import type { Scalar } from '../../../store/readStore';
import { collections } from '../../../projections/readModels';
import type { AttemptDoc, MessageDoc, OutboundDoc } from '../../../projections/readModels';
import type { ApiDeps } from '../../deps';
import { requireEndpoint } from '../../commands/endpoints';
import { requireOutbound, retryOutbound } from '../../commands/messages';
import { buildReceipt } from '../../commands/receipts';
import { HttpError } from '../../errors';
import type { JsonValue } from '../../../domain/json';
import { defineRoute } from '../../route';
import { attemptOut, messageDetailOut, messageOut, PORTAL_STATUSES, replayOut, statusIn } from '../mapping/messages';
import type { PortalStatus } from '../mapping/messages';
import { tokenApplication } from '../principal';

const MSG = '/portal/messages/{messageId}';
export const MAX_OFFSET = 10_000;

type MessagesQuery = { endpointId?: string; status?: PortalStatus; limit?: number; offset?: number };

/** The page at `offset` of a newest-first list (the store pages by cursor: the offset is walked, 1000 at a time). */
const pageAtOffset = async (deps: ApiDeps, where: Record<string, Scalar>, offset: number, limit: number): Promise<OutboundDoc[]> => {
  const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
  const wanted = offset + limit;
  const seen: OutboundDoc[] = [];
  let cursor: string | undefined;
  do {
    const page = await outbound.find({ where, orderBy: { key: 'createdAt', direction: 'desc' }, limit: Math.min(1000, wanted - seen.length), cursor });
    seen.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && seen.length < wanted);
  return seen.slice(offset, wanted);
};

const attemptsOf = async (deps: ApiDeps, outboundId: string): Promise<AttemptDoc[]> =>
  (await deps.reads.collection<AttemptDoc>(collections.attempts).find({ where: { outboundMessageId: outboundId }, orderBy: { key: 'attemptedAt', direction: 'asc' }, limit: 1000 })).items;

export const portalMessageRoutes = [
  defineRoute<undefined, MessagesQuery>({
    operationId: 'portal.message.list',
    method: 'GET',
    path: '/portal/messages',
    summary: "The application's deliveries, newest first, by offset: {data, total, limit, offset}",
    auth: 'portal',
    query: {
      type: 'object',
      properties: {
        endpointId: { type: 'string', minLength: 1 },
        status: { enum: [...PORTAL_STATUSES] },
        limit: { type: 'integer', minimum: 1, maximum: 100 },
        offset: { type: 'integer', minimum: 0, maximum: MAX_OFFSET },
      },
    },
    response: { status: 200 },
    handle: async ({ deps, principal, query }) => {
      const applicationId = tokenApplication(principal);
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      const status = query.status === undefined ? undefined : statusIn(query.status);
      if (status === null) return { status: 200, body: { data: [], total: 0, limit, offset } };
      // By endpoint (its own index) once it is known to be the application's.
      if (query.endpointId !== undefined) await requireEndpoint(deps, applicationId, query.endpointId);
      const where: Record<string, Scalar> = query.endpointId !== undefined ? { endpointId: query.endpointId } : { applicationId };
      if (status !== undefined) where.status = status;
      const total = await deps.reads.collection<OutboundDoc>(collections.outbound).count(where);
      const items = offset >= total ? [] : await pageAtOffset(deps, where, offset, limit);
      return { status: 200, body: { data: items.map(messageOut), total, limit, offset } };
    },
  }),
  defineRoute({
    operationId: 'portal.message.get',
    method: 'GET',
    path: MSG,
    summary: 'One delivery with its attempts (deliveryAttempts)',
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal, params }) => {
      const o = await requireOutbound(deps, tokenApplication(principal), params.messageId ?? '');
      const message = await deps.reads.collection<MessageDoc>(collections.messages).get(o.messageId);
      return { status: 200, body: { data: messageDetailOut(o, message, await attemptsOf(deps, o.id)) } };
    },
  }),
  defineRoute({
    operationId: 'portal.message.attempts',
    method: 'GET',
    path: `${MSG}/attempts`,
    summary: "A delivery's attempts, first to last",
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal, params }) => {
      const o = await requireOutbound(deps, tokenApplication(principal), params.messageId ?? '');
      return { status: 200, body: { data: (await attemptsOf(deps, o.id)).map(attemptOut) } };
    },
  }),
  defineRoute({
    operationId: 'portal.message.receipt',
    method: 'GET',
    path: `${MSG}/attempts/{attemptNumber}/receipt`,
    summary: "The signed receipt of one attempt of a delivery of the token's application (docs/audit.md): {data: receipt}",
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal, params }) => {
      const attemptNumber = Number(params.attemptNumber);
      if (!Number.isInteger(attemptNumber) || attemptNumber < 1) throw new HttpError(400, 'validation_error', `attemptNumber: an integer from 1, not ${JSON.stringify(params.attemptNumber ?? '')}.`);
      // Scoped by the token: buildReceipt finds the delivery within the token's application only.
      const receipt = await buildReceipt(deps, tokenApplication(principal), params.messageId ?? '', attemptNumber);
      return { status: 200, body: { data: receipt as unknown as JsonValue } };
    },
  }),
  defineRoute({
    operationId: 'portal.message.replay',
    method: 'POST',
    path: `${MSG}/replay`,
    summary: 'An attempt of this delivery now, whatever its status',
    auth: 'portal',
    response: { status: 200 },
    handle: async ({ deps, principal, params }) => {
      const replayed = await retryOutbound(deps, tokenApplication(principal), params.messageId ?? '');
      return { status: 200, body: { data: replayOut(params.messageId ?? '', replayed) } };
    },
  }),
];
