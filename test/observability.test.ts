import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from '../observability/logger';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';
import { parsePrometheusText } from './prometheusText';
import type { Family, Sample } from './prometheusText';

// /metrics (prom-client, every thread of the process) and the JSON logs (pino, secrets redacted).


let hb: TestHookbase;
let ok: Receiver;
let failing: Receiver;

beforeAll(async () => {
  ok = await startReceiver();
  failing = await startReceiver((_req, res) => res.writeHead(500).end('no'));
  // The default: the dispatcher and the projections on worker threads (no test resolver keeps them here).
  hb = await startTestHookbase({ env: { HOOKBASE_RETRY_SCHEDULE: '50ms' } });
});
afterAll(async () => {
  await hb.stop();
  await ok.close();
  await failing.close();
});

const scrape = async (): Promise<Map<string, Family>> => {
  const res = await fetch(`${hb.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
};

/** The sample of `family` named `suffix` whose labels include `labels`. */
const sampleOf = (family: Family | undefined, labels: Record<string, string>, suffix = ''): Sample | undefined =>
  family?.samples.find((m) => m.name === family.name + suffix && Object.entries(labels).every(([k, v]) => m.labels[k] === v));
const countOf = (family: Family | undefined, labels: Record<string, string>): number | undefined => sampleOf(family, labels, '_count')?.value;

describe('/metrics', () => {
  it('parses as Prometheus text and has the request and attempt histograms, outcomes, queues, lags and process metrics from every thread', async () => {
    const app = await hb.sdk.applications.create({ name: 'Metrics' });
    await hb.sdk.eventTypes.create({ name: 'metric.event' });
    await hb.sdk.endpoints.create(app.id, { url: ok.url });
    await hb.sdk.endpoints.create(app.id, { url: failing.url });
    const sent = await hb.sdk.messages.send(app.id, { eventType: 'metric.event', payload: { n: 1 } });
    // one delivery succeeds, the other fails twice (two attempts: the schedule has one delay) and is exhausted
    await ok.waitFor(1);
    await failing.waitFor(2);
    for (const outbound of sent.outbound) {
      await eventually(async () => ['success', 'exhausted'].includes((await hb.sdk.messages.getOutbound(app.id, outbound.id)).status));
    }

    const metrics = await eventually(async () => {
      const m = await scrape();
      const exhausted = sampleOf(m.get('hookbase_deliveries_total'), { outcome: 'exhausted' });
      return exhausted?.value === 1 ? m : undefined;
    });
    const requests = metrics.get('hookbase_http_request_duration_seconds');
    expect(requests?.type).toBe('histogram');
    // labelled by the route's template, not by the resource's id
    expect(countOf(requests, { route: '/v1/applications/{appId}/messages', method: 'POST', status: '202' })).toBe(1);
    expect(sampleOf(requests, { route: '/v1/applications/{appId}/messages', le: '0.005' }, '_bucket')).toBeDefined();
    expect(countOf(requests, { route: '/v1/applications', method: 'POST', status: '201' })).toBe(1);
    expect(requests?.samples.some((m) => m.labels.route?.includes(app.id))).toBe(false);

    // The attempts ran on the dispatcher's worker thread: these come from its registry, merged here.
    const attempts = metrics.get('hookbase_delivery_attempt_duration_seconds');
    expect(attempts?.type).toBe('histogram');
    expect(countOf(attempts, { outcome: 'succeeded' })).toBe(1);
    expect(countOf(attempts, { outcome: 'retrying' })).toBe(1);
    expect(countOf(attempts, { outcome: 'exhausted' })).toBe(1);
    expect(sampleOf(metrics.get('hookbase_deliveries_total'), { outcome: 'succeeded' })?.value).toBe(1);
    expect(metrics.get('hookbase_deliveries_total')?.type).toBe('counter');

    for (const gauge of ['hookbase_endpoint_queue_depth', 'hookbase_endpoint_queue_depth_max', 'hookbase_due_queue_size', 'hookbase_subscription_lag_events']) {
      expect(metrics.get(gauge)?.type, gauge).toBe('gauge');
      expect(metrics.get(gauge)?.samples).toHaveLength(1);
      expect(metrics.get(gauge)?.samples[0]?.value, gauge).toBeGreaterThanOrEqual(0);
    }
    const lag = metrics.get('hookbase_projection_lag_events');
    expect(lag?.samples.map((m) => m.labels.projection)).toContain('outbound');
    // prom-client's default process metrics
    expect(metrics.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(metrics.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(metrics.get('process_resident_memory_bytes')).toBeDefined();
  });

  it('is served by a process without the api role too, with its own dispatcher metrics', async () => {
    const worker = await startTestHookbase({ roles: ['dispatcher'], dataDir: hb.dataDir, apiKey: hb.apiKey });
    try {
      const res = await fetch(`${worker.url}/metrics`);
      expect(res.status).toBe(200);
      const names = [...parsePrometheusText(await res.text()).keys()];
      expect(names).toContain('hookbase_delivery_attempt_duration_seconds');
      expect(names).toContain('hookbase_subscription_lag_events');
      expect(names).toContain('process_cpu_user_seconds_total');
    } finally {
      await worker.stop({ keepData: true });
    }
  });
});

describe('JSON logs', () => {
  it('write one JSON object per request at debug, with the request id the response names', async () => {
    const res = await hb.request('GET', '/v1/applications');
    const requestId = res.headers.get('x-request-id');
    const file = hb.logFile;
    expect(file).toBeDefined();
    const lines = await eventually(async () => {
      const all = readFileSync(file ?? '', 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      return all.some((l) => l.requestId === requestId) ? all : undefined;
    });
    const line = lines.find((l) => l.requestId === requestId);
    // At debug (20): an ordinary request's line is below the default level (issue 17: a line per request at info cost the API's thread).
    expect(line).toMatchObject({ msg: 'request', method: 'GET', route: '/v1/applications', status: 200, level: 20 });
  });

  it('redact secrets by field and by shape, and follow the level asked for', () => {
    const written: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination: sink });
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const token = 'whpt_abcdefghijklmnopqrstuvwxyz0123456789';
    logger.info({ secret: 'plain-looking-value', headers: { authorization: 'Bearer opaque-key-1234567890' }, note: `copied ${token}` }, `endpoint secret ${secret} and key hb_sk_abcdefghijklmnop`);
    logger.info(`auth header was Bearer test_key_0123456789abcdef`);
    logger.debug('below the level');
    const text = written.join('');
    for (const leaked of [secret, token, 'plain-looking-value', 'opaque-key-1234567890', 'hb_sk_abcdefghijklmnop', 'test_key_0123456789abcdef']) expect(text).not.toContain(leaked);
    expect(text).toContain('whsec_[redacted]');
    expect(text).not.toContain('below the level');
    expect(written).toHaveLength(2);
    expect(scrubSecrets('redeem whr_0123456789abcdef now')).toBe('redeem whr_[redacted] now');

    const quiet: string[] = [];
    const warnOnly = createLogger({ level: 'warn', destination: new Writable({ write: (c: Buffer, _e, done) => (quiet.push(c.toString()), done()) }) });
    warnOnly.info('not written');
    warnOnly.warn('written');
    expect(quiet).toHaveLength(1);
  });
});
