// `listAll*` results: await them for every item at once, or `for await` them page by page.
import type { ListResponse } from './types.js';

export type PageFetcher<T> = (cursor: string | undefined) => Promise<ListResponse<T>>;

/**
 * Both a thenable resolving to `{data}` with every page, and an async iterable of items.
 * Pages are fetched lazily: iteration fetches the next page only when the current one is used up.
 */
export class PageIterator<T> implements PromiseLike<{ data: T[] }>, AsyncIterable<T> {
  private collected: Promise<{ data: T[] }> | undefined;

  constructor(private readonly fetchPage: PageFetcher<T>) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.fetchPage(cursor);
      yield* page.data;
      // stop on the last page, and on a server that hands back the same cursor (no endless loop)
      if (!page.hasMore || !page.nextCursor || page.nextCursor === cursor) return;
      cursor = page.nextCursor;
    }
  }

  then<TResult1 = { data: T[] }, TResult2 = never>(
    onfulfilled?: ((value: { data: T[] }) => TResult1 | PromiseLike<TResult1>) | null,
    onrejected?: ((reason: unknown) => TResult2 | PromiseLike<TResult2>) | null,
  ): Promise<TResult1 | TResult2> {
    // awaiting twice walks the pages once
    this.collected ??= this.collectAll();
    return this.collected.then(onfulfilled, onrejected);
  }

  catch<TResult = never>(
    onrejected?: ((reason: unknown) => TResult | PromiseLike<TResult>) | null,
  ): Promise<{ data: T[] } | TResult> {
    return this.then(undefined, onrejected);
  }

  private async collectAll(): Promise<{ data: T[] }> {
    const data: T[] = [];
    for await (const item of this) data.push(item);
    return { data };
  }
}
