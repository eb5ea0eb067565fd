// Test support for the dispatcher suites: real embedded stores on temp files, a real ProjectionRunner, real HTTP
// receivers on 127.0.0.1, and helpers that create endpoints and send messages through the domain deciders.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { EndpointInput } from '../domain/endpoint/decide';
import { endpointDecider } from '../domain/endpoint/decide';
import type { HookbaseEvent } from '../domain/events';
import { upcast } from '../domain/events';
import { newId } from '../domain/ids';
import type { JsonValue } from '../domain/json';
import { messageDecider } from '../domain/message/decide';
import { generateMasterKey, generateSigningSecret, parseMasterKey, sealSecret } from '../domain/secretBox';
import { streams } from '../domain/streams';
import { allProjections, ProjectionRunner } from '../projections/index';
import { collections } from '../projections/readModels';
import type { OutboundDoc } from '../projections/readModels';
import type { EventStore } from '../store/eventStore';
import { StreamNotFoundError } from '../store/eventStore';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { handleCommand } from '../store/commandHandler';
import type { ReadStore } from '../store/readStore';
import type { DispatcherConfig } from './config';
import { defaultDispatcherConfig } from './config';
import { Dispatcher } from './dispatcher';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export const waitFor = async <T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
};

/** Fast settings for tests: private networks allowed (receivers are on 127.0.0.1), short schedule and polls. */
export const testConfig = (overrides: Partial<DispatcherConfig> = {}): DispatcherConfig => ({
  ...defaultDispatcherConfig(),
  allowPrivateNetworks: true,
  userAgentVersion: '9.9.9-test',
  retryScheduleMs: [50, 50, 50],
  duePollMs: 25,
  leaseMs: 2_000,
  stopTimeoutMs: 1_000,
  circuitFailureThreshold: 1_000,
  ...overrides,
});

export type Harness = {
  events: SqliteEventStore;
  /** The event store's file: another connection to it is another process, as far as the store can tell. */
  eventsPath: string;
  reads: ReadStore;
  /** The operational store (delivery leases), a file of its own as in a deployment. */
  ops: ReadStore;
  masterKey: Buffer;
  runner: ProjectionRunner;
  /** Starts a dispatcher on the harness stores (stopped by `close`). */
  dispatcher(overrides?: Partial<DispatcherConfig>): Promise<Dispatcher>;
  /** Closes and reopens the event store on the same file, as a crashed process would find it. */
  reopenEvents(): Promise<SqliteEventStore>;
  close(): Promise<void>;
};

export const openHarness = async (): Promise<Harness> => {
  const base = join(tmpdir(), `hookbase-dispatcher-${randomBytes(6).toString('hex')}`);
  const masterKey = parseMasterKey(generateMasterKey());
  const reads = SqliteReadStore.open(`${base}-reads.sqlite`);
  const ops = SqliteReadStore.open(`${base}-ops.sqlite`);
  const dispatchers: Dispatcher[] = [];
  const h: Harness = {
    events: SqliteEventStore.open(`${base}-events.sqlite`),
    eventsPath: `${base}-events.sqlite`,
    reads,
    ops,
    masterKey,
    runner: null as unknown as ProjectionRunner,
    async dispatcher(overrides = {}) {
      const d = new Dispatcher({ events: h.events, reads, ops, masterKey, config: testConfig(overrides) });
      dispatchers.push(d);
      await d.start();
      return d;
    },
    async reopenEvents() {
      await h.runner.stop();
      await h.events.close();
      h.events = SqliteEventStore.open(`${base}-events.sqlite`);
      h.runner = new ProjectionRunner(h.events, reads, allProjections);
      await h.runner.start();
      return h.events;
    },
    async close() {
      await Promise.all(dispatchers.map((d) => d.stop()));
      await h.runner.stop();
      await h.events.close();
      await reads.close();
      await ops.close();
      for (const file of [`${base}-events.sqlite`, `${base}-reads.sqlite`, `${base}-ops.sqlite`]) for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    },
  };
  h.runner = new ProjectionRunner(h.events, reads, allProjections);
  await h.runner.start();
  return h;
};

