import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';

/**
 * Receivers nobody controls, built on raw sockets so they can break HTTP in ways an HTTP server library would not.
 * Each must end as a failed attempt with a clear error, within the endpoint's timeout, holding no more than a few
 * KiB of what it sent, while a healthy endpoint of the same dispatcher keeps getting its webhooks at once.
 */
type RawReceiver = Readonly<{
  url: string;
  /** Bytes written to the dispatcher before the connection closed, per connection. */
  written: number[];
  /** When each connection closed (ms since epoch). */
  closedAt: number[];
  close: () => Promise<void>;
}>;

const startRaw = async (onRequest: (socket: Socket, state: { written: number }) => void): Promise<RawReceiver> => {
  const written: number[] = [];
  const closedAt: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const state = { written: 0 };
    let started = false;
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      if (started) return;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return; // the request's headers; the body that follows is not awaited
      started = true;
      onRequest(socket, state);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      written.push(state.written);
      closedAt.push(Date.now());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    written,
    closedAt,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
};

/** Writes `make()` again and again while the peer reads, up to `cap` bytes (a safety net for the test itself). */
const pump = (socket: Socket, state: { written: number }, make: () => string, cap = 256 * 1024 * 1024): void => {
  const write = (): void => {
    while (!socket.destroyed && state.written < cap) {
      const piece = make();
      state.written += Buffer.byteLength(piece);
      if (!socket.write(piece)) return void socket.once('drain', write);
    }
  };
  write();
};

const drip = (socket: Socket, state: { written: number }, text: string, everyMs: number): void => {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++]!);
    state.written++;
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
};

const TIMEOUT_S = 2;
/** Where the redirecting receiver points: a private address that must receive nothing. */
let redirectTarget = '';

