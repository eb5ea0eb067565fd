// Shared by the API suites (api/*.test.ts): the error-body contract, "nothing appended" checks, cursor paging,
// and the stored bytes a secret must never appear in; all against a real server from ./harness.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Position, RecordedEvent } from '../store/eventStore';
import { startTestHookbase } from './harness';
import type { TestHookbase, TestHookbaseOptions } from './harness';

export type Res = Awaited<ReturnType<TestHookbase['request']>>;
export type Detail = { field: string; rule: string; message: string };
export type ErrorBody = { error: { code: string; message: string; details: Detail[] }; requestId: string };
export type Page<T> = { data: T[]; hasMore: boolean; nextCursor: string | null };

/**
 * Starts a Hookbase (roles api and projections unless `options` say otherwise) before the tests of the enclosing
 * file or describe block and stops it after them; `started` receives it (and may set up data) before any test runs.
 */
export const useTestHookbase = (started: (hb: TestHookbase) => void | Promise<void>, options: TestHookbaseOptions = {}): void => {
  let hb: TestHookbase | undefined;
  beforeAll(async () => {
    hb = await startTestHookbase({ roles: ['api', 'projections'], ...options });
    await started(hb);
  });
  afterAll(async () => {
    await hb?.stop();
  });
};

/**
 * The answer is `status` with the error body of every failure: JSON, {error: {code, message, details}, requestId},
 * the request id also in X-Request-Id, a message that says something, and details of {field, rule, message}
 * (one of them matching `detail` when given).
 */
export const expectErrorBody = (res: Res, status: number, code: string, detail?: Partial<Detail>): ErrorBody => {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = res.body as ErrorBody;
  expect(body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Array) }, requestId: res.headers.get('x-request-id') });
  expect(body.requestId).toMatch(/^req_/);
  expect(body.error.message.length).toBeGreaterThan(0);
  for (const d of body.error.details) expect(d).toEqual({ field: expect.any(String), rule: expect.any(String), message: expect.any(String) });
  if (detail) expect(body.error.details).toContainEqual(expect.objectContaining(detail));
  return body;
};

/** Rate limiters count per fixed window: keep a test that counts clear of the window's end. */
export const awayFromWindowEdge = async (windowMs: number, marginMs = 5_000): Promise<void> => {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
};

/** The helpers that need the server: `hb` returns the one the file started (read when a helper runs, not before). */
export const apiAssertions = (hb: () => TestHookbase) => {
  const eventsSince = async (from: Position): Promise<RecordedEvent[]> => {
    const out: RecordedEvent[] = [];
    for await (const e of hb().events.readAll({ fromPosition: from })) out.push(e);
    return out;
  };

  /** Runs `fn` and checks that it appended nothing to `$all`. */
  const unchanged = async <T>(fn: () => Promise<T>): Promise<T> => {
    const before = await hb().events.headPosition();
    const result = await fn();
    expect(await hb().events.headPosition()).toEqual(before);
    return result;
  };

  /** The request fails as expected (see expectErrorBody) and appends nothing to `$all`. */
  const rejected = (method: string, path: string, body: unknown, status: number, code: string, detail?: Partial<Detail>): Promise<ErrorBody> =>
    unchanged(async () => expectErrorBody(await hb().request(method, path, body), status, code, detail));

  /**
   * GETs `path` with `limit` and follows `nextCursor` to the last page (at most `maxPages`). Every answer must be a
   * 200 {data, hasMore, nextCursor} page of at most `limit` items, with hasMore exactly when there is a next cursor;
   * `each` checks more of each page. Returns the items in the order seen and the number of pages.
   */
  const pageThrough = async <T>(
    path: string,
    each: (page: Page<T>, res: Res) => void = () => {},
    { limit = 2, maxPages = 10 }: { limit?: number; maxPages?: number } = {},
  ): Promise<{ seen: T[]; pages: number }> => {
    const seen: T[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await hb().request('GET', `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      const page = res.body as Page<T>;
      expect(Object.keys(page).sort()).toEqual(['data', 'hasMore', 'nextCursor']);
      expect(page.data.length).toBeLessThanOrEqual(limit);
      expect(page.hasMore).toBe(page.nextCursor !== null);
      each(page, res);
      seen.push(...page.data);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < maxPages);
    return { seen, pages };
  };

  /** Every event's data and metadata as JSON, one after the other. */
  const storedEventText = async (): Promise<string> => {
    const events: string[] = [];
    for await (const e of hb().events.readAll()) events.push(JSON.stringify(e.data), JSON.stringify(e.metadata));
    return events.join('\n');
  };

  /** The store files of the data dir that exist now, with their bytes. */
  const storeFiles = (): (readonly [string, Buffer])[] =>
    ['read-models.db', 'read-models.db-wal', 'events.db', 'events.db-wal']
      .map((f) => join(hb().dataDir, f))
      .filter((f) => existsSync(f))
      .map((f) => [f, readFileSync(f)] as const);

  return { eventsSince, unchanged, rejected, pageThrough, storedEventText, storeFiles };
};
