import { collections } from '../../projections/readModels';
import type { OutboundDoc } from '../../projections/readModels';
import { requireApplication } from '../commands/common';
import { defineRoute } from '../route';
import { analyticsOut, analyticsSchema, organizationsSchema } from './organizations.mapping';
import { dataSchema, one, organizationOf } from './wire';

/** Deliveries read at most to answer the analytics (newest days first); past it the answer says `truncated`. */
const ANALYTICS_BUDGET = 100_000;

/** The MCP server's needs: who the key belongs to, and delivery counts by status and day. */
export const authRoutes = [
  defineRoute({
    operationId: 'api.auth.me',
    method: 'GET',
    path: '/api/auth/me',
    summary: 'The organization of this server (one), unwrapped: {organizations: [{id, name, slug}]}',
    auth: 'admin',
    response: { status: 200, schema: organizationsSchema },
    handle: async ({ deps }) => ({ status: 200, body: { organizations: [{ ...organizationOf(deps.config) }] } }),
  }),
];

export const analyticsRoute = defineRoute<undefined, { days?: number; applicationId?: string }>({
  operationId: 'api.webhooks.analytics',
  method: 'GET',
  path: '/api/webhooks/analytics',
  summary: 'Delivery counts by status and day (UTC) over the last `days` days (default 7, at most 90)',
  auth: 'admin',
  query: { type: 'object', properties: { days: { type: 'integer', minimum: 1, maximum: 90 }, applicationId: { type: 'string' } } },
  response: { status: 200, schema: dataSchema(analyticsSchema) },
  handle: async ({ deps, query }) => {
    const days = query.days ?? 7;
    const now = deps.now();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
    const where: Record<string, string> = {};
    if (query.applicationId !== undefined) where.applicationId = (await requireApplication(deps, query.applicationId)).id;
    const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
    const rows: { createdAt: string; status: string }[] = [];
    let cursor: string | undefined;
    let truncated = false;
    do {
      const page = await outbound.find({ where, range: { key: 'createdAt', gte: start.toISOString() }, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 1000, cursor });
      for (const o of page.items) rows.push({ createdAt: o.createdAt, status: o.status });
      cursor = page.nextCursor ?? undefined;
      if (cursor && rows.length >= ANALYTICS_BUDGET) truncated = true;
    } while (cursor && !truncated);
    return { status: 200, body: one(analyticsOut(rows, start, days, truncated)) };
  },
});
