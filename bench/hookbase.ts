import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { loadConfig } from '../cli/config';
import { startHookbase } from '../cli/hookbase';
import type { RunningHookbase } from '../cli/hookbase';
import type { DispatcherConfig } from '../dispatcher/config';
import { eventMetadata } from '../domain/events';
import { newId } from '../domain/ids';
import { streams } from '../domain/streams';
import { createLogger } from '../observability/logger';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import type { SqliteEventStoreStats } from '../store/embedded/sqliteEventStore';
import type { LoadGen } from './loadgenClient';
import type { Target } from './protocol';

/** Hookbase as the benchmark runs it: in this process, every role, embedded store in `dataDir`, port 0. */
export type BenchHookbase = RunningHookbase & {
  apiKey: string;
  dataDir: string;
  /** JSON request with the admin key; throws on a non-2xx answer. */
  call: <T>(method: string, path: string, body?: unknown) => Promise<T>;
};

export const EVENT_TYPE = 'bench.order.created';

let logFile: string | undefined;
/** Where every Hookbase of this bench run writes its JSON log lines (kept after the run, in the OS temp dir). */
export const benchLogFile = (): string => {
  logFile ??= join(tmpdir(), 'hookbase-bench-logs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.ndjson`);
  return logFile;
};

/**
 * HOOKBASE_BENCH_AUDIT=off: the bench's Hookbases append without the hash chain and write no audit anchors (a switch
 * of the bench only, for profiling; production has none: docs/audit.md "Measuring the cost"). Default on. Figure 8
 * compares on and off in every run whatever this says.
 */
export const benchAudit = (raw = process.env.HOOKBASE_BENCH_AUDIT): 'on' | 'off' => {
  if (raw === undefined || raw === '' || raw === 'on') return 'on';
  if (raw === 'off') return 'off';
  throw new Error(`HOOKBASE_BENCH_AUDIT must be on or off (got "${raw}").`);
};

export const startBenchHookbase = async (
  dataDir: string,
  dispatcher: Partial<DispatcherConfig> = {},
  apiKey = `bench_${randomBytes(16).toString('hex')}`,
  roles = 'api,projections,dispatcher',
  /** More HOOKBASE_* settings (figure 6 runs a second Hookbase with HOOKBASE_EVENTS_SYNC=normal). */
  env: Record<string, string> = {},
  /** The hash chain and the audit anchors (figure 8 runs a second Hookbase without them); default: benchAudit(). */
  audit: 'on' | 'off' = benchAudit(),
): Promise<BenchHookbase> => {
  const config = loadConfig({
    HOOKBASE_PORT: '0',
    HOOKBASE_HOST: '127.0.0.1',
    HOOKBASE_DATA_DIR: dataDir,
    HOOKBASE_API_KEY: apiKey,
    HOOKBASE_ROLES: roles,
    HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'true',
    // The defaults (1000 requests and 10 000 sends a minute per key) would turn the benchmark into a 429 test.
    HOOKBASE_RATE_LIMIT_API: '1000000000',
    HOOKBASE_RATE_LIMIT_SENDS: '1000000000',
    ...env,
  });
  // The server's JSON logs (at the default level) go to a file, never into the bench's output.
  const logger = createLogger({ destination: pino.destination({ dest: benchLogFile(), sync: false, mkdir: true }) });
  const hb = await startHookbase(config, { logger, log: () => {}, dispatcher: { duePollMs: 50, ...dispatcher }, audit });
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${hb.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return { ...hb, apiKey, dataDir, call };
};

/** The event type every bench message uses (no schema), created once per data dir. */
export const ensureEventType = async (hb: BenchHookbase): Promise<void> => {
  try {
    await hb.call('POST', '/v1/event-types', { name: EVENT_TYPE, description: 'benchmark messages' });
  } catch (error) {
    if (!(error instanceof Error && / 409: /.test(error.message))) throw error;
  }
};

export const createApplication = async (hb: BenchHookbase, name: string): Promise<string> =>
  (await hb.call<{ id: string }>('POST', '/v1/applications', { name })).id;

export const createEndpoint = async (hb: BenchHookbase, appId: string, url: string): Promise<string> =>
  (await hb.call<{ id: string }>('POST', `/v1/applications/${appId}/endpoints`, { url, description: 'bench receiver' })).id;

/** What the bench's sends carry: an order event of EVENT_TYPE. */
export const SEND_BODY = JSON.stringify({ eventType: EVENT_TYPE, payload: { orderId: 'ord_2Xb7QmTz', amount: 4200, currency: 'EUR', customer: { id: 'cus_8Kd2', email: 'ada@example.com' }, items: 3 } });

/** The load generator's target for sends to `appId`, with the admin key. */
export const sendTarget = (hb: BenchHookbase, appId: string): Target => ({
  origin: hb.url,
  path: `/v1/applications/${appId}/messages`,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${hb.apiKey}` },
  body: SEND_BODY,
});

/**
 * Hookbase started on `dataDir` with one application (`name`) whose one endpoint is the load generator's receiver;
 * `work` gets it and the target that sends to that application. Closed after `work`.
 */
export const withDeliveringHookbase = async <T>(lg: LoadGen, dataDir: string, name: string, work: (hb: BenchHookbase, target: Target) => Promise<T>): Promise<T> => {
  const receiver = await lg.call('receiver:start', {});
  const hb = await startBenchHookbase(dataDir);
  try {
    await ensureEventType(hb);
    const app = await createApplication(hb, name);
    await createEndpoint(hb, app, receiver.url);
    return await work(hb, sendTarget(hb, app));
  } finally {
    await hb.close();
  }
};

export const eventsDbPath = (dataDir: string): string => join(dataDir, 'events.db');

/** Events in the store by type, read through a separate read-only connection (WAL lets it read beside the writer). */
export const countEventsByType = (dataDir: string): Record<string, number> => {
  const db = new Database(eventsDbPath(dataDir), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare<[], { type: string; n: number }>('SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY n DESC').all();
    return Object.fromEntries(rows.map((r) => [r.type, r.n]));
  } finally {
    db.close();
  }
};

/** Group-commit counters of the embedded store, when that is the adapter in use. */
export const storeStats = (hb: RunningHookbase): SqliteEventStoreStats | null => (hb.events instanceof SqliteEventStore ? hb.events.stats() : null);

/**
 * Appends `count` small `MessageSent` events (to an application without endpoints) straight through the EventStore
 * port, 1,000 at a time: what `npm run bench -- --events N` and `npm run bench:memory` load Hookbase with.
 */
export const appendSmallMessages = async (hb: BenchHookbase, applicationId: string, count: number): Promise<void> => {
  for (let done = 0; done < count; done += 1_000) {
    await Promise.all(
      Array.from({ length: Math.min(1_000, count - done) }, () => {
        const messageId = newId('msg');
        const data = { messageId, applicationId, eventType: EVENT_TYPE, payload: { n: done }, eventId: null, timestamp: new Date().toISOString(), outbound: [] };
        return hb.events.appendToStream(streams.message(messageId), [{ type: 'MessageSent', data, metadata: eventMetadata('MessageSent') }], { expectedRevision: 'no_stream' });
      }),
    );
  }
};
