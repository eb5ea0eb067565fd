import { resolve } from 'node:path';
import { parseRetrySchedule, DEFAULT_RETRY_SCHEDULE } from '../dispatcher/retrySchedule';
import type { RateLimits } from '../api/rateLimit';
import { DEFAULT_ANCHOR_EVERY, DEFAULT_ANCHOR_INTERVAL_MS, MAX_ANCHOR_EVERY } from '../store/chain/anchorWriter';
import type { AnchorSchedule } from '../store/chain/anchorWriter';

export type EventsEngine = 'embedded' | 'esdb';
export type ReadsEngine = 'embedded' | 'mongo';
export type Role = 'api' | 'projections' | 'dispatcher';
export const ALL_ROLES: readonly Role[] = ['api', 'projections', 'dispatcher'];

export type HookbaseConfig = Readonly<{
  port: number;
  host: string;
  dataDir: string;
  /** Where the events are: the data dir's events.db (embedded) or EventStoreDB (HOOKBASE_EVENTS). */
  events: EventsEngine;
  /** Where the read models and the operational state are: the data dir's SQLite files or MongoDB (HOOKBASE_READS). */
  reads: ReadsEngine;
  /** The layout in one word, for start-up lines: embedded, esdb (both production engines) or mixed. */
  store: 'embedded' | 'esdb' | 'mixed';
  esdbUrl: string | null;
  mongoUrl: string | null;
  roles: readonly Role[];
  /** Embedded store: the projections and the dispatcher run on a worker thread (default) or on the main thread. */
  backgroundThread: 'worker' | 'inline';
  apiKey: string | null;
  masterKey: string | null;
  retryScheduleMs: readonly number[];
  allowPrivateNetworks: boolean;
  rateLimits: RateLimits;
  publicUrl: string;
  /** The organization the cloud-compatible /api answers for (COMPAT.md, the MCP server). */
  organization: Readonly<{ id: string; name: string; slug: string }>;

  /** SQLite `synchronous` of the embedded event store: FULL (default, a 202 survives power loss) or NORMAL (HOOKBASE_EVENTS_SYNC). */
  eventsSync: 'FULL' | 'NORMAL';

  /** Uid (or id) of the application whose endpoints receive the operational webhooks (api/operational). */
  operationalApp: string;

  /** When the signed audit anchors are written (HOOKBASE_AUDIT_ANCHOR_EVERY events, HOOKBASE_AUDIT_ANCHOR_INTERVAL seconds; docs/audit.md). */
  auditAnchors: AnchorSchedule;
}>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `--port 9000` and `--port=9000` mirror HOOKBASE_PORT; flags win over the environment. */
export const flagsToEnv = (argv: readonly string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) continue;
    const [flag, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const value = inline ?? (argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('--') ? argv[++i] : 'true');
    out[`HOOKBASE_${flag.toUpperCase().replace(/-/g, '_')}`] = value ?? 'true';
  }
  return out;
};

const positiveInt = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a whole number (got "${raw}").`);
  return n;
};

const bool = (name: string, raw: string | undefined): boolean => {
  if (raw === undefined || raw === '') return false;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false (got "${raw}").`);
};

/** HOOKBASE_AUDIT_ANCHOR_EVERY (events, 1 to MAX_ANCHOR_EVERY) and HOOKBASE_AUDIT_ANCHOR_INTERVAL (seconds, 0.05 to 86400). */
const anchorScheduleOf = (e: Readonly<Record<string, string | undefined>>): AnchorSchedule => {
  const rawEvery = e.HOOKBASE_AUDIT_ANCHOR_EVERY;
  const every = rawEvery === undefined || rawEvery === '' ? DEFAULT_ANCHOR_EVERY : Number(rawEvery);
  if (!Number.isInteger(every) || every < 1 || every > MAX_ANCHOR_EVERY) {
    throw new ConfigError(
      `HOOKBASE_AUDIT_ANCHOR_EVERY must be a whole number of events from 1 to ${MAX_ANCHOR_EVERY} (got "${rawEvery}"): an anchor lists each stream head it pins, ` +
        `and ${MAX_ANCHOR_EVERY} keep it under EventStoreDB's 1 MiB append limit.`,
    );
  }
  const rawInterval = e.HOOKBASE_AUDIT_ANCHOR_INTERVAL;
  const given = rawInterval !== undefined && rawInterval !== '';
  const seconds = given ? Number(rawInterval) : DEFAULT_ANCHOR_INTERVAL_MS / 1000;
  if ((given && !/^\d+(\.\d+)?$/.test(rawInterval)) || !Number.isFinite(seconds) || seconds < 0.05 || seconds > 86_400) {
    throw new ConfigError(`HOOKBASE_AUDIT_ANCHOR_INTERVAL must be a number of seconds from 0.05 to 86400, e.g. 10 or 0.5 (got "${rawInterval}").`);
  }
  return { every, intervalMs: Math.round(seconds * 1000) };
};

