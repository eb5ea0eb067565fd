/// <reference types="node" />
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Hookbase } from './client.js';
import {
  AuthenticationError,
  ConflictError,
  ForbiddenError,
  HookbaseApiError,
  HookbaseError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  TimeoutError,
  ValidationError,
} from './errors.js';
import type { OutboundMessage } from './types.js';

interface Seen {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: Seen, res: ServerResponse, index: number) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
let seen: Seen[];

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': 'req_1', ...headers });
  res.end(JSON.stringify(body));
}

function apiError(res: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
  json(res, status, { error: { code, message: `${code} happened`, details: [{ path: '/x' }] }, requestId: 'req_body' }, headers);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: Seen = {
        method: req.method ?? '',
        url: new URL(req.url ?? '/', 'http://localhost'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      handler(entry, res, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  handler = (_req, res) => json(res, 200, {});
});

const client = (options: { retries?: number; timeout?: number } = {}) =>
  new Hookbase({ apiKey: 'hb_test_key_0123456789abcdef', baseUrl: `${baseUrl}/`, ...options });

describe('Hookbase client', () => {
  it('sends JSON with the bearer key and returns the parsed body', async () => {
    handler = (_req, res) => json(res, 201, { id: 'app_1', name: 'Acme', uid: 'cus_1' });
    const app = await client().applications.create({ name: 'Acme', uid: 'cus_1', metadata: { plan: 'pro' } });
    expect(app.id).toBe('app_1');
    const [req] = seen;
    expect(req?.method).toBe('POST');
    expect(req?.url.pathname).toBe('/v1/applications');
    expect(req?.headers.authorization).toBe('Bearer hb_test_key_0123456789abcdef');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['idempotency-key']).toMatch(/^hb_[0-9a-f]{32}$/);
    expect(JSON.parse(req?.body ?? '')).toEqual({ name: 'Acme', uid: 'cus_1', metadata: { plan: 'pro' } });
  });

  it('getOrCreate is a PUT on the uid route; paths are encoded', async () => {
    handler = (_req, res) => json(res, 200, { id: 'app_1', name: 'Acme', uid: 'cus/1' });
    await client().applications.getOrCreate('cus/1', { name: 'Acme' });
    expect(seen[0]?.method).toBe('PUT');
    expect(seen[0]?.url.pathname).toBe('/v1/applications/uid/cus%2F1');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ name: 'Acme' });
    expect(seen[0]?.headers['idempotency-key']).toBeUndefined();
  });

  it('returns undefined for 204 and sends no body on DELETE', async () => {
    handler = (_req, res) => res.writeHead(204).end();
    await expect(client().applications.delete('app_1')).resolves.toBeUndefined();
    expect(seen[0]?.method).toBe('DELETE');
    expect(seen[0]?.body).toBe('');
  });

  it('puts filters in the query string and leaves undefined ones out', async () => {
    handler = (_req, res) => json(res, 200, { data: [], hasMore: false, nextCursor: null });
    await client().messages.listOutbound('app_1', { status: 'failed', endpointId: 'ep_1', eventType: undefined, limit: 10 });
    await client().messages.list('app_1', { since: new Date('2024-01-01T00:00:00Z'), eventType: 'order.created' });
    expect(seen[0]?.url.pathname).toBe('/v1/applications/app_1/outbound');
    expect(Object.fromEntries(seen[0]?.url.searchParams ?? [])).toEqual({ status: 'failed', endpointId: 'ep_1', limit: '10' });
    expect(Object.fromEntries(seen[1]?.url.searchParams ?? [])).toEqual({
      since: '2024-01-01T00:00:00.000Z',
      eventType: 'order.created',
    });
  });

  it('maps error answers to classes with status, code, requestId and details', async () => {
    const cases = [
      [400, ValidationError],
      [401, AuthenticationError],
      [403, ForbiddenError],
      [404, NotFoundError],
      [409, ConflictError],
      [413, ValidationError],
      [415, ValidationError],
      [422, ValidationError],
      [418, HookbaseApiError],
    ] as const;
    for (const [status, type] of cases) {
      handler = (_req, res) => apiError(res, status, 'some_code');
      const error: unknown = await client().applications.get('app_1').catch((e: unknown) => e);
      expect(error, String(status)).toBeInstanceOf(type);
      expect(error).toBeInstanceOf(HookbaseError);
      expect(error).toMatchObject({
        status,
        code: 'some_code',
        message: 'some_code happened',
        requestId: 'req_1',
        details: [{ path: '/x' }],
      });
    }
  });

  it('takes requestId from the body when the header is missing, and survives a non-JSON error', async () => {
    handler = (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'no such app' }, requestId: 'req_body' }));
    };
    await expect(client().applications.get('app_1')).rejects.toMatchObject({ requestId: 'req_body', details: [] });
    handler = (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
    await expect(client({ retries: 0 }).applications.get('app_1')).rejects.toMatchObject({ status: 502, code: 'http_502' });
  });

  it('retries 503 then succeeds, with the same Idempotency-Key on every attempt', async () => {
    handler = (_req, res, index) =>
      index < 2 ? apiError(res, 503, 'unavailable') : json(res, 202, { id: 'msg_1', outbound: [] });
    const message = await client().messages.send('app_1', {
      eventType: 'order.created',
      payload: { orderId: 'ord_1' },
      eventId: 'order_created_ord_1',
    });
    expect(message.id).toBe('msg_1');
    expect(seen).toHaveLength(3);
    const keys = new Set(seen.map((req) => req.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^hb_/);
    expect(seen.every((req) => req.body === seen[0]?.body)).toBe(true);
  });

  it('gives a new Idempotency-Key to each call', async () => {
    await client().messages.resend('app_1', 'msg_1');
    await client().messages.resend('app_1', 'msg_1');
    expect(seen[0]?.headers['idempotency-key']).not.toBe(seen[1]?.headers['idempotency-key']);
    expect(seen[0]?.body).toBe('{}');
  });

  it('does not retry a 4xx other than 429', async () => {
    handler = (_req, res) => apiError(res, 409, 'conflict');
    await expect(client().applications.create({ name: 'x', uid: 'taken' })).rejects.toBeInstanceOf(ConflictError);
    expect(seen).toHaveLength(1);
  });

  it('honours Retry-After on a 429', async () => {
    handler = (_req, res, index) =>
      index === 0 ? apiError(res, 429, 'rate_limited', { 'retry-after': '1' }) : json(res, 200, { id: 'app_1' });
    const started = Date.now();
    await client().applications.get('app_1');
    expect(seen).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('throws RateLimitError with retryAfter once the retries are spent', async () => {
    handler = (_req, res) => apiError(res, 429, 'rate_limited', { 'retry-after': '0' });
    const error: unknown = await client({ retries: 2 }).applications.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 0, requestId: 'req_1' });
    expect(seen).toHaveLength(3);
  });

  it('does not sit out a Retry-After longer than a minute', async () => {
    handler = (_req, res) => apiError(res, 429, 'rate_limited', { 'retry-after': '3600' });
    await expect(client().portalTokens.create('app_1', { expiresIn: 3600 })).rejects.toMatchObject({ retryAfter: 3600 });
    expect(seen).toHaveLength(1);
  });

  it('turns a slow answer into TimeoutError, retrying it first', async () => {
    handler = (_req, res) => setTimeout(() => json(res, 200, {}), 500);
    const started = Date.now();
    await expect(client({ timeout: 100, retries: 1 }).applications.get('app_1')).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(900);
    expect(seen).toHaveLength(2);
  });

  it('turns a refused connection into NetworkError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const hookbase = new Hookbase({ apiKey: 'k'.repeat(24), baseUrl: `http://127.0.0.1:${port}`, retries: 1 });
    await expect(hookbase.applications.get('app_1')).rejects.toBeInstanceOf(NetworkError);
  });

  describe('listAll', () => {
    const pages: Record<string, { data: Partial<OutboundMessage>[]; hasMore: boolean; nextCursor: string | null }> = {
      '': { data: [{ id: 'out_1' }, { id: 'out_2' }], hasMore: true, nextCursor: 'c2' },
      c2: { data: [{ id: 'out_3' }, { id: 'out_4' }], hasMore: true, nextCursor: 'c3' },
      c3: { data: [{ id: 'out_5' }], hasMore: false, nextCursor: null },
    };
    beforeEach(() => {
      handler = (req, res) => json(res, 200, pages[req.url.searchParams.get('cursor') ?? '']);
    });

    it('resolves to {data} holding every page when awaited', async () => {
      const { data: failures } = await client().messages.listAllOutbound('app_1', { status: 'exhausted' });
      expect(failures.map((item) => item.id)).toEqual(['out_1', 'out_2', 'out_3', 'out_4', 'out_5']);
      expect(seen.map((req) => req.url.searchParams.get('cursor'))).toEqual([null, 'c2', 'c3']);
      expect(seen.every((req) => req.url.searchParams.get('status') === 'exhausted')).toBe(true);
      expect(seen[0]?.url.searchParams.get('limit')).toBe('100');
    });

    it('yields item by item with for await, fetching pages lazily', async () => {
      const ids: string[] = [];
      for await (const item of client().messages.listAllOutbound('app_1', { status: 'exhausted' })) {
        ids.push(item.id);
        if (item.id === 'out_3') break;
      }
      expect(ids).toEqual(['out_1', 'out_2', 'out_3']);
      expect(seen).toHaveLength(2);
    });

    it('works for applications and messages too', async () => {
      const apps = await client().applications.listAll();
      expect(apps.data).toHaveLength(5);
      expect(seen[0]?.url.pathname).toBe('/v1/applications');
      const ids: string[] = [];
      for await (const message of client().messages.listAll('app_1', { eventType: 'order.created' })) ids.push(message.id);
      expect(ids).toHaveLength(5);
    });

    it('rejects when a page fails', async () => {
      handler = (req, res) =>
        req.url.searchParams.get('cursor') === 'c2' ? apiError(res, 403, 'forbidden') : json(res, 200, pages['']);
      await expect(client().messages.listAllOutbound('app_1', {})).rejects.toBeInstanceOf(ForbiddenError);
    });
  });

  it('needs an apiKey and names the option', () => {
    const saved = process.env.HOOKBASE_API_KEY;
    delete process.env.HOOKBASE_API_KEY;
    try {
      expect(() => new Hookbase({ apiKey: process.env.HOOKBASE_API_KEY })).toThrow(HookbaseError);
      expect(() => new Hookbase({ apiKey: undefined })).toThrow(/apiKey/);
    } finally {
      if (saved !== undefined) process.env.HOOKBASE_API_KEY = saved;
    }
  });

  it('defaults baseUrl to HOOKBASE_URL', async () => {
    const saved = process.env.HOOKBASE_URL;
    process.env.HOOKBASE_URL = baseUrl;
    try {
      handler = (_req, res) => json(res, 200, { id: 'ptk_1', token: 't', expiresAt: 'x', url: 'u' });
      const token = await new Hookbase({ apiKey: 'k'.repeat(24) }).portalTokens.create('app_1', { expiresIn: 3600 });
      expect(token.token).toBe('t');
      expect(seen[0]?.url.pathname).toBe('/v1/applications/app_1/portal-tokens');
    } finally {
      if (saved === undefined) delete process.env.HOOKBASE_URL;
      else process.env.HOOKBASE_URL = saved;
    }
  });

  it('refuses an empty path parameter instead of calling a wrong URL', async () => {
    await expect(client().endpoints.get('app_1', '')).rejects.toThrow(/endpointId is required/);
    expect(seen).toHaveLength(0);
  });
});
