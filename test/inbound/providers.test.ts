import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHookbase } from '../harness';
import type { TestHookbase } from '../harness';

// Each provider's scheme over the real ingest URL (issue 19): a request signed as the provider signs it, built here with
// node:crypto from the provider's documented recipe (never with the module under test), is accepted with 202; the
// same request with one signed byte changed, signed with a wrong secret, or (where a time is signed) an hour old is
// refused with 401 naming the rule; nothing but the refusals' records is appended.

type Signed = { body: string; headers: Record<string, string> };
type Case = {
  provider: string;
  secret: string | null;
  extra?: Record<string, unknown>;
  /** The request as the provider signs it, with this secret (or key) and at this time (Unix seconds). */
  sign: (body: string, secret: string, nowSeconds: number, url: string) => Signed;
  body: (nowSeconds: number) => string;
  /** A signed byte changed (Mailgun signs no byte of the payload: its token then). */
  tamper?: (signed: Signed) => Signed;
  timed: boolean;
  /** Another secret of the same form (a Svix secret is base64 after whsec_). */
  wrongSecret?: string;
};

const hex = (key: string | Buffer, text: string, alg = 'sha256') => createHmac(alg, key).update(text).digest('hex');
const b64 = (key: string | Buffer, text: string, alg = 'sha256') => createHmac(alg, key).update(text).digest('base64');
const json = (ct = 'application/json') => ({ 'content-type': ct });
const svixKey = randomBytes(24);
const sendgrid = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const otherSendgrid = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

