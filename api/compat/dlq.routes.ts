import { notFound } from '../../domain/errors';
import type { JsonObject } from '../../domain/json';
import { collections } from '../../projections/readModels';
import type { OutboundDoc } from '../../projections/readModels';
import { requireApplication } from '../commands/common';
import { retryOutbound } from '../commands/messages';
import type { ApiDeps } from '../deps';
import { splitFilters } from '../pagination';
import { defineRoute } from '../route';
import type { AnyRoute } from '../route';
import { requireOutboundById, shapeOutbound } from './messages.routes';
import { compatList, compatListQuery, dataSchema, given, one } from './wire';
import type { CompatListQuery } from './wire';

// The official Node SDK's `dlq` resource (hookbase-node src/resources/dlq.ts, types DlqMessage/DlqStats/DlqRetryResult
// in src/types/index.ts): the outbound dead-letter queue, i.e. our `exhausted` deliveries, under
// /api/outbound-messages/dlq. A delivery enters it when its attempts are spent, so its reason is always that and
// the time it moved is its last attempt's. Discarding a dead letter is not offered here (the bulk and single DELETE
// answer 404): an outbound delivery's record is kept.

const BASE = '/api/outbound-messages/dlq';
const REASON = 'max_attempts_exceeded';
/** Dead letters counted at most by the stats. */
const STATS_SCAN = 100_000;

type DlqQuery = CompatListQuery & { endpointId?: string; applicationId?: string; eventType?: string; dlqReason?: string };

const dlqMessage = async (deps: ApiDeps, o: OutboundDoc): Promise<JsonObject> => ({
  ...(await shapeOutbound(deps, o)),
  dlqReason: REASON,
  dlqMovedAt: o.lastAttemptAt,
});

const requireDeadLetter = async (deps: ApiDeps, id: string): Promise<OutboundDoc> => {
  const o = await requireOutboundById(deps, id);
  // Not exhausted: not a dead letter (a delivery still trying, or delivered, is not in the queue).
  if (o.status !== 'exhausted') throw notFound('dead letter', id);
  return o;
};

export const dlqRoutes: AnyRoute[] = [
  defineRoute<undefined, DlqQuery>({
    operationId: 'api.dlq.list', method: 'GET', path: `${BASE}/messages`, summary: 'The outbound dead-letter queue: deliveries with no attempt left, newest first', auth: 'admin',
    query: compatListQuery({ endpointId: { type: 'string' }, applicationId: { type: 'string' }, eventType: { type: 'string' }, dlqReason: { type: 'string' } }),
    response: { status: 200 },
    handle: async ({ deps, query }) => {
      if (query.dlqReason !== undefined && query.dlqReason !== REASON) return { status: 200, body: { data: [], pagination: { hasMore: false, nextCursor: null } } };
      const applicationId = query.applicationId === undefined ? undefined : (await requireApplication(deps, query.applicationId)).id;
      const filters = given({ status: 'exhausted', endpointId: query.endpointId, applicationId, eventType: query.eventType });
      const { where, rest } = splitFilters(collections.outbound, filters, 'createdAt');
      const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
      return { status: 200, body: await compatList(outbound, { where, orderBy: { key: 'createdAt', direction: 'desc' } }, query, (o) => dlqMessage(deps, o), rest) };
    },
  }),
  defineRoute({
    operationId: 'api.dlq.stats', method: 'GET', path: `${BASE}/stats`, summary: 'The dead letters: how many, by reason, and the endpoints with the most', auth: 'admin',
    response: { status: 200, schema: dataSchema({ type: 'object', required: ['total', 'byReason', 'topFailingEndpoints'] }) },
    handle: async ({ deps }) => {
      const byEndpoint = new Map<string, { endpointId: string; endpointUrl: string; count: number }>();
      let total = 0;
      const { where, rest } = splitFilters(collections.outbound, { status: 'exhausted' }, 'createdAt');
      let cursor: string | undefined;
      do {
        const page = await deps.reads.collection<OutboundDoc>(collections.outbound).find({ where, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 500, cursor });
        for (const o of page.items) {
          if (Object.entries(rest).some(([k, v]) => (o as Record<string, unknown>)[k] !== v)) continue;
          total++;
          const e = byEndpoint.get(o.endpointId) ?? { endpointId: o.endpointId, endpointUrl: o.endpointUrl, count: 0 };
          e.count++;
          byEndpoint.set(o.endpointId, e);
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor && total < STATS_SCAN);
      const topFailingEndpoints = [...byEndpoint.values()].sort((a, b) => b.count - a.count).slice(0, 10);
      return { status: 200, body: one({ total, byReason: total === 0 ? {} : { [REASON]: total }, topFailingEndpoints }) };
    },
  }),
  defineRoute({
    operationId: 'api.dlq.retry', method: 'POST', path: `${BASE}/{outboundId}/retry`, summary: 'Attempt a dead letter again (the same delivery, a fresh attempt)', auth: 'admin',
    response: { status: 200, schema: dataSchema({ type: 'object' }) },
    handle: async ({ deps, params }) => {
      const o = await requireDeadLetter(deps, params.outboundId ?? '');
      await retryOutbound(deps, o.applicationId, o.id);
      // No new message is made: the delivery itself is attempted again, so both ids name it.
      return { status: 200, body: one({ originalMessageId: o.id, newMessageId: o.id, status: 'pending' }) };
    },
  }),
];
