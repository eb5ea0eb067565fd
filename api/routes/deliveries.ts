import type { AttemptFailed, AttemptSucceeded } from '../../domain/outbound/outbound';
import { categories } from '../../domain/streams';
import { collections } from '../../projections/readModels';
import type { OutboundDoc } from '../../projections/readModels';
import { positionFromString, positionToString, START } from '../../store/eventStore';
import type { Position, RecordedEvent } from '../../store/eventStore';
import type { ApiDeps } from '../deps';
import { defineRoute } from '../route';

/** One attempt as `hookbase tail` shows it; `exhausted` is a failed attempt that was the delivery's last. */
export type DeliveryFeedEntry = {
  position: string;
  outboundId: string;
  messageId: string;
  applicationId: string;
  endpointId: string;
  eventType: string | null;
  status: 'success' | 'failed' | 'exhausted';
  attemptNumber: number;
  responseStatus: number | null;
  latencyMs: number;
  error: string | null;
  at: string;
};

type FeedQuery = { after?: string; wait?: number; limit?: number };

const MAX_WAIT_SECONDS = 30;
const POLL_MS = 100;

/**
 * `12/12` (what the feed answers), a bare `12` (commit and prepare the same, as on the embedded store), `now`
 * (the head of `$all`: only what comes next), or nothing (from the start).
 */
const parseAfter = async (deps: ApiDeps, raw: string | undefined): Promise<Position> => {
  if (raw === undefined || raw === '') return START;
  if (raw === 'now') return deps.events.headPosition();
  return raw.includes('/') ? positionFromString(raw) : { commit: BigInt(raw), prepare: BigInt(raw) };
};

const isAttempt = (e: RecordedEvent): boolean => e.type === 'AttemptSucceeded' || e.type === 'AttemptFailed';

/**
 * Attempt events of `$all` after `after`, at most `limit`. A delivery's DeliveryExhausted is committed with its
 * last failed attempt, so the page never ends between the two: it stops only before the next attempt.
 */
const readFeed = async (deps: ApiDeps, after: Position, limit: number): Promise<{ data: DeliveryFeedEntry[]; nextAfter: Position }> => {
  const data: DeliveryFeedEntry[] = [];
  let nextAfter = after;
  for await (const e of deps.events.readAll({ fromPosition: after, filter: { streamNamePrefixes: [categories.outbound] }, maxCount: limit * 4 })) {
    if (isAttempt(e)) {
      if (data.length >= limit) break;
      const d = e.data as (AttemptSucceeded | AttemptFailed)['data'] & { error?: string };
      data.push({
        position: positionToString(e.position),
        outboundId: d.outboundId,
        messageId: d.messageId,
        applicationId: d.applicationId,
        endpointId: d.endpointId,
        eventType: null,
        status: e.type === 'AttemptSucceeded' ? 'success' : 'failed',
        attemptNumber: d.attemptNumber,
        responseStatus: d.responseStatus,
        latencyMs: d.latencyMs,
        error: d.error ?? null,
        at: d.attemptedAt,
      });
    } else if (e.type === 'DeliveryExhausted') {
      const last = data.at(-1);
      if (last && last.outboundId === (e.data as { outboundId: string }).outboundId) last.status = 'exhausted';
    }
    nextAfter = e.position;
  }
  // The event type is on the delivery's read model, not on its attempt events.
  const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
  const types = new Map<string, string | null>();
  for (const entry of data) {
    if (!types.has(entry.outboundId)) types.set(entry.outboundId, (await outbound.get(entry.outboundId))?.eventType ?? null);
    entry.eventType = types.get(entry.outboundId) ?? null;
  }
  return { data, nextAfter };
};

export const deliveryRoutes = [
  defineRoute<undefined, FeedQuery>({
    operationId: 'v1.admin.deliveries',
    method: 'GET',
    path: '/v1/admin/deliveries',
    summary:
      'Delivery attempts as they happen, read from the event store after a position (nextAfter of the previous answer); with wait, held open up to that many seconds until there is one',
    auth: 'admin',
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        after: { type: 'string', pattern: '^([0-9]+(/[0-9]+)?|now)$' },
        wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS },
        limit: { type: 'integer', minimum: 1, maximum: 1000 },
      },
    },
    response: { status: 200 },
    handle: async ({ deps, query, ctx }) => {
      const after = await parseAfter(deps, query.after);
      const limit = query.limit ?? 100;
      const deadline = Date.now() + (query.wait ?? 0) * 1000;
      let page = await readFeed(deps, after, limit);
      // Long poll: look again until an attempt comes, the wait is over or the client goes away.
      while (page.data.length === 0 && Date.now() < deadline && !ctx.req.destroyed) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        page = await readFeed(deps, page.nextAfter, limit);
      }
      const nextAfter = page.nextAfter.commit < 0n ? null : positionToString(page.nextAfter);
      return { status: 200, body: { data: page.data, nextAfter } };
    },
  }),
];
