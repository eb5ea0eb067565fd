import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { collections } from '../projections/readModels';
import type { PortalTokenDoc } from '../projections/readModels';
import { apiAssertions, awayFromWindowEdge, expectErrorBody, useTestHookbase } from '../test/apiAssertions';
import type { Detail } from '../test/apiAssertions';
import type { TestHookbase } from '../test/harness';

// Portal tokens: shown once, kept only as a hash, revocable, and rate limited per application.

type PortalToken = { id: string; token: string; expiresAt: string; url: string };

const LIMIT = 2;

let hb: TestHookbase;
const tokens: string[] = [];

const { eventsSince, rejected, storedEventText, storeFiles } = apiAssertions(() => hb);

const newApp = async (body: Record<string, unknown> = {}): Promise<string> => {
  const res = await hb.request('POST', '/v1/applications', { name: 'Portal', ...body });
  expect(res.status).toBe(201);
  return (res.body as { id: string }).id;
};

const tokensOf = (app: string) => `/v1/applications/${app}/portal-tokens`;

const create = async (app: string, body: Record<string, unknown> = {}): Promise<PortalToken> => {
  const res = await hb.request('POST', tokensOf(app), body);
  expect(res.status, res.text).toBe(201);
  const t = res.body as PortalToken;
  tokens.push(t.token);
  return t;
};

useTestHookbase(
  (started) => {
    hb = started;
  },
  { env: { HOOKBASE_RATE_LIMIT_PORTAL_TOKENS: String(LIMIT) } },
);

describe('POST /v1/applications/{appId}/portal-tokens', () => {
  it('creates a token: 201 {id, token, expiresAt, url}; PortalTokenCreated holds only its hash', async () => {
    const app = await newApp();
    const before = await hb.events.headPosition();
    const t0 = Date.now();
    const res = await hb.request('POST', tokensOf(app), {});
    expect(res.status).toBe(201);
    const t = res.body as PortalToken;
    tokens.push(t.token);
    expect(Object.keys(t).sort()).toEqual(['expiresAt', 'id', 'token', 'url']);
    expect(t.id).toMatch(/^ptk_[0-9A-Z]{26}$/);
    expect(t.token.length).toBeGreaterThanOrEqual(32);
    // default one hour
    const expires = Date.parse(t.expiresAt);
    expect(new Date(expires).toISOString()).toBe(t.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(t0 + 3_600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1000);
    // a magic link to the hosted portal; the token rides in the fragment, out of server logs
    const link = new URL(t.url);
    expect(link.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(link.pathname).toBe('/portal');
    expect(link.search).toBe('');
    expect(link.hash).toBe(`#token=${t.token}`);

    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`portaltoken-${t.id}`, 'PortalTokenCreated']]);
    expect(appended[0]?.data).toEqual({
      tokenId: t.id,
      applicationId: app,
      tokenHash: createHash('sha256').update(t.token).digest('hex'),
      tokenPrefix: t.token.slice(0, 13),
      name: null,
      scopes: ['read', 'write'],
      expiresAt: t.expiresAt,
      createdAt: expect.any(String),
    });
  });

  it('honours expiresIn up to 30 days', async () => {
    const app = await newApp();
    const short = await create(app, { expiresIn: 60 });
    expect(Math.abs(Date.parse(short.expiresAt) - (Date.now() + 60_000))).toBeLessThan(5_000);
    const longest = await create(app, { expiresIn: 30 * 86_400 });
    expect(Math.abs(Date.parse(longest.expiresAt) - (Date.now() + 30 * 86_400_000))).toBeLessThan(5_000);
  });

  it('accepts the application uid', async () => {
    const uid = `portal-${Date.now()}`;
    const app = await newApp({ uid });
    const before = await hb.events.headPosition();
    const t = await create(uid);
    const appended = await eventsSince(before);
    expect(appended[0]?.data).toMatchObject({ tokenId: t.id, applicationId: app });
  });

  it('refuses expiresIn over 30 days, under a minute, of the wrong type, and unknown fields (422, nothing appended)', async () => {
    // each refusal is charged to the application's bucket: spread them over applications
    const cases: [unknown, Partial<Detail>][] = [
      [{ expiresIn: 30 * 86_400 + 1 }, { field: 'expiresIn', rule: 'maximum' }],
      [{ expiresIn: 365 * 86_400 }, { field: 'expiresIn', rule: 'maximum' }],
      [{ expiresIn: 59 }, { field: 'expiresIn', rule: 'minimum' }],
      [{ expiresIn: '3600' }, { field: 'expiresIn', rule: 'type' }],
      [{ expiresIn: 90.5 }, { field: 'expiresIn', rule: 'type' }],
      [{ scope: 'all' }, { field: 'scope', rule: 'additionalProperties' }],
    ];
    for (const [body, detail] of cases) {
      const app = await newApp();
      await rejected('POST', tokensOf(app), body, 422, 'validation_failed', detail);
    }
  });

  it('404 for an unknown application, appending nothing', async () => {
    await rejected('POST', tokensOf('app_00000000000000000000000000'), {}, 404, 'application_not_found');
  });
});

