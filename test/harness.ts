import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hookbase } from '@hookbase/sdk';
import { loadConfig } from '../cli/config';
import type { Role } from '../cli/config';
import { startHookbase } from '../cli/hookbase';
import type { RunningHookbase } from '../cli/hookbase';
import type { DispatcherConfig } from '../dispatcher/config';
import { recordCredential, recordIssuedIn, testLogger } from './logCollector';

export type TestHookbase = RunningHookbase & {
  apiKey: string;
  dataDir: string;
  /** This Hookbase's JSON log lines (test/logCollector.ts). */
  logFile: string;
  sdk: Hookbase;
  /** Raw HTTP for asserting status codes, headers and error bodies. */
  request: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; headers: Headers; body: unknown; text: string }>;
  /** Closes the server and deletes its data dir (unless keepData). */
  stop: (options?: { keepData?: boolean }) => Promise<void>;
};

export type TestHookbaseOptions = {
  roles?: Role[];
  env?: Record<string, string>;
  dispatcher?: Partial<DispatcherConfig>;
  dataDir?: string;
  apiKey?: string;
  /** Name → address for the SSRF guard (there is no DNS here); unknown names fail to resolve. */
  dns?: Record<string, string>;
  /** The API's clock (see StartOptions.now). */
  now?: () => Date;
};

/** fetch, noting every credential Hookbase issues in a response (test/logCollector.ts). */
const recordingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  recordIssuedIn(await res.clone().text());
  return res;
};

/** A real Hookbase on 127.0.0.1 (random port) over the embedded store in a fresh temp dir. */
export const startTestHookbase = async (options: TestHookbaseOptions = {}): Promise<TestHookbase> => {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hookbase-test-'));
  const apiKey = options.apiKey ?? `test_key_${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    HOOKBASE_PORT: '0',
    HOOKBASE_DATA_DIR: dataDir,
    HOOKBASE_API_KEY: apiKey,
    HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'true',
    HOOKBASE_ROLES: (options.roles ?? ['api', 'projections', 'dispatcher']).join(','),
    // Audit anchors only every 1,000 events or hourly here: tests that assert "nothing was appended" across a request
    // would otherwise meet a timed anchor now and then. The anchors' own tests set their schedule (test/auditAnchors.test.ts).
    HOOKBASE_AUDIT_ANCHOR_INTERVAL: '3600',
    ...options.env,
  });
  const dns = options.dns;
  const resolveHost = dns
    ? async (hostname: string): Promise<string[]> => {
        const address = dns[hostname];
        if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        return [address];
      }
    : undefined;
  recordCredential(apiKey);
  const { logger, file: logFile } = testLogger();
  const hb = await startHookbase(config, { logger, resolveHost, now: options.now, dispatcher: { duePollMs: 50, ...options.dispatcher } });
  const request: TestHookbase['request'] = async (method, path, body, headers = {}) => {
    const res = await fetch(`${hb.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    recordIssuedIn(text);
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return {
    ...hb,
    apiKey,
    dataDir,
    logFile,
    // What the SDK is given back (signing secrets, portal tokens) is noted for the log scan too.
    sdk: new Hookbase({ apiKey, baseUrl: hb.url, retries: 0, fetch: recordingFetch }),
    request,
    stop: async ({ keepData = false } = {}) => {
      await hb.close();
      if (!keepData && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

export type ReceivedWebhook = { method: string; url: string; headers: IncomingHttpHeaders; body: string; receivedAt: number };

export type Receiver = {
  url: string;
  received: ReceivedWebhook[];
  /** Resolves once `count` requests arrived (or rejects after timeoutMs). */
  waitFor: (count: number, timeoutMs?: number) => Promise<ReceivedWebhook[]>;
  close: () => Promise<void>;
};

/** A real HTTP receiver on 127.0.0.1; `respond` decides each answer (default 200 OK). */
export const startReceiver = async (
  respond: (req: ReceivedWebhook, res: ServerResponse) => void = (_req, res) => res.end('ok'),
): Promise<Receiver> => {
  const received: ReceivedWebhook[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook: ReceivedWebhook = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() };
      received.push(hook);
      for (const w of waiters.filter((w) => received.length >= w.count)) w.resolve();
      respond(hook, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        if (received.length >= count) return resolve(received);
        const timer = setTimeout(() => reject(new Error(`receiver got ${received.length} of ${count} requests in ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(received)) });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

/** Polls until `check` returns a value that is not undefined/false, or fails after timeoutMs. */
export const eventually = async <T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000, intervalMs = 50): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
};
