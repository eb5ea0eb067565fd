import { describe, expect, it } from 'vitest';
import { expectErrorBody, useTestHookbase } from '../test/apiAssertions';
import type { Res } from '../test/apiAssertions';
import { expectCompatError } from '../test/compatShapes';
import type { TestHookbase } from '../test/harness';

// Issue 17: a send is charged to the sends bucket only (HOOKBASE_RATE_LIMIT_SENDS), never to the general API
// bucket as well; before the fix a key with API=5 and SENDS=30 had its fourth send refused by the API bucket.
const API_LIMIT = 5;
const SENDS_LIMIT = 30;

let hb: TestHookbase;
useTestHookbase(
  (started) => {
    hb = started;
  },
  { env: { HOOKBASE_RATE_LIMIT_API: String(API_LIMIT), HOOKBASE_RATE_LIMIT_SENDS: String(SENDS_LIMIT) } },
);

const expectRetryAfter = (res: Res): void => {
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.headers.get('x-ratelimit-limit')).toBe(String(SENDS_LIMIT));
  expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
};

describe(`send limit (HOOKBASE_RATE_LIMIT_API=${API_LIMIT}, HOOKBASE_RATE_LIMIT_SENDS=${SENDS_LIMIT})`, () => {
  it('a key sends past the API limit up to the sends limit (on /v1 and /api/send-event together), then gets 429 with Retry-After', async () => {
    // Two calls of the API bucket.
    const type = `order.created.${Date.now()}`;
    expect((await hb.request('POST', '/v1/event-types', { name: type })).status).toBe(201);
    const created = await hb.request('POST', '/v1/applications', { name: 'limited sender' });
    expect(created.status).toBe(201);
    const appId = (created.body as { id: string }).id;

    const v1Sends = 20;
    const statuses: number[] = [];
    const remaining: (string | null)[] = [];
    for (let i = 0; i < v1Sends; i++) {
      const res = await hb.request('POST', `/v1/applications/${appId}/messages`, { eventType: type, payload: { i } });
      statuses.push(res.status);
      remaining.push(res.headers.get('x-ratelimit-remaining'));
      if (res.status === 202) expect(res.headers.get('x-ratelimit-limit')).toBe(String(SENDS_LIMIT));
    }
    expect(statuses).toEqual(Array.from({ length: v1Sends }, () => 202));
    expect(remaining.at(-1)).toBe(String(SENDS_LIMIT - v1Sends));
    // The cloud-compatible send route (COMPAT.md) draws on the same bucket of the same key.
    for (let i = v1Sends; i < SENDS_LIMIT; i++) {
      const res = await hb.request('POST', '/api/send-event', { applicationId: appId, eventType: type, payload: { i } });
      expect(res.status, res.text).toBe(202);
    }

    const before = await hb.events.headPosition();
    const limited = await hb.request('POST', `/v1/applications/${appId}/messages`, { eventType: type, payload: { over: true } });
    expectErrorBody(limited, 429, 'rate_limited');
    expectRetryAfter(limited);
    const compatLimited = await hb.request('POST', '/api/send-event', { applicationId: appId, eventType: type, payload: { over: true } });
    expectCompatError(compatLimited, 429);
    expectRetryAfter(compatLimited);
    expect(await hb.events.headPosition()).toEqual(before);

    // The API bucket was charged for the two set-up calls only: three calls left, then its own 429.
    const reads: Res[] = [];
    for (let i = 0; i < API_LIMIT - 2; i++) reads.push(await hb.request('GET', '/v1/applications'));
    expect(reads.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(reads.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0']);
    for (const r of reads) expect(r.headers.get('x-ratelimit-limit')).toBe(String(API_LIMIT));
    const overApi = await hb.request('GET', '/v1/applications');
    expectErrorBody(overApi, 429, 'rate_limited');
    expect(overApi.headers.get('x-ratelimit-limit')).toBe(String(API_LIMIT));
  });
});
