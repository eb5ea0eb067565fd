import type { JsonValue } from '../domain/json';
import type { Document, FindOptions, ReadCollection } from '../store/readStore';
import { InvalidCursorError } from '../store/readStore';
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
): Promise<{ data: JsonValue[]; hasMore: boolean; nextCursor: string | null }> => {
  let page;
  try {
    page = await collection.find({ ...options, limit: query.limit ?? 50, cursor: query.cursor });
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new HttpError(422, 'validation_failed', 'cursor is not a cursor of this list.', [{ field: 'cursor', rule: 'cursor', message: 'cursor is not a cursor of this list.' }]);
    }
    throw error;
  }
  const data: JsonValue[] = [];
  for (const item of page.items) data.push(await shape(item));
  return { data, hasMore: page.nextCursor !== null, nextCursor: page.nextCursor };
};