describe('DELETE /v1/portal-tokens/{id}', () => {
  it('revokes: 204, PortalTokenRevoked; revoking again appends nothing; unknown ids are 404', async () => {
    const app = await newApp();
    const t = await create(app);
    const before = await hb.events.headPosition();
    const res = await hb.request('DELETE', `/v1/portal-tokens/${t.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const appended = await eventsSince(before);
    expect(appended.map((e) => [e.streamId, e.type])).toEqual([[`portaltoken-${t.id}`, 'PortalTokenRevoked']]);
    expect(appended[0]?.data).toMatchObject({ tokenId: t.id, applicationId: app });
    const doc = await hb.reads.collection<PortalTokenDoc>(collections.portalTokens).get(t.id);
    expect(doc).toMatchObject({ id: t.id, applicationId: app, revoked: true });

    const mid = await hb.events.headPosition();
    expect((await hb.request('DELETE', `/v1/portal-tokens/${t.id}`)).status).toBe(204);
    expect(await hb.events.headPosition()).toEqual(mid);

    await rejected('DELETE', '/v1/portal-tokens/ptk_00000000000000000000000000', undefined, 404, 'portal_token_not_found');
  });
});

describe('portal-token rate limit (HOOKBASE_RATE_LIMIT_PORTAL_TOKENS=2 per application per hour)', () => {
  it('429 with Retry-After past the limit, for that application only, whether named by id or uid', async () => {
    // the limiter counts per fixed hour: stay clear of the hour's end
    await awayFromWindowEdge(3_600_000);
    const uid = `limited-${Date.now()}`;
    const app = await newApp({ uid });
    const other = await newApp();
    const first = await hb.request('POST', tokensOf(app), {});
    expect(first.status).toBe(201);
    expect(first.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    tokens.push((first.body as PortalToken).token);
    tokens.push((await create(app)).token);

    const before = await hb.events.headPosition();
    const limited = await hb.request('POST', tokensOf(app), {});
    expect(await hb.events.headPosition()).toEqual(before);
    const error = expectErrorBody(limited, 429, 'rate_limited');
    expect(error.error.message).toContain('hour');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600).toBe(true);
    expect(limited.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');

    // the same application through its uid shares the bucket
    expectErrorBody(await hb.request('POST', tokensOf(uid), {}), 429, 'rate_limited');
    // another application has its own
    await create(other);
  });
});

describe('the token in clear', () => {
  it('is nowhere in the event store, the read-model files or the event files (also when created through the SDK)', async () => {
    const app = await newApp();
    const viaSdk = await hb.sdk.portalTokens.create(app, { expiresIn: 600 });
    tokens.push(viaSdk.token);
    const viaKey = await hb.request('POST', tokensOf(app), {}, { 'Idempotency-Key': 'portal-token-key' });
    expect(viaKey.status).toBe(201);
    tokens.push((viaKey.body as PortalToken).token);
    expect(tokens.length).toBeGreaterThan(8);

    const eventText = await storedEventText();
    const files = storeFiles();
    expect(files.length).toBeGreaterThanOrEqual(2);

    // the API key is a credential of the same kind: kept only as a hash
    for (const token of [...tokens, hb.apiKey]) {
      expect(eventText).not.toContain(token);
      for (const [file, bytes] of files) expect(bytes.includes(Buffer.from(token, 'utf8')), `${token} in ${file}`).toBe(false);
    }
  });
});
