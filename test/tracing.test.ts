import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hookbase } from '@hookbase/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { streams } from '../domain/streams';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { usesTsx } from './build/command';
import { freePort, startChildHookbase } from './child';
import type { ChildHookbase } from './child';
import { eventually, startReceiver } from './harness';
import type { Receiver } from './harness';
import { SPAN_KIND, startOtlpReceiver } from './otlpReceiver';
import type { ReceivedSpan } from './otlpReceiver';

/**
 * Issue 18 item 6: OpenTelemetry traces for operators, on the real `npm start` process (API on the main thread, the
 * projections and the dispatcher on worker threads), exported to a test OTLP receiver over HTTP.
 */

const PROBE_PRELOAD = fileURLToPath(new URL('./moduleProbe/preload.mjs', import.meta.url));
/**
 * These children run the run's build of the server (test/build/: build/bundle.mjs, what `npm start` runs), or the
 * sources through tsx with HOOKBASE_TEST_TSX=1; the module probe sees either on every thread.
 */
const BUNDLED = !usesTsx();
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

const stopGracefully = async (child: ChildHookbase): Promise<void> => {
  if (child.process.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGTERM');
  await exited;
};

/** Modules each thread of a process resolved (test/moduleProbe), `<thread> <url>` per line. */
const probedModules = (file: string): { thread: string; url: string }[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ thread: line.slice(0, line.indexOf(' ')), url: line.slice(line.indexOf(' ') + 1) }));

