import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../api/jsonLimits';
import { eventually, startReceiver, startTestHookbase } from '../harness';
import type { Receiver, TestHookbase } from '../harness';

type ErrorBody = { error: { code: string; message: string; details: { field: string; rule: string; message: string }[] }; requestId: string };

/**
 * The input limits of API.md and the README, request by request: what is refused (with which status and error body,
 * and without appending anything) and what is accepted and then delivered exactly as it was sent.
 */
describe('hostile input on /v1', () => {
  let hb: TestHookbase;
  let receiver: Receiver;
  let appId = '';

  /** Raw bytes (no JSON.stringify on our side), with the admin key. */
  const raw = async (method: string, path: string, body: string | Buffer, contentType: string | null = 'application/json') => {
    const headers: Record<string, string> = { authorization: `Bearer ${hb.apiKey}` };
    if (contentType !== null) headers['content-type'] = contentType;
    const res = await request(`${hb.url}${path}`, { method: method as 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    const text = await res.body.text();
    return { status: res.statusCode, text, json: (text ? JSON.parse(text) : undefined) as unknown };
  };
  const send = (payloadText: string) => raw('POST', `/v1/applications/${appId}/messages`, `{"eventType":"input.probe","payload":${payloadText}}`);

  /** Sends, waits for the webhook, returns the body as the receiver got it (text). */
  const delivered = async (payloadText: string): Promise<string> => {
    const before = receiver.received.length;
    const res = await send(payloadText);
    expect(res.status, res.text).toBe(202);
    const hooks = await receiver.waitFor(before + 1);
    return hooks[before]!.body;
  };

  /** The head once the dispatcher has recorded earlier deliveries (no append for 300 ms): refusals are compared to it. */
  const quietHead = async () => {
    let last = await hb.events.headPosition();
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const now = await hb.events.headPosition();
      if (now.commit === last.commit) return now;
      last = now;
    }
  };

  const expectRefused = async (res: { status: number; json: unknown }, status: number, code: string): Promise<ErrorBody> => {
    expect(res.status).toBe(status);
    const body = res.json as ErrorBody;
    expect(body.error.code).toBe(code);
    expect(typeof body.requestId).toBe('string');
    return body;
  };

  beforeAll(async () => {
    hb = await startTestHookbase();
    receiver = await startReceiver();
    appId = (await hb.sdk.applications.create({ name: 'Input' })).id;
    await hb.sdk.eventTypes.create({ name: 'input.probe' });
    await hb.sdk.endpoints.create(appId, { url: receiver.url });
  });
  afterAll(async () => {
    await hb.stop();
    await receiver.close();
  });

  it('refuses a body nested 5,000 levels deep with 400 naming the limit (it answered 500: stack overflow)', async () => {
    const before = await quietHead();
    for (const body of [`${'['.repeat(5000)}${']'.repeat(5000)}`, `{"eventType":"input.probe","payload":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`]) {
      const res = await raw('POST', `/v1/applications/${appId}/messages`, body);
      const err = await expectRefused(res, 400, 'json_too_deep');
      expect(err.error.message).toContain(`${MAX_JSON_DEPTH} levels`);
      expect(err.error.details[0]).toMatchObject({ rule: 'max_depth' });
    }
    expect(await hb.events.headPosition()).toEqual(before);
  });

  it('accepts a payload at the nesting limit and delivers it as sent', async () => {
    // The body is level 1 and the payload level 2: the payload may hold 62 more levels.
    const payload = `${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}`;
    expect(JSON.parse(await delivered(payload)).data).toEqual(JSON.parse(payload));
    const tooDeep = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    await expectRefused(await send(tooDeep), 400, 'json_too_deep');
  });

  it('refuses a number out of the range of a double with 422 naming the field (it was delivered as null)', async () => {
    const before = await quietHead();
    const res = await send('{"order":{"amounts":[1,1e400]}}');
    const err = await expectRefused(res, 422, 'validation_failed');
    expect(err.error.details).toEqual([expect.objectContaining({ field: 'payload.order.amounts[1]', rule: 'finite_number' })]);
    await expectRefused(await send('-1e400'), 422, 'validation_failed');
    expect(await hb.events.headPosition()).toEqual(before);
    // Numbers a double holds go through as numbers (JSON has no -0: it arrives as 0, as from every JSON encoder).
    expect(JSON.parse(await delivered('[1.7976931348623157e308,5e-324,1e-400]')).data).toEqual([1.7976931348623157e308, 5e-324, 0]);
  });

  it('delivers lone surrogates as the escapes that were sent', async () => {
    const body = await delivered('{"s":"a\\ud800b\\udfff"}');
    expect(body).toContain('"s":"a\\ud800b\\udfff"');
    expect((JSON.parse(body) as { data: { s: string } }).data.s).toBe('a\ud800b\udfff');
  });

  it('keeps __proto__ and constructor keys as data: delivered as sent, no prototype polluted', async () => {
    const payload = '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"nested":{"__proto__":[1]}}';
    const body = await delivered(payload);
    const data = (JSON.parse(body) as { data: Record<string, unknown> }).data;
    expect(Object.keys(data)).toEqual(['__proto__', 'constructor', 'nested']);
    expect(JSON.stringify(data)).toBe(JSON.stringify(JSON.parse(payload)));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The stored message reads back the same through the API.
    const { data: messages } = await hb.sdk.messages.list(appId, { limit: 1 });
    expect(JSON.stringify(messages[0]!.payload)).toBe(JSON.stringify(JSON.parse(payload)));
  });

  it('takes the last of duplicate keys (as JSON.parse) and delivers that one object', async () => {
    const body = await delivered('{"k":1,"k":2}');
    expect(body).toContain('"data":{"k":2}');
  });

  it('accepts a body of exactly 256 KiB and refuses one byte more with 413, appending nothing', async () => {
    const limit = 256 * 1024;
    const frame = (n: number) => `{"eventType":"input.probe","payload":{"s":"${'x'.repeat(n)}"}}`;
    const atLimit = frame(limit - frame(0).length);
    expect(Buffer.byteLength(atLimit)).toBe(limit);
    expect((await raw('POST', `/v1/applications/${appId}/messages`, atLimit)).status).toBe(202);
    const before = await quietHead();
    await expectRefused(await raw('POST', `/v1/applications/${appId}/messages`, frame(limit - frame(0).length + 1)), 413, 'payload_too_large');
    expect(await hb.events.headPosition()).toEqual(before);
  });

  it('refuses a chunked body (no content-length) past the limit with 413, without reading it all', async () => {
    const before = await quietHead();
    let sent = 0;
    // 1 MiB in 16 KiB chunks, then it would go on for 64 MiB: the server must answer long before.
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"eventType":"input.probe","payload":"');
      for (let i = 0; i < 4096 && sent < 64 * 1024 * 1024; i++) {
        sent += 16 * 1024;
        yield Buffer.alloc(16 * 1024, 0x61);
      }
      yield Buffer.from('"}');
    }
    const started = Date.now();
    const res = await request(`${hb.url}/v1/applications/${appId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hb.apiKey}`, 'content-type': 'application/json' },
      body: Readable.from(endless()),
      signal: AbortSignal.timeout(10_000),
    }).catch((error: unknown) => error as Error);
    if (res instanceof Error) {
      // The server may close the connection while the client still writes; what matters is it stopped reading early.
      expect(sent).toBeLessThan(64 * 1024 * 1024);
    } else {
      const body = JSON.parse(await res.body.text()) as ErrorBody;
      expect(res.statusCode).toBe(413);
      expect(body.error.code).toBe('payload_too_large');
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await hb.events.headPosition()).toEqual(before);
  });

  it('counts a client that hangs up in the middle of its body as a 4xx, not a 500', async () => {
    const { port } = new URL(hb.url);
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST /v1/applications/${appId}/messages HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${hb.apiKey}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"eventType":`,
          );
          setTimeout(() => socket.destroy(), 100);
        });
        socket.on('close', () => resolve());
        socket.on('error', () => {});
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    const metrics = await (await fetch(`${hb.url}/metrics`)).text();
    // The route label holds braces ({appId}): match to the end of the line's labels.
    expect(metrics).toMatch(/hookbase_http_request_duration_seconds_count\{.*method="POST",status="400"\} [1-9]/);
    expect(metrics).not.toMatch(/status="500"/);
  });

  it('answers 408 with the error body to a client that sends its headers byte by byte (slowloris)', async () => {
    const { port } = new URL(hb.url);
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const socket = connect(Number(port), '127.0.0.1', () => {
        const head = `GET /v1/applications HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${hb.apiKey}\r\nx-slow: ${'s'.repeat(500)}`;
        let i = 0;
        const timer = setInterval(() => (i < head.length && !socket.destroyed ? socket.write(head[i++]!) : clearInterval(timer)), 200);
        socket.on('close', () => clearInterval(timer));
      });
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('close', () => resolve(text));
      socket.on('error', () => {});
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect((JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as ErrorBody).error.code).toBe('request_timeout');
  }, 30_000);

  it('refuses bodies that are not JSON: wrong content types 415, broken JSON or UTF-8 400', async () => {
    const before = await quietHead();
    const path = `/v1/applications/${appId}/messages`;
    const ok = '{"eventType":"input.probe","payload":{}}';
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      await expectRefused(await raw('POST', path, ok, type), 415, 'unsupported_media_type');
    }
    for (const body of ['{', '{"a":1}garbage', 'nul\u0000l', '"\\ud800', "{'a':1}"]) {
      await expectRefused(await raw('POST', path, body), 400, 'malformed_json');
    }
    const notUtf8 = Buffer.concat([Buffer.from('{"eventType":"input.probe","payload":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
    const err = await expectRefused(await raw('POST', path, notUtf8), 400, 'malformed_json');
    expect(err.error.message).toContain('UTF-8');
    expect(await hb.events.headPosition()).toEqual(before);
  });

  it('answers 404 with the error body for broken percent-escapes in a path', async () => {
    for (const segment of ['%', '%zz', '%E0%A4%A', '%ED%A0%80', '%C0%AF']) {
      const res = await request(`${hb.url}/v1/applications/${segment}`, { headers: { authorization: `Bearer ${hb.apiKey}` } });
      const text = await res.body.text();
      expect(res.statusCode, segment).toBe(404);
      expect((JSON.parse(text) as ErrorBody).error.code).toMatch(/not_found/);
    }
  });

  it('answers a request line past 16 KiB with 431 and the error body (Node answered an empty 431)', async () => {
    const res = await request(`${hb.url}/v1/applications?cursor=${'x'.repeat(20_000)}`, { headers: { authorization: `Bearer ${hb.apiKey}` } });
    const body = JSON.parse(await res.body.text()) as ErrorBody;
    expect(res.statusCode).toBe(431);
    expect(body.error.code).toBe('headers_too_large');
    expect(res.headers['x-request-id']).toBe(body.requestId);
  });

  it('keeps __proto__ keys in metadata as data', async () => {
    const res = await raw('POST', '/v1/applications', '{"name":"proto","metadata":{"__proto__":{"admin":"true"},"constructor":"x"}}');
    expect(res.status, res.text).toBe(201);
    const app = res.json as { id: string; metadata: Record<string, unknown> };
    expect(JSON.stringify(app.metadata)).toBe('{"__proto__":{"admin":"true"},"constructor":"x"}');
    const again = await hb.request('GET', `/v1/applications/${app.id}`);
    expect(again.text).toContain('"metadata":{"__proto__":{"admin":"true"},"constructor":"x"}');
  });

  it('stores a huge string whole and delivers it byte for byte', async () => {
    const s = '😀é\u0000'.repeat(20_000);
    const body = await delivered(JSON.stringify({ s }));
    expect((JSON.parse(body) as { data: { s: string } }).data.s).toBe(s);
    await eventually(async () => (await hb.sdk.messages.list(appId, { limit: 1 })).data[0]?.payload !== undefined);
  });
});
