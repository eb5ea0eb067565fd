import type { JsonValue } from '../domain/json';
import type { CollectionDef, Document, FindOptions, ReadCollection, Scalar } from '../store/readStore';
import { InvalidCursorError, servingIndex } from '../store/readStore';
import type { Schema } from './route';
import { HttpError } from './errors';

export type ListQuery = { limit?: number; cursor?: string };

export const listQuerySchema = (extra: Record<string, Schema> = {}): Schema => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100 },
    cursor: { type: 'string', maxLength: 1024 },
    ...extra,
  },
});

export const listResponseSchema = (item: Schema): Schema => ({
  type: 'object',
  required: ['data', 'hasMore', 'nextCursor'],
  properties: { data: { type: 'array', items: item }, hasMore: { type: 'boolean' }, nextCursor: { type: ['string', 'null'] } },
});

/** One page in API.md's list shape: `{data, hasMore, nextCursor}`. */
export const listPage = async <T extends Document>(
  collection: ReadCollection<T>,
  options: Omit<FindOptions, 'limit' | 'cursor'>,
  query: ListQuery,
  shape: (doc: T) => JsonValue | Promise<JsonValue>,
  rest: Readonly<Record<string, Scalar>> = {},
): Promise<{ data: JsonValue[]; hasMore: boolean; nextCursor: string | null }> => {
  const limit = query.limit ?? 50;
  const matches = (doc: T): boolean => Object.entries(rest).every(([key, value]) => (doc[key] ?? null) === value);
  const items: T[] = [];
  let cursor = query.cursor;
  let next: string | null = null;
  try {
    // With filters left to check here, a page may need several reads; it may also end short (hasMore still true).
    for (let round = 0; round < MAX_FILTER_ROUNDS && items.length < limit; round++) {
      const page = await collection.find({ ...options, limit: limit - items.length, cursor });
      items.push(...page.items.filter(matches));
      next = page.nextCursor;
      if (next === null) break;
      cursor = next;
    }
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new HttpError(422, 'validation_failed', 'cursor is not a cursor of this list.', [{ field: 'cursor', rule: 'cursor', message: 'cursor is not a cursor of this list.' }]);
    }
    throw error;
  }
  const data: JsonValue[] = [];
  for (const item of items) data.push(await shape(item));
  return { data, hasMore: next !== null, nextCursor: next };
};

const MAX_FILTER_ROUNDS = 10;

/**
 * Splits a list's filters into the largest set a declared index serves, ordered by `sortKey` (given to the
 * store), and the rest (checked on each document by listPage). Used where a list has more optional filters
 * than it is worth an index per combination. `filters` lists the most selective keys first: between two
 * served sets of one size, the one with the earlier keys wins.
 */
export const splitFilters = (
  def: CollectionDef,
  filters: Readonly<Record<string, Scalar>>,
  sortKey: string,
): { where: Record<string, Scalar>; rest: Record<string, Scalar> } => {
  const keys = Object.keys(filters);
  let best: string[] | undefined;
  let bestScore = -1;
  for (let mask = 0; mask < 1 << keys.length; mask++) {
    const subset = keys.filter((_, i) => mask & (1 << i));
    // Size first, then the earlier keys (bit n-1-i for key i).
    const score = subset.length * (1 << keys.length) + keys.reduce((sum, _, i) => (mask & (1 << i) ? sum + (1 << (keys.length - 1 - i)) : sum), 0);
    if (score > bestScore && servingIndex(def, subset, sortKey)) [best, bestScore] = [subset, score];
  }
  const where: Record<string, Scalar> = {};
  const rest: Record<string, Scalar> = {};
  for (const key of keys) (best?.includes(key) ? where : rest)[key] = filters[key] ?? null;
  return { where, rest };
};
