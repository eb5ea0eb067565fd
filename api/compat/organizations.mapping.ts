import type { JsonObject } from '../../domain/json';
import type { Schema } from '../route';

// The MCP server's organization view and delivery analytics.

const STATUSES = ['pending', 'success', 'failed', 'exhausted'] as const;

type Counts = Record<(typeof STATUSES)[number] | 'total', number>;

const zero = (): Counts => ({ pending: 0, success: 0, failed: 0, exhausted: 0, total: 0 });

/** One entry per UTC day from `start` (oldest first), each with counts by status; and the totals. */
export const analyticsOut = (rows: readonly { createdAt: string; status: string }[], start: Date, days: number, truncated: boolean): JsonObject => {
  const byDay = new Map<string, Counts>();
  for (let i = 0; i < days; i++) byDay.set(new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10), zero());
  const totals = zero();
  for (const r of rows) {
    const day = byDay.get(r.createdAt.slice(0, 10));
    if (!day || !(STATUSES as readonly string[]).includes(r.status)) continue;
    const status = r.status as (typeof STATUSES)[number];
    day[status]++;
    day.total++;
    totals[status]++;
    totals.total++;
  }
  return { days: [...byDay.entries()].map(([date, c]) => ({ date, ...c })), totals: { ...totals }, truncated };
};

const COUNTS: Record<string, Schema> = { pending: { type: 'integer' }, success: { type: 'integer' }, failed: { type: 'integer' }, exhausted: { type: 'integer' }, total: { type: 'integer' } };

export const analyticsSchema: Schema = {
  type: 'object',
  required: ['days', 'totals', 'truncated'],
  properties: {
    days: { type: 'array', items: { type: 'object', required: ['date', ...Object.keys(COUNTS)], properties: { date: { type: 'string' }, ...COUNTS } } },
    totals: { type: 'object', required: Object.keys(COUNTS), properties: COUNTS },
    truncated: { type: 'boolean' },
  },
};

export const organizationsSchema: Schema = {
  type: 'object',
  required: ['organizations'],
  properties: {
    organizations: {
      type: 'array',
      items: { type: 'object', required: ['id', 'name', 'slug'], properties: { id: { type: 'string' }, name: { type: 'string' }, slug: { type: 'string' } } },
    },
  },
};