const hostile = {
  slowHeaders: (s: Socket, st: { written: number }) => drip(s, st, 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok', 300),
  slowBody: (s: Socket, st: { written: number }) => {
    s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n');
    drip(s, st, 'x'.repeat(100), 100);
  },
  endlessBody: (s: Socket, st: { written: number }) => {
    s.write('HTTP/1.1 500 Internal Server Error\r\ntransfer-encoding: chunked\r\n\r\n');
    pump(s, st, () => `4000\r\n${'y'.repeat(0x4000)}\r\n`);
  },
  endlessOkBody: (s: Socket, st: { written: number }) => {
    s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
    pump(s, st, () => `4000\r\n${'z'.repeat(0x4000)}\r\n`);
  },
  endlessHeaders: (s: Socket, st: { written: number }) => {
    s.write('HTTP/1.1 200 OK\r\n');
    let n = 0;
    pump(s, st, () => `x-hostile-${n++}: ${'h'.repeat(100)}\r\n`);
  },
  reset: (s: Socket) => s.resetAndDestroy(),
  invalidHttp: (s: Socket) => s.end('THIS IS NOT HTTP\r\n\r\n'),
  closeEarly: (s: Socket) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nshort'),
  redirect: (s: Socket) => s.end(`HTTP/1.1 307 Temporary Redirect\r\nlocation: ${redirectTarget}\r\ncontent-length: 0\r\n\r\n`),
};

describe('hostile receivers', () => {
  let hb: TestHookbase;
  let healthy: Receiver;
  let privateTarget: Receiver;
  let appId = '';
  const raws = new Map<keyof typeof hostile, RawReceiver>();
  const endpointOf = new Map<string, string>();

  beforeAll(async () => {
    hb = await startTestHookbase();
    healthy = await startReceiver();
    privateTarget = await startReceiver();
    redirectTarget = privateTarget.url;
    appId = (await hb.sdk.applications.create({ name: 'Hostile' })).id;
    await hb.sdk.eventTypes.create({ name: 'hostile.probe' });
    for (const name of Object.keys(hostile) as (keyof typeof hostile)[]) {
      const raw = await startRaw(hostile[name]);
      raws.set(name, raw);
      const ep = await hb.sdk.endpoints.create(appId, { url: raw.url, timeoutSeconds: TIMEOUT_S, retryDelays: [], eventTypes: ['hostile.probe'] });
      endpointOf.set(name, ep.id);
    }
    await hb.sdk.eventTypes.create({ name: 'healthy.probe' });
    await hb.sdk.endpoints.create(appId, { url: healthy.url, eventTypes: ['healthy.probe'] });
  });
  afterAll(async () => {
    await hb.stop();
    await healthy.close();
    await privateTarget.close();
    for (const r of raws.values()) await r.close();
  });

  it('ends every hostile delivery as a failed attempt with a clear error, bounded in time and memory, and never slows a healthy endpoint', async () => {
    const started = Date.now();
    const message = await hb.sdk.messages.send(appId, { eventType: 'hostile.probe', payload: { probe: true } });
    // Meanwhile a healthy endpoint gets a message every 100 ms; each must arrive promptly.
    const latencies: number[] = [];
    for (let i = 0; i < 15; i++) {
      const sentAt = Date.now();
      await hb.sdk.messages.send(appId, { eventType: 'healthy.probe', payload: { i } });
      await healthy.waitFor(i + 1, 5_000);
      latencies.push(healthy.received[i]!.receivedAt - sentAt);
      await new Promise((r) => setTimeout(r, 100));
    }
    const outcomes = await eventually(async () => {
      const { data } = await hb.sdk.messages.listOutbound(appId, { messageId: message.id });
      return data.length === raws.size && data.every((o) => o.status !== 'pending') ? data : undefined;
    }, 20_000);
    const byName = new Map<string, (typeof outcomes)[number]>();
    for (const [name, id] of endpointOf) byName.set(name, outcomes.find((o) => o.endpointId === id)!);
    const attemptOf = async (name: string) => (await hb.sdk.messages.listAttempts(appId, byName.get(name)!.id)).data[0]!;

    // Time: nothing waits past the endpoint's timeout (plus scheduling slack on a loaded machine).
    expect(Date.now() - started).toBeLessThan(20_000);
    for (const name of ['slowHeaders', 'slowBody', 'endlessBody', 'endlessHeaders', 'reset', 'invalidHttp', 'closeEarly', 'redirect']) {
      const out = byName.get(name)!;
      expect(out.status, name).toBe('exhausted');
      const attempt = await attemptOf(name);
      expect(attempt.latencyMs, name).toBeLessThanOrEqual(TIMEOUT_S * 1000 + 1500);
      expect((attempt.responseBody ?? '').length, name).toBeLessThanOrEqual(4096);
    }
    expect(byName.get('slowHeaders')!.lastError).toBe(`Timed out after ${TIMEOUT_S} s`);
    expect(byName.get('slowBody')!.lastError).toBe(`Timed out after ${TIMEOUT_S} s`);
    expect(byName.get('endlessBody')!.lastError).toBe('HTTP 500');
    expect((await attemptOf('endlessBody')).responseBody).toBe('y'.repeat(4096));
    expect(byName.get('endlessHeaders')!.lastError).toMatch(/^Response headers too large/);
    expect(byName.get('reset')!.lastError).toMatch(/^Connection reset/);
    expect(byName.get('invalidHttp')!.lastError).toMatch(/^Invalid HTTP response/);
    expect(byName.get('closeEarly')!.lastError).toMatch(/^Connection closed before the response ended/);
    // Redirects are never followed, wherever they point.
    expect(byName.get('redirect')!.lastError).toBe(`HTTP 307: redirects are not followed (Location: ${redirectTarget})`);
    expect(privateTarget.received).toHaveLength(0);
    // A 2xx with an endless body is a success: the receiver said yes; only the first 4 KiB are read.
    expect(byName.get('endlessOkBody')!.status).toBe('success');
    expect((await attemptOf('endlessOkBody')).responseBody).toBe('z'.repeat(4096));

    // Memory: the endless senders were cut off (connection closed) long before they could fill anything.
    for (const name of ['endlessBody', 'endlessOkBody', 'endlessHeaders'] as const) {
      const raw = raws.get(name)!;
      await eventually(async () => raw.closedAt.length > 0, 5_000);
      expect(raw.written[0], name).toBeLessThan(32 * 1024 * 1024);
    }

    // Never slower for the healthy endpoint: every webhook arrived within a second of its send.
    expect(Math.max(...latencies)).toBeLessThan(1_000);
  }, 60_000);
});

describe('a hostile receiver behind the SSRF guard', () => {
  let hb: TestHookbase;
  let appId = '';
  const dns: Record<string, string> = { 'rebinds.test': '93.184.216.34' };

  beforeAll(async () => {
    hb = await startTestHookbase({ env: { HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'false' }, dns });
    appId = (await hb.sdk.applications.create({ name: 'Rebinding' })).id;
    await hb.sdk.eventTypes.create({ name: 'rebind.probe' });
  });
  afterAll(async () => {
    await hb.stop();
  });

  it('never connects to a name that resolves to a private address after passing the check', async () => {
    const receiver = await startRaw((s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
    try {
      const port = new URL(receiver.url).port;
      const endpoint = await hb.sdk.endpoints.create(appId, { url: `http://rebinds.test:${port}/hook`, retryDelays: [] });
      dns['rebinds.test'] = '127.0.0.1'; // passed the check at creation with a public address; now it points inside
      const message = await hb.sdk.messages.send(appId, { eventType: 'rebind.probe', payload: { n: 1 } });
      const out = await eventually(async () => {
        const { data } = await hb.sdk.messages.listOutbound(appId, { messageId: message.id, endpointId: endpoint.id });
        return data[0]?.status === 'exhausted' ? data[0] : undefined;
      });
      expect(out.lastError).toMatch(/^Blocked: rebinds\.test resolves to 127\.0\.0\.1, a loopback address/);
      expect(out.lastResponseStatus).toBeNull();
      expect(receiver.closedAt).toHaveLength(0); // no connection was ever made
    } finally {
      await receiver.close();
    }
  });
});
