import { notFound } from '../../domain/errors';
import type { JsonValue } from '../../domain/json';
import { InvalidCursorError } from '../../store/readStore';
import type { Document, FindOptions, ReadCollection } from '../../store/readStore';
import { HttpError } from '../errors';
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

/** Reads an index serves at most to answer one page of `filteredPage`. */
const FILTER_QUERIES = 20;

/**
 * A page of an index (the store's `where`, range and order) keeping the documents `keep` accepts: for filters no
 * declared index combines with the others. Each read asks for just the documents still wanted, so the store's
 * cursor always stands right after the last document read; at most FILTER_QUERIES reads and SCAN_BUDGET documents.
 */
export const filteredPage = async <T extends Document>(
  collection: ReadCollection<T>,
  options: Omit<FindOptions, 'limit' | 'cursor'>,
  query: CompatListQuery,
  keep: (doc: T) => boolean,
  shape: (doc: T) => JsonValue | Promise<JsonValue>,
): Promise<CompatList> => {
  const limit = query.limit ?? 50;
  let cursor = query.cursor;
  const kept: T[] = [];
  let read = 0;
  let more = true;
  for (let q = 0; q < FILTER_QUERIES && kept.length < limit && read < SCAN_BUDGET && more; q++) {
    // Reading past what is missing would leave the store's cursor beyond documents this page does not answer.
    const page = await storePage(collection, { ...options, limit: limit - kept.length, cursor });
    for (const doc of page.items) {
      read++;
      if (keep(doc)) kept.push(doc);
    }
    cursor = page.nextCursor ?? undefined;
    more = page.nextCursor !== null;
  }
  const data: JsonValue[] = [];
  for (const doc of kept) data.push(await shape(doc));
  return { data, pagination: { hasMore: more, nextCursor: more ? (cursor ?? null) : null } };
};

const storePage = async <T extends Document>(collection: ReadCollection<T>, options: FindOptions) => {
  try {
    return await collection.find(options);
  } catch (error) {
    if (error instanceof InvalidCursorError) throw badCursor();
    throw error;
  }
};

/**
 * Splits equality filters between the store and the page: the first of `served` (key sets of declared indexes, most
 * selective first) whose keys are all filtered on goes to the store's `where`; the other filters are applied by `keep`.
 */
export const splitFilters = (
  filters: Readonly<Record<string, string | boolean | undefined>>,
  served: readonly (readonly string[])[],
): { where: Record<string, string | boolean>; rest: Record<string, string | boolean> } => {
  const given = Object.fromEntries(Object.entries(filters).filter((e): e is [string, string | boolean] => e[1] !== undefined));
  const keys = served.find((set) => set.every((k) => k in given)) ?? [];
  const where: Record<string, string | boolean> = {};
  const rest: Record<string, string | boolean> = {};
  for (const [k, v] of Object.entries(given)) (keys.includes(k) ? where : rest)[k] = v;
  return { where, rest };
};

export const matchesAll = (rest: Readonly<Record<string, string | boolean>>) => (doc: Readonly<Record<string, unknown>>): boolean =>
  Object.entries(rest).every(([k, v]) => doc[k] === v);

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