const STORE_LAYOUTS = { embedded: { events: 'embedded', reads: 'embedded' }, esdb: { events: 'esdb', reads: 'mongo' } } as const;

/**
 * The two ports' engines: HOOKBASE_EVENTS and HOOKBASE_READS, each defaulting to what HOOKBASE_STORE (the
 * shorthand for both: embedded, or esdb = EventStoreDB + MongoDB) says, and to embedded without it. When the
 * shorthand and a port's own variable are both given they must agree: neither wins, a disagreement is an error
 * naming both (a flag replaces only its own variable: `--reads` replaces HOOKBASE_READS, not HOOKBASE_STORE).
 */
const enginesOf = (e: Readonly<Record<string, string | undefined>>, flags: Readonly<Record<string, string>>): Readonly<{ events: EventsEngine; reads: ReadsEngine }> => {
  const named = (variable: string): string => (flags[variable] !== undefined ? `--${variable.slice('HOOKBASE_'.length).toLowerCase()}` : variable);
  const store = e.HOOKBASE_STORE || null;
  if (store !== null && store !== 'embedded' && store !== 'esdb') throw new ConfigError(`${named('HOOKBASE_STORE')} must be embedded or esdb (got "${store}").`);
  const events = e.HOOKBASE_EVENTS || null;
  if (events !== null && events !== 'embedded' && events !== 'esdb') throw new ConfigError(`${named('HOOKBASE_EVENTS')} must be embedded or esdb (got "${events}").`);
  const reads = e.HOOKBASE_READS || null;
  if (reads !== null && reads !== 'embedded' && reads !== 'mongo') throw new ConfigError(`${named('HOOKBASE_READS')} must be embedded or mongo (got "${reads}").`);
  const implied = store === null ? null : STORE_LAYOUTS[store];
  for (const [variable, given, port] of [['HOOKBASE_EVENTS', events, 'events'], ['HOOKBASE_READS', reads, 'reads']] as const) {
    if (implied !== null && given !== null && given !== implied[port]) {
      throw new ConfigError(
        `${named('HOOKBASE_STORE')}=${store} means HOOKBASE_EVENTS=${implied.events} and HOOKBASE_READS=${implied.reads}, but ${named(variable)}=${given}. ` +
          'For a mixed layout leave HOOKBASE_STORE unset and set HOOKBASE_EVENTS and HOOKBASE_READS.',
      );
    }
  }
  return { events: events ?? implied?.events ?? 'embedded', reads: reads ?? implied?.reads ?? 'embedded' };
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): HookbaseConfig => {
  const e: Record<string, string | undefined> = { ...env, ...flagsToEnv(argv) };
  const port = positiveInt('HOOKBASE_PORT', e.HOOKBASE_PORT, 8080);
  if (port > 65535) throw new ConfigError(`HOOKBASE_PORT must be at most 65535 (got ${port}).`);
  const host = e.HOOKBASE_HOST || '127.0.0.1';
  const { events, reads } = enginesOf(e, flagsToEnv(argv));
  const roles = (e.HOOKBASE_ROLES || ALL_ROLES.join(',')).split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of roles) {
    if (!(ALL_ROLES as readonly string[]).includes(r)) throw new ConfigError(`HOOKBASE_ROLES: unknown role "${r}" (roles: ${ALL_ROLES.join(', ')}).`);
  }
  const backgroundThread = e.HOOKBASE_BACKGROUND_THREAD || 'worker';
  if (backgroundThread !== 'worker' && backgroundThread !== 'inline') {
    throw new ConfigError(`HOOKBASE_BACKGROUND_THREAD must be worker or inline (got "${backgroundThread}").`);
  }
  const apiKey = e.HOOKBASE_API_KEY || null;
  if (apiKey !== null && apiKey.length < 24) throw new ConfigError('HOOKBASE_API_KEY must be at least 24 characters.');
  let retryScheduleMs: number[];
  try {
    retryScheduleMs = parseRetrySchedule(e.HOOKBASE_RETRY_SCHEDULE || DEFAULT_RETRY_SCHEDULE);
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const masterKey = e.HOOKBASE_MASTER_KEY || null;
  if (events === 'esdb' && masterKey === null) {
    throw new ConfigError(
      'HOOKBASE_MASTER_KEY is required with HOOKBASE_EVENTS=esdb (or HOOKBASE_STORE=esdb): the events that hold the encrypted endpoint secrets ' +
        'live on the server, not in a data dir, and processes that do not share a data dir must all use the same key. ' +
        'Make one with `openssl rand -base64 32` and give that value to every process.',
    );
  }
  const esdbUrl = e.HOOKBASE_ESDB_URL || null;
  const mongoUrl = e.HOOKBASE_MONGO_URL || null;
  const missing = [
    ...(events === 'esdb' && !esdbUrl ? ['HOOKBASE_ESDB_URL (e.g. esdb://localhost:2113?tls=false), needed by HOOKBASE_EVENTS=esdb'] : []),
    ...(reads === 'mongo' && !mongoUrl ? ['HOOKBASE_MONGO_URL (e.g. mongodb://localhost:27017/hookbase?replicaSet=rs0), needed by HOOKBASE_READS=mongo'] : []),
  ];
  if (missing.length > 0) throw new ConfigError(`Set ${missing.join(', and ')}.`);
  const orgName = e.HOOKBASE_ORG_NAME || 'Hookbase';
  const organization = { id: e.HOOKBASE_ORG_ID || 'org_default', name: orgName, slug: orgName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'hookbase' };

  const eventsSync = (e.HOOKBASE_EVENTS_SYNC || 'full').toUpperCase();
  if (eventsSync !== 'FULL' && eventsSync !== 'NORMAL') throw new ConfigError(`HOOKBASE_EVENTS_SYNC must be full or normal (got "${e.HOOKBASE_EVENTS_SYNC}").`);
  const advertisedHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    port,
    host,
    dataDir: resolve(e.HOOKBASE_DATA_DIR || './.hookbase'),
    events,
    reads,
    store: events === 'embedded' && reads === 'embedded' ? 'embedded' : events === 'esdb' && reads === 'mongo' ? 'esdb' : 'mixed',
    esdbUrl,
    mongoUrl,
    roles: roles as Role[],
    backgroundThread,
    apiKey,
    masterKey,
    retryScheduleMs,
    allowPrivateNetworks: bool('HOOKBASE_ALLOW_PRIVATE_NETWORKS', e.HOOKBASE_ALLOW_PRIVATE_NETWORKS),
    rateLimits: {
      apiPerMinute: positiveInt('HOOKBASE_RATE_LIMIT_API', e.HOOKBASE_RATE_LIMIT_API, 1000),
      sendsPerMinute: positiveInt('HOOKBASE_RATE_LIMIT_SENDS', e.HOOKBASE_RATE_LIMIT_SENDS, 10_000),
      portalTokensPerHour: positiveInt('HOOKBASE_RATE_LIMIT_PORTAL_TOKENS', e.HOOKBASE_RATE_LIMIT_PORTAL_TOKENS, 100),
    },
    organization,

    eventsSync,

    operationalApp: e.HOOKBASE_OPERATIONAL_APP || 'hookbase-operational',
    auditAnchors: anchorScheduleOf(e),
    publicUrl: (e.HOOKBASE_PUBLIC_URL || `http://${advertisedHost.includes(':') ? `[${advertisedHost}]` : advertisedHost}:${port}`).replace(/\/$/, ''),
  };
};