const cases: Case[] = [
  {
    provider: 'github', secret: 'gh_secret_123', timed: false, body: () => '{"action":"opened","number":1}',
    sign: (body, secret) => ({ body, headers: { ...json(), 'x-github-event': 'pull_request', 'x-github-delivery': randomBytes(8).toString('hex'), 'x-hub-signature-256': `sha256=${hex(secret, body)}` } }),
  },
  {
    provider: 'shopify', secret: 'shpss_secret_123', timed: false, body: () => '{"id":820982911946154508,"email":"jon@example.com"}',
    sign: (body, secret) => ({ body, headers: { ...json(), 'x-shopify-topic': 'orders/create', 'x-shopify-hmac-sha256': b64(secret, body) } }),
  },
  {
    provider: 'slack', secret: '8f742231b10e8888abcd99yyyzzz85a5', timed: true, body: () => '{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}',
    sign: (body, secret, t) => ({ body, headers: { ...json(), 'x-slack-request-timestamp': String(t), 'x-slack-signature': `v0=${hex(secret, `v0:${t}:${body}`)}` } }),
  },
  {
    provider: 'svix', secret: `whsec_${svixKey.toString('base64')}`, wrongSecret: `whsec_${randomBytes(24).toString('base64')}`, timed: true, body: () => '{"type":"invoice.paid","data":{"id":1}}',
    sign: (body, secret, t) => {
      const id = `msg_${randomBytes(6).toString('hex')}`;
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      return { body, headers: { ...json(), 'webhook-id': id, 'webhook-timestamp': String(t), 'webhook-signature': `v1,${b64(key, `${id}.${t}.${body}`)}` } };
    },
  },
  {
    provider: 'paddle', secret: 'pdl_ntfset_secret_123', timed: true, body: () => '{"event_id":"evt_01","event_type":"transaction.completed","data":{}}',
    sign: (body, secret, t) => ({ body, headers: { ...json(), 'paddle-signature': `ts=${t};h1=${hex(secret, `${t}:${body}`)}` } }),
  },
  {
    provider: 'linear', secret: 'lin_wh_secret_123', timed: true, body: (t) => JSON.stringify({ type: 'Issue', action: 'create', data: { id: 'i1' }, webhookTimestamp: t * 1000 }),
    sign: (body, secret) => ({ body, headers: { ...json(), 'linear-delivery': randomBytes(8).toString('hex'), 'linear-signature': hex(secret, body) } }),
  },
  {
    provider: 'twilio', secret: 'twilio_auth_token_123', timed: false, body: () => new URLSearchParams([['To', '+18005551212'], ['From', '+14158675310'], ['CallSid', 'CA1']]).toString(),
    sign: (body, secret, _t, url) => {
      const params = [...new URLSearchParams(body).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return { body, headers: { ...json('application/x-www-form-urlencoded'), 'x-twilio-signature': b64(secret, url + params.map(([k, v]) => k + v).join(''), 'sha1') } };
    },
  },
  {
    provider: 'mailgun', secret: 'mailgun_signing_key_123', timed: false, body: () => '',
    sign: (_body, secret, t) => {
      const token = randomBytes(25).toString('hex');
      const body = JSON.stringify({ signature: { timestamp: String(t), token, signature: hex(secret, `${t}${token}`) }, 'event-data': { event: 'delivered' } });
      return { body, headers: json() };
    },
    tamper: ({ body, headers }) => ({ body: body.replace(/"token":"(.)/, (_m, c: string) => `"token":"${c === 'a' ? 'b' : 'a'}`), headers }),
  },
  {
    provider: 'sendgrid', secret: null, timed: false, extra: { verification: { toleranceSeconds: null, generic: null, publicKey: sendgrid.publicKey.export({ format: 'der', type: 'spki' }).toString('base64') } },
    body: () => '[{"email":"a@example.com","event":"processed"}]',
    sign: (body, secret, t) => {
      const key = secret === 'wrong' ? otherSendgrid.privateKey : sendgrid.privateKey;
      const signature = sign('sha256', Buffer.from(`${t}${body}`), key).toString('base64');
      return { body, headers: { ...json(), 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': String(t) } };
    },
  },
  {
    provider: 'generic', secret: 'generic_secret_123', timed: false, body: () => '{"type":"thing.happened","id":"t1"}',
    extra: { verification: { toleranceSeconds: null, publicKey: null, generic: { algorithm: 'sha512', headerName: 'X-Signature', encoding: 'base64', prefix: 'sha512=', timestampHeader: null, timestampSeparator: '.', toleranceSeconds: null } } },
    sign: (body, secret) => ({ body, headers: { ...json(), 'x-signature': `sha512=${b64(secret, body, 'sha512')}` } }),
  },
];

/** The last letter of the body changed (a signed byte; the body stays as parseable as it was). */
const oneByteChanged = ({ body, headers }: Signed): Signed => ({ body: body.replace(/[a-z](?=[^a-z]*$)/, (ch) => (ch === 'a' ? 'b' : 'a')), headers });

describe('provider signatures over the real ingest URL', () => {
  let hb: TestHookbase;
  beforeAll(async () => {
    hb = await startTestHookbase({ roles: ['api', 'projections'] });
  });
  afterAll(async () => {
    await hb?.stop();
  });

  it.each(cases.map((c) => [c.provider, c.timed ? ', an hour-old timestamp' : '', c] as const))('%s: signed as the provider signs it → 202; one byte changed, a wrong secret%s → 401, and only the refusals recorded', async (_name, _timed, c) => {
    const created = await hb.request('POST', '/v1/sources', { name: `${c.provider} source`, provider: c.provider, verifySignature: true, ...(c.secret ? { signingSecret: c.secret } : {}), ...c.extra });
    expect(created.status).toBe(201);
    const { id, ingestUrl } = created.body as { id: string; ingestUrl: string };
    const now = Math.floor(Date.now() / 1000);
    const send = async ({ body, headers }: Signed) => {
      const res = await fetch(ingestUrl, { method: 'POST', body, headers });
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
    };
    const signed = c.sign(c.body(now), c.secret ?? '', now, ingestUrl);
    expect((await send(signed)).status).toBe(202);

    const refusals: Array<[string, Signed, string]> = [
      ['one byte changed', (c.tamper ?? oneByteChanged)(signed), 'no_matching_signature'],
      ['a wrong secret', c.sign(c.body(now), c.wrongSecret ?? (c.secret === null ? 'wrong' : `${c.secret}x`), now, ingestUrl), 'no_matching_signature'],
    ];
    if (c.timed) refusals.push(['an hour old', c.sign(c.body(now - 3600), c.secret ?? '', now - 3600, ingestUrl), 'timestamp_out_of_tolerance']);
    for (const [why, request, code] of refusals) {
      const answer = await send(request);
      expect({ why, status: answer.status, code: answer.body.error?.code }).toEqual({ why, status: 401, code });
      if (c.secret) expect(answer.body.error?.message).not.toContain(c.secret);
    }
    const events = (await hb.request('GET', `/v1/inbound-events?sourceId=${id}`)).body as { data: { status: string; signatureValid: boolean | null }[] };
    expect(events.data.map((e) => e.status).sort()).toEqual(['received', ...refusals.map(() => 'rejected')].sort());
    expect(events.data.filter((e) => e.status !== 'rejected').map((e) => e.signatureValid)).toEqual([true]);
  });
});