type Setup = { dir: string; apiKey: string; env: Record<string, string>; probe: string };
const setup = (name: string): Setup => {
  const dir = mkdtempSync(join(tmpdir(), `hookbase-${name}-`));
  const apiKey = `trace_key_${randomBytes(12).toString('hex')}`;
  const probe = join(dir, 'modules.txt');
  return {
    dir,
    apiKey,
    probe,
    env: {
      HOOKBASE_DATA_DIR: join(dir, 'data'),
      HOOKBASE_API_KEY: apiKey,
      HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'true',
      HOOKBASE_MODULE_PROBE: probe,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${PROBE_PRELOAD}`.trim(),
    },
  };
};

/** An application, an event type and an endpoint to `receiver`; returns the application's id. */
const prepare = async (sdk: Hookbase, receiver: Receiver): Promise<string> => {
  const app = await sdk.applications.create({ name: 'Traced' });
  await sdk.eventTypes.create({ name: 'invoice.paid' });
  await sdk.endpoints.create(app.id, { url: receiver.url });
  return app.id;
};

const send = async (url: string, apiKey: string, appId: string, payload: unknown, headers: Record<string, string> = {}): Promise<string> => {
  const res = await fetch(`${url}/v1/applications/${appId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ eventType: 'invoice.paid', payload }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
};

/**
 * The spans of one send's trace, checked as one tree: the API's server span (a child of the caller's span when it
 * sent `traceparent`), the append (producer) under it, and under the append the fan-out (projection, consumer) and
 * the attempt (dispatcher, client), whose context the receiver got in `traceparent`.
 */
const checkSendTrace = (spans: readonly ReceivedSpan[], traceId: string, webhookTraceparent: string, callerSpanId: string, messageId: string, threads: boolean, resend = false) => {
  const route = resend ? '/v1/applications/{appId}/messages/{messageId}/resend' : '/v1/applications/{appId}/messages';
  const trace = spans.filter((s) => s.traceId === traceId);
  const one = (predicate: (s: ReceivedSpan) => boolean, what: string): ReceivedSpan => {
    const found = trace.filter(predicate);
    expect(found, `${what} in trace ${traceId}: ${JSON.stringify(trace.map((s) => s.name))}`).toHaveLength(1);
    return found[0] as ReceivedSpan;
  };
  const server = one((s) => s.kind === SPAN_KIND.server, 'one server span');
  expect(server.name).toBe(`POST ${route}`);
  expect(server.parentSpanId).toBe(callerSpanId);
  expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': route, 'http.response.status_code': 202 });

  const append = one((s) => s.kind === SPAN_KIND.producer, 'one append span');
  expect(append.name).toBe('append message-{messageId}');
  expect(append.parentSpanId).toBe(server.spanId);
  expect(append.attributes).toMatchObject({
    'messaging.operation.type': 'send',
    'messaging.destination.name': `message-${messageId}`,
    'hookbase.event.type': resend ? 'MessageResent' : 'MessageSent',
    'hookbase.message.id': messageId,
    'hookbase.deliveries': 1,
  });

  const fanOut = one((s) => s.kind === SPAN_KIND.consumer, 'one fan-out span');
  expect(fanOut.name).toBe('fan_out message-{messageId}');
  expect(fanOut.parentSpanId).toBe(append.spanId);
  expect(fanOut.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'hookbase.projection': 'outbound', 'hookbase.message.id': messageId });

  const attempt = one((s) => s.kind === SPAN_KIND.client, 'one attempt span');
  expect(attempt.name).toBe('POST');
  expect(attempt.parentSpanId).toBe(append.spanId);
  expect(attempt.attributes).toMatchObject({ 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'http.response.status_code': 200, 'hookbase.message.id': messageId, 'hookbase.attempt.number': 1 });
  expect(attempt.attributes['url.full']).toBeUndefined();

  // The receiver's parent is the attempt.
  const [, webhookTraceId, webhookParent] = TRACEPARENT.exec(webhookTraceparent) ?? [];
  expect(webhookTraceId).toBe(traceId);
  expect(webhookParent).toBe(attempt.spanId);
  expect(trace).toHaveLength(4);
  if (threads) {
    // Joined across threads: the API on the main thread, the fan-out and the attempt on their worker threads.
    expect([server.attributes['thread.name'], append.attributes['thread.name'], fanOut.attributes['thread.name'], attempt.attributes['thread.name']]).toEqual(['main', 'main', 'projections', 'dispatcher']);
  }
  return { server, append, fanOut, attempt };
};

describe('OpenTelemetry traces', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('exports one trace per send, API → append → fan-out and attempt, continued from the caller and on to the receiver', async () => {
    const s = setup('traces');
    cleanups.push(() => rmSync(s.dir, { recursive: true, force: true }));
    const otlp = await startOtlpReceiver();
    cleanups.push(() => otlp.close());
    // A message marked failOnce is refused once (500), then accepted: its retry continues its trace.
    const refused = new Set<string>();
    const receiver = await startReceiver((hook, res) => {
      const id = String(hook.headers['webhook-id']);
      if (hook.body.includes('"failOnce":true') && !refused.has(id)) {
        refused.add(id);
        res.statusCode = 500;
      }
      res.end('ok');
    });
    cleanups.push(() => receiver.close());
    // Batched for ten minutes: every span below reaches the receiver only because stopping flushes each thread's batch.
    const child = await startChildHookbase({ ...s.env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SERVICE_NAME: 'hookbase-under-test', OTEL_BSP_SCHEDULE_DELAY: '600000', HOOKBASE_RETRY_SCHEDULE: '200ms' }, await freePort());
    cleanups.push(() => child.kill());
    const sdk = new Hookbase({ apiKey: s.apiKey, baseUrl: child.url, retries: 0 });
    const appId = await prepare(sdk, receiver);
    const secretMarker = `payload-${randomBytes(8).toString('hex')}`;

    // 1. The caller's trace is continued.
    const callerTraceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const continued = await send(child.url, s.apiKey, appId, { marker: secretMarker, n: 1 }, { traceparent: `00-${callerTraceId}-${callerSpanId}-01` });
    // 2. A send without one starts its own.
    const fresh = await send(child.url, s.apiKey, appId, { marker: secretMarker, n: 2 });
    // 3. A retried delivery: both attempts in the send's trace.
    const retried = await send(child.url, s.apiKey, appId, { failOnce: true });
    await receiver.waitFor(4, 20_000);
    // 4. A resend (of the second message) continues its caller's trace, as a send does.
    const resendTraceId = randomBytes(16).toString('hex');
    const resendSpanId = randomBytes(8).toString('hex');
    const resent = await fetch(`${child.url}/v1/applications/${appId}/messages/${fresh}/resend`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.apiKey}`, traceparent: `00-${resendTraceId}-${resendSpanId}-01` },
    });
    expect(resent.status).toBe(202);
    const hooks = await receiver.waitFor(5, 20_000);
    const traceparentsOf = (messageId: string): string[] => hooks.filter((h) => h.headers['webhook-id'] === messageId).map((h) => String(h.headers.traceparent));
    const traceparentOf = (messageId: string): string => traceparentsOf(messageId)[0] ?? '';
    expect(traceparentOf(continued)).toMatch(TRACEPARENT);
    expect(traceparentOf(fresh)).toMatch(TRACEPARENT);
    const freshTraceId = TRACEPARENT.exec(traceparentOf(fresh))?.[1] ?? '';
    expect(freshTraceId).not.toBe(callerTraceId);

    expect(otlp.spans).toHaveLength(0);
    await stopGracefully(child);

    checkSendTrace(otlp.spans, callerTraceId, traceparentOf(continued), callerSpanId, continued, true);
    // Without a caller's context the server span is the trace's root.
    checkSendTrace(otlp.spans, freshTraceId, traceparentOf(fresh), '', fresh, true);
    checkSendTrace(otlp.spans, resendTraceId, traceparentsOf(fresh)[1] ?? '', resendSpanId, fresh, true, true);
    // The retry: two attempt spans under the append, the second a resend; each request carried its own span's context.
    const retriedTraceId = TRACEPARENT.exec(traceparentOf(retried))?.[1] ?? '';
    const retriedTrace = otlp.spans.filter((sp) => sp.traceId === retriedTraceId);
    const retriedAppend = retriedTrace.find((sp) => sp.kind === SPAN_KIND.producer);
    const attempts = retriedTrace.filter((sp) => sp.kind === SPAN_KIND.client).sort((a, b) => Number(a.attributes['hookbase.attempt.number']) - Number(b.attributes['hookbase.attempt.number']));
    expect(attempts.map((a) => [a.parentSpanId, a.attributes['http.response.status_code'], a.attributes['error.type'], a.attributes['http.request.resend_count']])).toEqual([
      [retriedAppend?.spanId, 500, '500', undefined],
      [retriedAppend?.spanId, 200, undefined, 1],
    ]);
    expect(attempts[0]?.status.code).toBe(2);
    expect(traceparentsOf(retried).map((tp) => TRACEPARENT.exec(tp)?.[2])).toEqual(attempts.map((a) => a.spanId));
    // The outcome events keep their attempt's trace context, as the message event keeps the send's.
    const events = SqliteEventStore.open(join(s.env.HOOKBASE_DATA_DIR ?? '', 'events.db'));
    try {
      const outboundId = String(attempts[0]?.attributes['hookbase.outbound.id']);
      const outcomes: Array<[string, unknown]> = [];
      for await (const e of events.readStream(streams.outbound(outboundId))) outcomes.push([e.type, e.metadata.traceparent]);
      const [first, second] = attempts.map((a) => `00-${retriedTraceId}-${a.spanId}-01`);
      expect(outcomes).toEqual([['AttemptFailed', first], ['RetryScheduled', first], ['AttemptSucceeded', second]]);
      const messageEvents: Array<[string, unknown]> = [];
      for await (const e of events.readStream(streams.message(retried))) messageEvents.push([e.type, e.metadata.traceparent]);
      expect(messageEvents).toEqual([['MessageSent', `00-${retriedTraceId}-${retriedAppend?.spanId}-01`]]);
      expect(retriedAppend?.parentSpanId).toBe(retriedTrace.find((sp) => sp.kind === SPAN_KIND.server)?.spanId);
      expect(retriedTrace.filter((sp) => sp.kind === SPAN_KIND.consumer).map((sp) => sp.parentSpanId)).toEqual([retriedAppend?.spanId]);
    } finally {
      await events.close();
    }
    expect(otlp.contentTypes.every((t) => t.startsWith('application/json'))).toBe(true);
    expect(new Set(otlp.spans.map((sp) => sp.resource['service.name']))).toEqual(new Set(['hookbase-under-test']));
    // Nothing of a payload, no credential in what was exported.
    const exported = otlp.bodies.join('\n');
    expect(exported).not.toContain(secretMarker);
    expect(exported).not.toContain(s.apiKey);
    expect(exported).not.toMatch(/whsec_|hb_sk_/);

    // The probe saw the SDK loaded on each thread that traces (the check of the next test can see it).
    const modules = probedModules(s.probe);
    const otelThreads = new Set(modules.filter((m) => m.url.includes('/@opentelemetry/')).map((m) => m.thread));
    expect(otelThreads.has('main')).toBe(true);
    expect(otelThreads.size).toBeGreaterThanOrEqual(3);
  }, 90_000);

  it('joins the spans of one send across processes: API, projections and dispatcher each in its own', async () => {
    const s = setup('traces-multi');
    cleanups.push(() => rmSync(s.dir, { recursive: true, force: true }));
    const otlp = await startOtlpReceiver();
    cleanups.push(() => otlp.close());
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    // Each role on its process's main thread (fewer threads on a busy machine), exporting every 100 ms.
    const env = { ...s.env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`, OTEL_BSP_SCHEDULE_DELAY: '100', HOOKBASE_BACKGROUND_THREAD: 'inline' };
    const start = async (roles: string): Promise<ChildHookbase> => {
      const child = await startChildHookbase({ ...env, HOOKBASE_ROLES: roles }, await freePort());
      cleanups.push(() => child.kill());
      return child;
    };
    const projections = await start('projections');
    const [api, dispatcher] = await Promise.all([start('api'), start('dispatcher')]);
    const sdk = new Hookbase({ apiKey: s.apiKey, baseUrl: api.url, retries: 0 });
    const appId = await prepare(sdk, receiver);
    const callerTraceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const messageId = await send(api.url, s.apiKey, appId, { n: 1 }, { traceparent: `00-${callerTraceId}-${callerSpanId}-01` });
    const [hook] = await receiver.waitFor(1, 20_000);
    const webhookTraceparent = String(hook?.headers.traceparent);
    // Exported while running (no stop needed): the batch delay is 100 ms.
    await eventually(async () => otlp.spans.filter((sp) => sp.traceId === callerTraceId).length >= 4, 20_000);
    const { server, append, fanOut, attempt } = checkSendTrace(otlp.spans, callerTraceId, webhookTraceparent, callerSpanId, messageId, false);
    const pid = (sp: ReceivedSpan) => sp.resource['process.pid'];
    expect([pid(server), pid(append), pid(fanOut), pid(attempt)]).toEqual([api.process.pid, api.process.pid, projections.process.pid, dispatcher.process.pid]);
    await Promise.all([api, projections, dispatcher].map(stopGracefully));
  }, 120_000);

  it('loads no @opentelemetry module, on any thread, in a process started without OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const s = setup('untraced');
    cleanups.push(() => rmSync(s.dir, { recursive: true, force: true }));
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const env = { ...s.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };
    const child = await startChildHookbase(env, await freePort());
    cleanups.push(() => child.kill());
    const sdk = new Hookbase({ apiKey: s.apiKey, baseUrl: child.url, retries: 0 });
    const appId = await prepare(sdk, receiver);
    // A caller's traceparent is not continued, nor anything sent on: tracing is off.
    const messageId = await send(child.url, s.apiKey, appId, { n: 1 }, { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` });
    const [hook] = await receiver.waitFor(1, 20_000);
    expect(hook?.headers['webhook-id']).toBe(messageId);
    expect(hook?.headers.traceparent).toBeUndefined();
    await stopGracefully(child);

    const modules = probedModules(s.probe);
    // The probe did see every thread: the API's modules on the main thread, the roles' on their worker threads.
    if (BUNDLED) {
      // The build's files: the server's entry on the main thread, the worker's on each of the three worker threads
      // (projections, dispatcher, WAL checkpoints), and no TypeScript anywhere.
      expect(modules.some((m) => m.thread === 'main' && m.url.endsWith('/hookbase.js'))).toBe(true);
      expect(new Set(modules.filter((m) => m.thread.startsWith('worker') && m.url.endsWith('/backgroundWorker.js')).map((m) => m.thread)).size).toBe(3);
      expect(modules.filter((m) => /\.[cm]?ts$/.test(m.url) || m.url.includes('/node_modules/tsx/'))).toEqual([]);
    } else {
      expect(modules.some((m) => m.thread === 'main' && m.url.endsWith('/api/app.ts'))).toBe(true);
      expect(modules.some((m) => m.thread.startsWith('worker') && m.url.endsWith('/dispatcher/dispatcher.ts'))).toBe(true);
      expect(modules.some((m) => m.thread.startsWith('worker') && m.url.endsWith('/projections/runner.ts'))).toBe(true);
    }
    expect(modules.filter((m) => m.url.includes('@opentelemetry') || m.url.endsWith('/observability/otel.ts'))).toEqual([]);
  }, 90_000);
});
