import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { AddressInfo, LookupFunction } from 'node:net';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { join } from 'node:path';
import { apiKeyDecider } from '../domain/access/access';
import { derivedKeyId } from '../domain/ids';
import { streams } from '../domain/streams';
import { createServer } from '../api/app';
import { answerClientError, HTTP_SERVER_LIMITS } from '../api/clientErrors';
import { hashCredential } from '../api/auth';
import type { ApiDeps } from '../api/deps';
import { OperationalWebhooks } from '../api/operational/operationalWebhooks';
import type { Logger } from 'pino';
import { createLogger, lineLogger } from '../observability/logger';
import { collectProcessMetrics, renderMetrics, threadMetrics } from '../observability/metrics';
import { BatchedRateLimiter } from '../api/rateLimit';
import type { RateLimiter } from '../api/rateLimit';
import { Dispatcher } from '../dispatcher/dispatcher';
import { defaultDispatcherConfig } from '../dispatcher/config';
import type { DispatcherConfig } from '../dispatcher/config';
import { allProjections, collections } from '../projections';
import type { ApiKeyDoc, ProjectionProgress, ProjectionStatus } from '../projections';
import { ProjectionLeadership } from '../projections/leadership';
import { ProgressWatcher } from '../projections/progressWatcher';
import { handleCommand } from '../store/commandHandler';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { withHashChain } from '../store/chain/hashChainedEventStore';
import { AnchorWriter } from '../store/chain/anchorWriter';
import { anchorPublicKeyInfo, loadOrCreateAnchorKey } from '../store/chain/anchorKey';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { WriteLock } from '../store/embedded/writeLock';
import { ReadCache } from '../store/readCache';
import type { EventStore } from '../store/eventStore';
import { WrongExpectedVersionError } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import type { HookbaseConfig } from './config';
import { COMMIT_SIGNAL_SLOTS, joinCommitSignal, newCommitSignal, startBackgroundThread } from './backgroundThread';
import type { BackgroundThread, EmbeddedWriteLocks } from './backgroundThread';
import { DataVersion, watchDataDir } from './dataDirWatcher';
import { createOnce, loadMasterKey } from './masterKey';
import { OPERATIONAL_FILE, openOperationalRateLimiter } from './operational';
import type { MongoStores } from './productionStores';
import { recordProcess } from './processRecord';
import { VERSION } from './version';
import { startTracing } from '../observability/tracing';
import { setProcessV8Flags } from './v8Flags';

export { VERSION };

export type RunningHookbase = Readonly<{
  url: string;
  port: number;
  /** Set on the first start only, when a key was generated. */
  generatedApiKey: string | null;
  events: EventStore;
  reads: ReadStore;
  /** Operational state (leases, idempotency answers, rate limits): not derived from events, kept through rebuilds. */
  ops: ReadStore;
  close: () => Promise<void>;
}>;

export type StartOptions = Readonly<{
  /** JSON logs (pino); by default to stdout at HOOKBASE_LOG_LEVEL. */
  logger?: Logger;
  /** Where the roles' plain log lines go; by default info lines of `logger`. */
  log?: (line: string) => void;
  /** Overrides of the dispatcher's tuning (tests use short cooldowns and leases). */
  dispatcher?: Partial<DispatcherConfig>;
  /** Name resolution for the SSRF guard, at endpoint creation and at delivery (tests map names to addresses). */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /**
   * The benchmark's switch only (bench/hookbase.ts, HOOKBASE_BENCH_AUDIT; docs/audit.md "Measuring the cost"): 'off'
   * appends without the hash chain and writes no anchors, to measure what they cost. No variable or flag reaches it:
   * production always chains and anchors.
   */
  audit?: 'on' | 'off';
  /** The API's clock (portal token and key expiry, timestamps); tests move it forward instead of waiting. */
  now?: () => Date;
}>;

/** Adapts a promise-returning resolver to the callback shape of dns.lookup that undici's connector calls. */
const lookupFrom = (resolve: (hostname: string) => Promise<string[]>): LookupFunction =>
  ((hostname: string, options: LookupOptions, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    resolve(hostname).then(
      (addresses) => {
        const all = addresses.map((address) => ({ address, family: isIP(address) }));
        if (options.all) callback(null, all);
        else callback(null, all[0]?.address ?? '', all[0]?.family ?? 4);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), ''),
    );
  }) as LookupFunction;

type Stores = Readonly<{ events: EventStore; reads: ReadStore; ops: ReadStore; locks: EmbeddedWriteLocks; mongo: MongoStores | null }>;

/**
 * Which roles run on worker threads of their own (embedded store, HOOKBASE_BACKGROUND_THREAD=worker): the
 * projections, and the dispatcher unless its configuration holds what only this thread can (a test's DNS resolver
 * or jitter source is a function).
 */