export type TestEndpoint = { id: string; applicationId: string; secret: string };

export const createEndpoint = async (h: Harness, input: EndpointInput, applicationId = 'app_test'): Promise<TestEndpoint> => {
  const id = newId('ep');
  const secret = generateSigningSecret();
  await handleCommand(h.events, streams.endpoint(id), endpointDecider, {
    type: 'CreateEndpoint',
    data: { ...input, endpointId: id, applicationId, secret: sealSecret(h.masterKey, secret) },
    metadata: { now: new Date().toISOString() },
  });
  return { id, applicationId, secret };
};

export type SentMessage = { messageId: string; outboundIds: string[]; timestamp: string };

/** Sends one message to the given endpoints, as the API would after fan-out. */
export const sendMessage = async (
  h: Harness,
  endpoints: readonly TestEndpoint[],
  options: { eventType?: string; payload?: JsonValue; maxAttempts?: number } = {},
): Promise<SentMessage> => {
  const messageId = newId('msg');
  const outbound = endpoints.map((ep) => ({ outboundId: newId('out'), endpointId: ep.id, endpointUrl: 'recorded-at-send', maxAttempts: options.maxAttempts ?? 4 }));
  const { events } = await handleCommand(h.events, streams.message(messageId), messageDecider, {
    type: 'SendMessage',
    data: {
      messageId,
      applicationId: endpoints[0]?.applicationId ?? 'app_test',
      eventType: options.eventType ?? 'order.created',
      payload: options.payload ?? { orderId: 42 },
      eventId: null,
      outbound,
    },
    metadata: { now: new Date().toISOString() },
  });
  const sent = events[0];
  return { messageId, outboundIds: outbound.map((o) => o.outboundId), timestamp: sent?.type === 'MessageSent' ? sent.data.timestamp : '' };
};

/** The events of a stream, upcast; [] when it does not exist. */
export const streamEvents = async (events: EventStore, streamId: string): Promise<HookbaseEvent[]> => {
  const out: HookbaseEvent[] = [];
  try {
    for await (const r of events.readStream(streamId)) {
      const e = upcast(r.type, r.data, r.metadata);
      if (e) out.push(e);
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return out;
};

export type ReceivedRequest = { method: string; url: string; headers: IncomingHttpHeaders; body: string; at: number };

/** `hang` never answers (until the receiver closes). */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export type Receiver = {
  url: string;
  requests: ReceivedRequest[];
  /** Replaces how the receiver answers. */
  reply: (fn: (req: ReceivedRequest, index: number) => Reply | Promise<Reply>) => void;
  close: () => Promise<void>;
};

export const startReceiver = async (answer: (req: ReceivedRequest, index: number) => Reply | Promise<Reply> = () => ({ status: 200 })): Promise<Receiver> => {
  let respond = answer;
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const index = requests.push(received) - 1;
      void Promise.resolve(respond(received, index)).then((reply) => {
        if (reply === 'hang') return;
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body ?? '');
      });
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    requests,
    reply: (fn) => {
      respond = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
};

/**
 * Gives each test of the file a fresh harness (handed to `opened`) and closes it after the test, then every
 * receiver started through the returned function.
 */
export const useHarness = (opened: (h: Harness) => void): ((...args: Parameters<typeof startReceiver>) => Promise<Receiver>) => {
  let h: Harness | undefined;
  const receivers: Receiver[] = [];
  beforeEach(async () => {
    h = await openHarness();
    opened(h);
  });
  afterEach(async () => {
    await h?.close();
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  return async (...args) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
};

/** The delivery's read model, once it has reached `status`. */
export const settled = (h: Harness, id: string, status: OutboundDoc['status'], timeoutMs?: number): Promise<OutboundDoc> =>
  waitFor(
    `${id} ${status}`,
    async () => {
      const doc = await h.reads.collection<OutboundDoc>(collections.outbound).get(id);
      return doc?.status === status ? doc : undefined;
    },
    timeoutMs,
  );
