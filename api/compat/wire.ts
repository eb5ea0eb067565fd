import { notFound } from '../../domain/errors';
import type { JsonValue } from '../../domain/json';
import type { Document, FindOptions, ReadCollection, Scalar } from '../../store/readStore';
import { HttpError } from '../errors';
import { listPage } from '../pagination';
import type { AnyRoute, Schema } from '../route';

// The conventions of the cloud-compatible surface (COMPAT.md "Transport", "Envelopes and lists"), in one place.

export const API_PREFIX = '/api';

// Errors leave in COMPAT.md's body through the one error middleware (api/errors.ts, cloudErrorBody).

// ---------- envelopes and lists ----------

export const one = (data: JsonValue): { data: JsonValue } => ({ data });

export type CompatListQuery = { limit?: number; cursor?: string; offset?: number };

/** limit 1–100 (default 50), cursor, offset (accepted and ignored where a cursor serves); other keys are ignored. */
export const compatListQuery = (extra: Record<string, Schema> = {}): Schema => ({
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100 },
    cursor: { type: 'string', maxLength: 1024 },
    offset: { type: 'integer', minimum: 0 },
    ...extra,
  },
});

/** Filters arrive as "true"/"false"; the query validator coerces them. */
export const boolFilter: Schema = { type: 'boolean' };

export type CompatList = { data: JsonValue[]; pagination: { hasMore: boolean; nextCursor: string | null } };

export const listSchema = (item: Schema): Schema => ({
  type: 'object',
  required: ['data', 'pagination'],
  properties: {
    data: { type: 'array', items: item },
    pagination: { type: 'object', required: ['hasMore', 'nextCursor'], properties: { hasMore: { type: 'boolean' }, nextCursor: { type: ['string', 'null'] } } },
  },
});

export const dataSchema = (item: Schema): Schema => ({ type: 'object', required: ['data'], properties: { data: item } });

/** At most this many documents are read to answer one filtered page (a `search` that matches rarely pages on). */
export const SCAN_BUDGET = 2_000;
const SCAN_BATCH = 200;

const badCursor = (): HttpError =>
  new HttpError(422, 'validation_failed', 'cursor is not a cursor of this list.', [{ field: 'cursor', rule: 'cursor', message: 'cursor is not a cursor of this list.' }]);

export const encodeScanCursor = (id: string): string => Buffer.from(JSON.stringify({ after: id })).toString('base64url');

export const decodeScanCursor = (cursor: string): string => {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw badCursor();
};

/**
 * A page of a collection walked in id order over the store's index (equality `where` served by the store), keeping
 * the documents `keep` accepts; reads at most SCAN_BUDGET documents, and the cursor is the last id read, so a rare
 * match costs the client more pages, never the server an unbounded scan.
 */
export const scanPage = async <T extends Document>(
  collection: ReadCollection<T>,
  where: Readonly<Record<string, string | boolean>>,
  direction: 'asc' | 'desc',
  query: CompatListQuery,
  keep: (doc: T) => boolean,
  shape: (doc: T) => JsonValue | Promise<JsonValue>,
): Promise<CompatList> => {
  const limit = query.limit ?? 50;
  let after = query.cursor === undefined ? null : decodeScanCursor(query.cursor);
  const kept: T[] = [];
  let read = 0;
  let hasMore = true;
  scan: while (kept.length < limit && read < SCAN_BUDGET) {
    const range = after === null ? undefined : direction === 'asc' ? { key: 'id', gt: after } : { key: 'id', lt: after };
    const page = await collection.find({ where, range, orderBy: { key: 'id', direction }, limit: Math.min(SCAN_BATCH, SCAN_BUDGET - read) });
    for (const [i, doc] of page.items.entries()) {
      read++;
      after = doc.id;
      if (keep(doc)) kept.push(doc);
      if (kept.length === limit) {
        hasMore = i < page.items.length - 1 || page.nextCursor !== null;
        break scan;
      }
    }
    if (page.nextCursor === null) {
      hasMore = false;
      break;
    }
  }
  const data: JsonValue[] = [];
  for (const doc of kept) data.push(await shape(doc));
  return { data, pagination: { hasMore: hasMore && after !== null, nextCursor: hasMore && after !== null ? encodeScanCursor(after) : null } };
};

/**
 * A page of a list in the compat shape, over the shared pager (api/pagination.ts): `where` goes to the index that
 * splitFilters chose, `rest` is checked on each document while paging (bounded; a page may end short with hasMore).
 */
export const compatList = async <T extends Document>(
  collection: ReadCollection<T>,
  options: Omit<FindOptions, 'limit' | 'cursor'>,
  query: CompatListQuery,
  shape: (doc: T) => JsonValue | Promise<JsonValue>,
  rest: Readonly<Record<string, Scalar>> = {},
): Promise<CompatList> => {
  const page = await listPage(collection, options, { limit: query.limit ?? 50, cursor: query.cursor }, shape, rest);
  return { data: page.data, pagination: { hasMore: page.hasMore, nextCursor: page.nextCursor } };
};

/** The filters that were given (query values are undefined when absent). */
export const given = (filters: Readonly<Record<string, Scalar | undefined>>): Record<string, Scalar> =>
  Object.fromEntries(Object.entries(filters).filter((e): e is [string, Scalar] => e[1] !== undefined));

/** `contains`, case-insensitive (the clients' `search`). */
export const containsFolded = (haystack: string | null | undefined, needle: string): boolean =>
  haystack !== null && haystack !== undefined && haystack.toLowerCase().includes(needle.toLowerCase());

// ---------- the same routes under /api/organizations/{orgId} (the MCP server) ----------

export type Organization = Readonly<{ id: string; name: string; slug: string }>;

export const organizationOf = (config: { organization?: Organization }): Organization =>
  config.organization ?? { id: 'org_default', name: 'Hookbase', slug: 'hookbase' };

/** Each /api route again under /api/organizations/{orgId}/…; an orgId other than ours is a 404. */
export const underOrganization = (route: AnyRoute): AnyRoute => ({
  ...route,
  operationId: route.operationId.replace(/^api\./, 'org.'),
  path: `${API_PREFIX}/organizations/{orgId}${route.path.slice(API_PREFIX.length)}`,
  handle: async (req) => {
    const org = organizationOf(req.deps.config);
    if (req.params.orgId !== org.id) throw notFound('organization', req.params.orgId ?? '');
    return route.handle(req);
  },
});