const backgroundRoles = (config: HookbaseConfig, options: StartOptions): Readonly<{ projections: boolean; dispatcher: boolean }> => {
  // The worker threads open the data dir's events.db and read-models.db themselves: both ports must be embedded.
  const available = config.backgroundThread === 'worker' && config.events === 'embedded' && config.reads === 'embedded';
  return {
    projections: available && config.roles.includes('projections'),
    dispatcher:
      available &&
      config.roles.includes('dispatcher') &&
      options.resolveHost === undefined &&
      options.dispatcher?.lookup === undefined &&
      options.dispatcher?.random === undefined,
  };
};

/**
 * The two ports, each on its engine (HOOKBASE_EVENTS, HOOKBASE_READS): the servers' adapters (cli/productionStores.ts,
 * imported only then: their clients take a second or two to load, which every embedded start would pay; it fails,
 * naming a server it cannot reach), or the data dir's SQLite files. The operational state goes with the read
 * models. `autoCheckpoint: false` when a worker thread checkpoints the files for us (off the API's thread).
 */
const openStores = async (config: HookbaseConfig, autoCheckpoint: boolean, log: (line: string) => void, chained: boolean): Promise<Stores> => {
  const servers = config.events === 'esdb' || config.reads === 'mongo' ? await (await import('./productionStores')).openServerStores(config, log) : null;
  // Shared with the worker threads, which open the same files.
  const locks: EmbeddedWriteLocks = { events: new WriteLock(), reads: new WriteLock(), ops: new WriteLock() };
  const mongo = servers?.mongo ?? null;
  return {
    // Every append hash-chained (docs/audit.md), whichever adapter.
    events: (chained ? withHashChain : <T>(store: T): T => store)(
      servers?.events ?? SqliteEventStore.open(join(config.dataDir, 'events.db'), { writeLock: locks.events, autoCheckpoint, synchronous: config.eventsSync }),
    ),
    reads: mongo?.reads ?? SqliteReadStore.open(join(config.dataDir, 'read-models.db'), { writeLock: locks.reads, autoCheckpoint }),
    // Operational state apart from the read models: a rebuild drops read-models.db's tables, never this file's.
    ops: mongo?.ops ?? SqliteReadStore.open(join(config.dataDir, OPERATIONAL_FILE), { writeLock: locks.ops, autoCheckpoint }),
    locks,
    mongo,
  };
};

/** Who this process is in leases (unique per process on the host). */
const processOwnerId = (): string => `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/** How often a worker thread checkpoints the two WAL files (they grow by what is written meanwhile). */
export const WAL_CHECKPOINT_EVERY_MS = 250;

const dispatcherConfigOf = (config: HookbaseConfig, options: StartOptions): DispatcherConfig => ({
  ...defaultDispatcherConfig(),
  userAgentVersion: VERSION,
  retryScheduleMs: config.retryScheduleMs,
  allowPrivateNetworks: config.allowPrivateNetworks,
  ...(options.resolveHost ? { lookup: lookupFrom(options.resolveHost) } : {}),
  ...options.dispatcher,
});

/** Registers a key idempotently: its id derives from its hash, and the stream must not exist yet. */
export const registerApiKey = async (events: EventStore, key: string, name: string): Promise<boolean> => {
  const keyHash = hashCredential(key);
  const keyId = derivedKeyId(keyHash);
  try {
    await handleCommand(events, streams.apiKey(keyId), apiKeyDecider, { type: 'CreateApiKey', data: { keyId, name, keyHash }, metadata: { now: new Date().toISOString() } }, { expectedRevision: 'no_stream' });
    return true;
  } catch (error) {
    if (error instanceof WrongExpectedVersionError) return false;
    throw error;
  }
};

const bootstrapApiKey = async (config: HookbaseConfig, events: EventStore, reads: ReadStore, progress: ProjectionProgress): Promise<string | null> => {
  if (config.apiKey) {
    await registerApiKey(events, config.apiKey, 'bootstrap (HOOKBASE_API_KEY)');
    await progress.waitFor(await events.headPosition(), 10_000);
    return null;
  }
  await progress.waitFor(await events.headPosition(), 10_000);
  const file = join(config.dataDir, 'api-key');
  if (existsSync(file) || (await reads.collection<ApiKeyDoc>(collections.apiKeys).count()) > 0) return null;
  const key = `hb_sk_${randomBytes(24).toString('base64url')}`;
  // Of API processes starting at once on a new data dir, one generates the key.
  if (!createOnce(file, `${key}\n`)) return null;
  await registerApiKey(events, key, 'generated at first start');
  await progress.waitFor(await events.headPosition(), 10_000);
  return key;
};

/** The composition root: the only place that knows which adapters exist and which roles run. */
export const startHookbase = async (config: HookbaseConfig, options: StartOptions = {}): Promise<RunningHookbase> => {
  setProcessV8Flags();
  const logger = options.logger ?? createLogger();
  const log = options.log ?? lineLogger(logger);
  collectProcessMetrics();
  // OpenTelemetry traces when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set; nothing of it is loaded otherwise.
  const stopTracing = await startTracing({ serviceVersion: VERSION, threadName: 'main' });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const masterKey = loadMasterKey(config);
  const onThread = backgroundRoles(config, options);
  const audited = options.audit !== 'off';
  const { events, reads, ops, locks, mongo } = await openStores(config, !(onThread.projections || onThread.dispatcher), log, audited);
  const has = (role: string) => config.roles.includes(role as never);
  let ready = false;

  // Listen first: with port 0 the real port is known before magic links are built; /health says 503 until ready.
  const starting = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"starting"}');
  };
  const server: Server = createHttpServer(HTTP_SERVER_LIMITS, starting);
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const publicUrl = config.port === 0 ? config.publicUrl.replace(/:0$/, `:${port}`) : config.publicUrl;

  const dispatcherConfig = dispatcherConfigOf(config, options);
  const owner = processOwnerId();
  // Which master key this process uses (its fingerprint), for `hookbase doctor` to compare across processes.
  const forgetProcess = recordProcess(ops, { owner, roles: config.roles, version: VERSION, masterKey }, log);
  let leaveCommitSignal = (): void => {};
  const cleanups: Array<() => void> = [];

  // Read-your-writes: one watcher of the projections' progress document for every command of this process,
  // wherever the projections run. On the embedded store, SQLite's data_version tells it (and the cache below)
  // whether anything was committed to the read models since it last looked.
  const readModelsVersion = config.reads === 'embedded' ? new DataVersion(join(config.dataDir, 'read-models.db')) : null;
  if (readModelsVersion) cleanups.push(() => readModelsVersion.close());
  let apiReads: ReadCache | null = null;
  const watcher = new ProgressWatcher(reads, (changed) => apiReads?.invalidate(changed), log, readModelsVersion ? () => readModelsVersion.current() : null);
  // The API's reads of what every send looks up, in memory between changes (ReadCache). Only on embedded read
  // models: SQLite's data_version tells, before each answer, whether any process committed what the watcher has
  // not heard of yet. MongoDB has no such counter: the watcher hears of another process's commits only through
  // the change stream (or polling), so a cache would answer what one API changed from before the change
  // when asked through another API right after (read-your-writes across APIs broken); those reads go to MongoDB.
  apiReads = has('api') && readModelsVersion ? new ReadCache(reads, [collections.applications, collections.eventTypes, collections.endpoints], 10_000, () => watcher.fresh()) : null;

  const threads: BackgroundThread[] = [];
  let projectionThread: BackgroundThread | null = null;
  if ((onThread.projections || onThread.dispatcher) && events instanceof SqliteEventStore) {
    const { lookup: _lookup, random: _random, ...plain } = dispatcherConfig;
    const commitSignal = newCommitSignal();
    // This thread listens only if a role that subscribes stays here.
    const listen = has('api') || (has('projections') && !onThread.projections) || (has('dispatcher') && !onThread.dispatcher);
    leaveCommitSignal = joinCommitSignal(commitSignal, COMMIT_SIGNAL_SLOTS.main, events, { listen });
    const common = { dataDir: config.dataDir, eventsSync: config.eventsSync, masterKey, commitSignal, events, reads, locks, log, stopTimeoutMs: dispatcherConfig.stopTimeoutMs, owner, auditAnchors: audited ? config.auditAnchors : null };
    // One thread per role, and one that checkpoints the WAL files (stopped last: threads stop in reverse order).
    // It boots while the others do (awaited below; a failure meanwhile is not an unhandled rejection).
    const walThread = startBackgroundThread({ ...common, name: 'WAL checkpoint', commitSlot: COMMIT_SIGNAL_SLOTS.walCheckpoints, projections: false, dispatcher: null, checkpointEveryMs: WAL_CHECKPOINT_EVERY_MS });
    walThread.catch(() => {});
    if (onThread.projections) {
      projectionThread = await startBackgroundThread({
        ...common,
        onProgress: () => watcher.poke(),
        name: 'projections',
        commitSlot: COMMIT_SIGNAL_SLOTS.projections,
        projections: true,
        dispatcher: null,
        checkpointEveryMs: null,
      });
      threads.push(projectionThread);
    }
    if (onThread.dispatcher) {
      threads.push(await startBackgroundThread({ ...common, name: 'dispatcher', commitSlot: COMMIT_SIGNAL_SLOTS.dispatcher, projections: false, dispatcher: plain, checkpointEveryMs: null }));
    }
    threads.unshift(await walThread);
  }
  // Commits of other processes on this data dir: wake this thread's subscriptions, look at the progress again.
  const watched = [
    ...(events instanceof SqliteEventStore ? [{ file: 'events.db', onChange: () => events.notifyCommitted() }] : []),
    ...(config.reads === 'embedded' ? [{ file: 'read-models.db', onChange: () => watcher.poke() }] : []),
  ];
  if (watched.length > 0) {
    const watch = watchDataDir(config.dataDir, watched);
    cleanups.push(() => watch.close());
  }
  // MongoDB: a change stream on the progress document (on a server without change streams, the watcher's timer).
  if (mongo) cleanups.push(mongo.watchProgress(() => watcher.poke()));
  // Projections here: active while this process holds the lease, a standby otherwise (leadership.ts).
  // The lease holder also writes the signed audit anchors (docs/audit.md).
  const anchorWriter = audited ? new AnchorWriter({ events, key: () => loadOrCreateAnchorKey(events, masterKey), schedule: config.auditAnchors, log }) : null;
  const leadership =
    has('projections') && !projectionThread?.projections ? new ProjectionLeadership(events, reads, ops, allProjections, { owner, log, whileActive: anchorWriter ? [anchorWriter] : [] }) : null;
  leadership?.onProgress(() => watcher.poke());
  await leadership?.start();
  await watcher.start();
  const projectionStatus: (() => Promise<ProjectionStatus[]>) | null = leadership ? () => leadership.status() : (projectionThread?.projections?.status ?? null);
  if (projectionStatus) {
    cleanups.push(threadMetrics.projectionLag.add(async () => Object.fromEntries((await projectionStatus()).map((s) => [s.name, s.lag]))));
  }
  const progress: ProjectionProgress = watcher;

  let generatedApiKey: string | null = null;
  let api: ApiDeps | undefined;
  if (has('api')) {
    generatedApiKey = await bootstrapApiKey(config, events, reads, progress);
    // The deployment's anchor key exists before the API serves it (created here once if no process made it yet).
    if (audited) await anchorPublicKeyInfo(events, masterKey);
    const rateLimits = mongo ? { limiter: mongo.rateLimiter, close: () => {} } : openOperationalRateLimiter(config.dataDir, OPERATIONAL_FILE);
    // Counted in memory, added to the shared counters in batches (api/rateLimit.ts: the bounded overshoot across processes).
    const batched = new BatchedRateLimiter(rateLimits.limiter, { onError: (error) => log(`rate limits: writing the shared counters failed (${error instanceof Error ? error.message : String(error)}); kept for the next write`) });
    cleanups.push(() => void batched.close().catch(() => {}));
    cleanups.push(rateLimits.close);
    const rateLimiter: RateLimiter = batched;
    api = {
      events,
      reads: apiReads ?? reads,
      ops,
      progress,
      masterKey,
      rateLimiter,
      now: options.now ?? (() => new Date()),
      log,
      projectionStatus: projectionStatus ?? undefined,
      lookup: options.resolveHost,
      config: {
        publicUrl,
        allowPrivateNetworks: config.allowPrivateNetworks,
        retryScheduleMs: config.retryScheduleMs,
        bodyLimitBytes: 256 * 1024,
        readYourWritesTimeoutMs: 5_000,
        version: VERSION,
        organization: config.organization,
        organizationId: config.organization.id,
      },
    };
  }

  const dispatcher = has('dispatcher') && !onThread.dispatcher ? new Dispatcher({ events, reads, ops, masterKey, log, config: dispatcherConfig }) : null;
  await dispatcher?.start();

  // Operational webhooks: in every api process (the group hands each event to one of them).
  const operational = api ? new OperationalWebhooks(api, config.operationalApp, log) : null;
  await operational?.start();

  const metrics = () => renderMetrics(threads.map((t) => () => t.metrics()));
  const app = createServer({ api, rateLimits: config.rateLimits, metrics, logger, healthy: () => ready, version: VERSION, log });
  server.off('request', starting);
  server.on('request', app.callback());
  ready = true;

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    ready = false;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    // In the reverse order of starting: the dispatcher, the projections, then the WAL checkpoints.
    for (const thread of [...threads].reverse()) await thread.stop();
    await operational?.stop();
    leaveCommitSignal();
    await dispatcher?.stop();
    await leadership?.stop();
    watcher.close();
    for (const cleanup of cleanups) cleanup();
    await forgetProcess();
    await events.close();
    await reads.close();
    await ops.close();
    // Last: the spans of everything above are batched by now; they are sent before this resolves.
    await stopTracing?.();
  };
  return { url, port, generatedApiKey, events, reads, ops, close };
};
