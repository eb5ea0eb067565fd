import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HookbaseConfig } from '../config';
import { DISPATCHER_GROUP } from '../../dispatcher/subscriptionConsumer';
import { collections } from '../../projections/readModels';
import { parseMasterKey } from '../../domain/secretBox';
import type { EventStore, Position, RecordedEvent } from '../../store/eventStore';
import { PersistentSubscriptionExistsError, PersistentSubscriptionNotFoundError, comparePositions, positionToString } from '../../store/eventStore';
import { withHashChain } from '../../store/chain/hashChainedEventStore';
import type { CollectionDef, ReadStore } from '../../store/readStore';
import { redactUrl, withTimeout } from '../../store/unreachable';
import { OPERATIONAL_FILE } from '../operational';
import { PROCESSES, STALE_AFTER_MS, keyFingerprint } from '../processRecord';
import type { ProcessRecord } from '../processRecord';

/**
 * The checks of `hookbase doctor` (cli/commands/doctor.ts), port by port, against the servers of the configured
 * layout. `fail`: Hookbase cannot work so (exit 1); `warn`: it works, degraded or not yet set up (exit 0);
 * `skip`: not run because an earlier check of that port failed.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type CheckResult = Readonly<{ id: string; title: string; status: CheckStatus; detail: string; fix?: string }>;

/** What every check may take before it counts as failed (a server that accepts and never answers). */
export const CHECK_TIMEOUT_MS = 8_000;

/** The doctor's own streams and group: `hookbase-doctor-<run>` streams, which no projection or dispatcher reads. */
const DOCTOR_STREAM_PREFIX = 'hookbase-doctor-';
const DOCTOR_GROUP = 'hookbase-doctor';

type Checks = {
  results: CheckResult[];
  add: (result: CheckResult) => void;
  /** Runs `work`; a throw is a `fail` with the error's message and `fix`. Resolves to whether it passed. */
  run: (id: string, title: string, fix: string, work: () => Promise<Omit<CheckResult, 'id' | 'title'>>) => Promise<boolean>;
  skip: (id: string, title: string, why: string) => void;
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).replace(/\s*Resolution note:\s*$/, '');

const newChecks = (): Checks => {
  const results: CheckResult[] = [];
  const add = (result: CheckResult): void => {
    results.push(result);
  };
  return {
    results,
    add,
    run: async (id, title, fix, work) => {
      try {
        const outcome = await withTimeout(work(), CHECK_TIMEOUT_MS, `no answer within ${CHECK_TIMEOUT_MS} ms`);
        add({ id, title, ...outcome });
        return outcome.status === 'pass' || outcome.status === 'warn';
      } catch (error) {
        add({ id, title, status: 'fail', detail: messageOf(error), fix });
        return false;
      }
    },
    skip: (id, title, why) => add({ id, title, status: 'skip', detail: why }),
  };
};

const pass = (detail: string): Omit<CheckResult, 'id' | 'title'> => ({ status: 'pass', detail });

/** Resolves once `condition` holds (polled), or rejects with `message` after `ms`. */
const until = async (condition: () => boolean, ms: number, message: string): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 25));
  }
};

/** `22.10.1` → [22, 10]; null when the server did not say. */
const majorMinor = (version: string): readonly [number, number] | null => {
  const match = /^(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : null;
};

/**
 * The event store, whatever its engine: append and read back on a stream of the doctor's own, a filtered catch-up
 * subscription that delivers it and reports a checkpoint past it, a persistent group that delivers it (the
 * doctor's own group, created once), and the dispatcher's group.
 */
const eventStoreChecks = async (checks: Checks, events: EventStore, engine: string, runId: string): Promise<void> => {
  const stream = `${DOCTOR_STREAM_PREFIX}${runId}`;
  const groupReady = await checks.run(
    'events.persistentGroup',
    `${engine}: persistent subscription group`,
    engine === 'EventStoreDB' ? 'Persistent subscriptions to $all need EventStoreDB 21.10 or later, and a user allowed to create them.' : 'The data dir must be writable by this user.',
    async () => {
      try {
        await events.createPersistentSubscriptionToAll(DOCTOR_GROUP, { startFrom: 'end', filter: { streamNamePrefixes: [DOCTOR_STREAM_PREFIX] }, messageTimeoutMs: 5_000 });
        return pass(`group ${DOCTOR_GROUP} created`);
      } catch (error) {
        if (error instanceof PersistentSubscriptionExistsError) return pass(`group ${DOCTOR_GROUP} exists`);
        throw error;
      }
    },
  );
  let before: Position | null = null;
  let appended: Position | null = null;
  // An event after ours that the filter drops: a filtered subscription must report a checkpoint past it.
  const passedStream = `${DOCTOR_STREAM_PREFIX}passed-${runId}`;
  let passed: Position | null = null;
  const data = { checkedAt: new Date().toISOString(), run: runId };
  const appendedOk = await checks.run('events.append', `${engine}: append and read back`, `${engine} must accept appends from this process (permissions, disk space, a leader to write to).`, async () => {
    before = await events.headPosition();
    const result = await events.appendToStream(stream, [{ type: 'DoctorChecked', data }], { expectedRevision: 'no_stream' });
    appended = result.position;
    const read: RecordedEvent[] = [];
    for await (const event of events.readStream(stream)) read.push(event);
    if (read.length !== 1 || JSON.stringify(read[0]?.data) !== JSON.stringify(data)) throw new Error(`read ${read.length} event(s) back from ${stream}, not the one appended`);
    passed = (await events.appendToStream(passedStream, [{ type: 'DoctorChecked', data }], { expectedRevision: 'no_stream' })).position;
    return pass(`appended to ${stream} at ${positionToString(result.position)} and read it back`);
  });
  if (!appendedOk || before === null || appended === null || passed === null) {
    checks.skip('events.subscription', `${engine}: filtered subscription checkpoint`, 'the append failed');
    checks.skip('events.persistentRead', `${engine}: persistent subscription delivery`, 'the append failed');
  } else {
    const from: Position = before;
    const at: Position = appended;
    const past: Position = passed;
    await checks.run(
      'events.subscription',
      `${engine}: filtered subscription checkpoint`,
      'Without checkpoints of filtered subscriptions a command can wait for a position no projection reports: EventStoreDB 22.6 or later.',
      async () => {
        let delivered = false;
        let checkpoint: Position | null = null;
        let dropped: Error | null = null;
        const subscription = events.subscribeToAll(
          { fromPosition: from, filter: { streamNamePrefixes: [stream] } },
          {
            onEvents: async (batch) => {
              if (batch.some((e) => e.streamId === stream)) delivered = true;
            },
            onCheckpoint: (position) => {
              if (comparePositions(position, past) >= 0) checkpoint = position;
            },
            onDropped: (error) => {
              dropped = error;
            },
          },
        );
        try {
          await until(() => (delivered && checkpoint !== null) || dropped !== null, CHECK_TIMEOUT_MS - 500, 'timed out');
        } catch {
          throw new Error(
            delivered
              ? `the event at ${positionToString(at)} came, but no checkpoint at or past the event after it that the filter drops (${positionToString(past)})`
              : `the event appended at ${positionToString(at)} was not delivered`,
          );
        } finally {
          await subscription.stop();
        }
        if (dropped !== null) throw dropped;
        return pass(`delivered, then a checkpoint at ${positionToString(checkpoint ?? past)} past an event the filter drops`);
      },
    );
    if (!groupReady) {
      checks.skip('events.persistentRead', `${engine}: persistent subscription delivery`, 'the group could not be created');
    } else {
      await checks.run('events.persistentRead', `${engine}: persistent subscription delivery`, 'Dispatchers read events through a persistent subscription group: it must deliver and take acks.', async () => {
        const subscription = events.subscribeToPersistentSubscriptionToAll(DOCTOR_GROUP);
        try {
          for await (const delivery of subscription) {
            await subscription.ack(delivery);
            if (delivery.event.streamId === stream) return pass(`delivered to group ${DOCTOR_GROUP} and acknowledged`);
          }
          throw new Error('the subscription ended before the event came');
        } finally {
          await subscription.stop();
        }
      });
    }
  }
  await checks.run('events.dispatcherGroup', `${engine}: dispatcher group "${DISPATCHER_GROUP}"`, 'Check that the group exists and its parked events.', async () => {
    try {
      const info = await events.getPersistentSubscriptionToAllInfo(DISPATCHER_GROUP);
      const detail = `exists (message timeout ${info.settings.messageTimeoutMs} ms, max retries ${info.settings.maxRetryCount}, ${info.inFlight} in flight, ${info.parkedCount} parked)`;
      // A parked event is a message whose deliveries were never planned: its endpoints got nothing.
      if (info.parkedCount > 0) return { status: 'warn', detail, fix: `Look at the dispatchers' log lines for why they parked them; once the cause is fixed, replay them to the group${engine === 'EventStoreDB' ? ' (EventStoreDB: "replay parked messages", in its UI or HTTP API)' : ''}.` };
      return pass(detail);
    } catch (error) {
      if (error instanceof PersistentSubscriptionNotFoundError) {
        return { status: 'warn', detail: 'not created yet', fix: 'The first dispatcher creates it at start: start a process with HOOKBASE_ROLES=dispatcher.' };
      }
      throw error;
    }
  });
};

const esdbChecks = async (checks: Checks, url: string, runId: string): Promise<void> => {
  const shown = redactUrl(url);
  const fixConnect = `Check HOOKBASE_ESDB_URL (${shown}): is EventStoreDB running and reachable from here? An insecure node needs ?tls=false; a secure one its CA (tlsCAFile=).`;
  // Loaded here: the client takes a second to load, which a doctor of an embedded layout does not need.
  const [{ EventStoreDBClient }, { EsdbEventStore }] = await Promise.all([import('@eventstore/db-client'), import('../../store/esdb/esdbEventStore')]);
  let client: InstanceType<typeof EventStoreDBClient>;
  try {
    client = EventStoreDBClient.connectionString(url);
  } catch (error) {
    checks.add({ id: 'esdb.connect', title: 'EventStoreDB: connect', status: 'fail', detail: `invalid connection string: ${messageOf(error)}`, fix: fixConnect });
    return;
  }
  const store = new EsdbEventStore(client, {});
  try {
    const started = Date.now();
    const connected = await checks.run('esdb.connect', 'EventStoreDB: connect', fixConnect, async () => {
      await store.verifyServer(CHECK_TIMEOUT_MS - 500);
      return pass(`${shown} answered in ${Date.now() - started} ms`);
    });
    if (!connected) return;
    await checks.run('esdb.version', 'EventStoreDB: server version', 'Hookbase needs EventStoreDB 22.6 or later (positions in append and read answers); 24.10 is what it is built for.', async () => {
      // The client fetches the server's version with its ServerFeatures call and keeps it on a protected getter
      // (@eventstore/db-client dist/Client/index.js `get capabilities`): read it there.
      const features = await (client as unknown as { capabilities: Promise<{ serverVersion: string }> }).capabilities;
      const version = features.serverVersion;
      const parsed = majorMinor(version);
      if (parsed === null) return { status: 'warn', detail: `the server does not report its version ("${version}")`, fix: 'Use EventStoreDB 22.6 or later.' };
      if (parsed[0] < 22 || (parsed[0] === 22 && parsed[1] < 6)) throw new Error(`version ${version} is older than 22.6`);
      return pass(version);
    });
    await eventStoreChecks(checks, withHashChain(store), 'EventStoreDB', runId);
  } finally {
    await store.close().catch(() => {});
  }
};

/** The embedded event store: only when its file exists (the doctor creates no data dir of its own). */
const embeddedEventChecks = async (checks: Checks, config: HookbaseConfig, runId: string): Promise<void> => {
  const file = join(config.dataDir, 'events.db');
  if (!existsSync(file)) {
    checks.add({ id: 'embedded.events', title: 'embedded event store', status: 'warn', detail: `${file} does not exist yet`, fix: 'The first start creates it; run doctor again once Hookbase has started with this HOOKBASE_DATA_DIR.' });
    return;
  }
  const { SqliteEventStore } = await import('../../store/embedded/sqliteEventStore');
  const store = SqliteEventStore.open(file, { synchronous: config.eventsSync });
  try {
    // Chained like every append to the log (docs/audit.md): `audit verify --log` refuses an unchained event once chaining began.
    await eventStoreChecks(checks, withHashChain(store), 'embedded events', runId);
  } finally {
    await store.close();
  }
};

type MongoOpened = Readonly<{ ops: ReadStore; close: () => Promise<void> }>;

const mongoChecks = async (checks: Checks, url: string, runId: string): Promise<MongoOpened | null> => {
  const shown = redactUrl(url);
  const { connectMongo } = await import('../../store/mongo/connect');
  const started = Date.now();
  const opening = connectMongo(url, { timeoutMs: CHECK_TIMEOUT_MS - 1_500 });
  opening.catch(() => {});
  const connected = await checks.run(
    'mongo.connect',
    'MongoDB: connect',
    `Check HOOKBASE_MONGO_URL (${shown}): is MongoDB running, reachable from here, and a replica set member (a single node will do: rs.initiate())? If the replica set names members this host cannot resolve, add directConnection=true.`,
    async () => {
      await opening;
      return pass(`${shown} answered in ${Date.now() - started} ms (replica set member)`);
    },
  );
  if (!connected) return null;
  const mongo = await opening;
  const { client, reads, ops, opsDb } = mongo;
  await checks.run('mongo.version', 'MongoDB: server version', 'Hookbase needs MongoDB 4.4 or later (transactions on a replica set); 7 is what it is built for.', async () => {
    const info = (await client.db('admin').command({ buildInfo: 1 })) as { version?: unknown };
    const version = typeof info.version === 'string' ? info.version : 'unknown';
    const parsed = majorMinor(version);
    if (parsed === null) return { status: 'warn', detail: `the server does not report its version ("${version}")`, fix: 'Use MongoDB 4.4 or later.' };
    if (parsed[0] < 4 || (parsed[0] === 4 && parsed[1] < 4)) throw new Error(`version ${version} is older than 4.4`);
    return pass(version);
  });
  const DOCTOR = { name: 'hookbase_doctor', indexes: [] };
  await checks.run('mongo.transaction', 'MongoDB: transaction', 'Projections write each batch and its checkpoint in one transaction: MongoDB must be a replica set member with transactions enabled.', async () => {
    await ops.transaction(async (tx) => {
      await tx.collection(DOCTOR).put({ id: runId, checkedAt: new Date().toISOString() });
    });
    const back = await ops.collection(DOCTOR).get(runId);
    await ops.transaction((tx) => tx.collection(DOCTOR).delete(runId));
    if (back === null) throw new Error('the document written in a committed transaction was not read back');
    return pass(`committed and read back in ${opsDb}`);
  });
  await checks.run('mongo.changeStream', 'MongoDB: change stream', 'Check that MongoDB is a replica set member (change streams need one).', async () => {
    // The API hears of the projections' progress through a change stream; without one it polls (store/mongo/watch.ts).
    const collection = client.db(opsDb).collection<{ _id: string; run: string }>('hookbase_doctor_changes');
    const stream = collection.watch([], { maxAwaitTimeMS: 250 });
    let seen = false;
    let failure: Error | null = null;
    stream.on('change', () => {
      seen = true;
    });
    stream.on('error', (error: Error) => {
      failure = error;
    });
    try {
      // The stream opens asynchronously: write until it reports a change (or fails).
      for (let i = 0; !seen && failure === null && i < 20; i++) {
        await collection.insertOne({ _id: `${runId}-${i}`, run: runId });
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await stream.close().catch(() => {});
      await collection.deleteMany({ run: runId }).catch(() => {});
    }
    if (seen) return pass('a write was reported by a change stream');
    const reason = failure === null ? 'no change reported within 5 s' : messageOf(failure);
    return {
      status: 'warn',
      detail: `no change streams (${reason}): read-your-writes across processes falls back to polling the projections' progress document (every 100 ms), so commands answer a little later and MongoDB is read more`,
      fix: 'Use a MongoDB replica set (4.4 or later) that serves change streams.',
    };
  });
  await checks.run('mongo.indexes', 'MongoDB: read model indexes', 'A projections process creates them at a collection\'s first write: start one (or run `hookbase projections rebuild`).', async () => {
    const { indexKey } = await import('../../store/mongo/query');
    const missing: string[] = [];
    const absent: string[] = [];
    for (const def of Object.values(collections) as CollectionDef[]) {
      // The adapter's own collection for the port's (MongoReadStore.raw), so the names cannot drift apart.
      const raw = reads.raw(def.name);
      let present: { key: Record<string, unknown>; unique?: boolean }[];
      try {
        present = (await raw.listIndexes().toArray()) as { key: Record<string, unknown>; unique?: boolean }[];
      } catch (error) {
        // NamespaceNotFound: nothing was projected into it yet.
        if ((error as { code?: number }).code === 26) {
          absent.push(def.name);
          continue;
        }
        throw error;
      }
      // A collection nothing was projected into yet has no indexes either (its first write creates them).
      if ((await raw.countDocuments({}, { limit: 1 })) === 0) {
        absent.push(def.name);
        continue;
      }
      const has = (key: Record<string, unknown>, unique: boolean): boolean =>
        present.some((index) => JSON.stringify(index.key) === JSON.stringify(key) && (!unique || index.unique === true));
      for (const index of def.indexes) {
        const key = indexKey(index);
        if (Object.keys(key).length > 1 && !has(key, false)) missing.push(`${def.name} ${JSON.stringify(key)}`);
      }
      for (const field of def.unique ?? []) if (!has({ [field]: 1 }, true)) missing.push(`${def.name} unique ${field}`);
    }
    const total = Object.keys(collections).length;
    const listed = missing.length > 6 ? `${missing.slice(0, 6).join('; ')}; and ${missing.length - 6} more` : missing.join('; ');
    if (missing.length > 0) return { status: 'warn', detail: `${missing.length} missing: ${listed}`, fix: 'Queries on these collections scan them: restart the projections process (indexes are created at a collection\'s first write) or rebuild.' };
    if (absent.length === total) return { status: 'warn', detail: 'no read model collection exists yet', fix: 'Start a projections process: it creates the collections and their indexes.' };
    return pass(`every declared index is there (${total - absent.length} of ${total} collections created${absent.length ? `; not yet: ${absent.join(', ')}` : ''})`);
  });
  return { ops, close: () => Promise.all([reads.close(), ops.close()]).then(() => undefined) };
};

/** The embedded operational state (the process records), when the file exists. */
const embeddedOps = async (config: HookbaseConfig): Promise<MongoOpened | null> => {
  const file = join(config.dataDir, OPERATIONAL_FILE);
  if (!existsSync(file)) return null;
  const { SqliteReadStore } = await import('../../store/embedded/sqliteReadStore');
  const ops = SqliteReadStore.open(file);
  return { ops, close: () => ops.close() };
};

/** This process's master key as Hookbase would load it, without creating one; null when there is none yet. */
const ownMasterKey = (checks: Checks, config: HookbaseConfig): Buffer | null => {
  const title = 'master key';
  const source = config.masterKey ? 'HOOKBASE_MASTER_KEY' : join(config.dataDir, 'master.key');
  const fix = 'Make one with `openssl rand -base64 32` and give that value to every process as HOOKBASE_MASTER_KEY.';
  let raw: string | null = config.masterKey;
  if (raw === null && existsSync(source)) raw = readFileSync(source, 'utf8').trim();
  if (raw === null) {
    checks.add({ id: 'masterKey', title, status: 'warn', detail: `none given and no ${source} yet (the first start generates it there)`, fix });
    return null;
  }
  try {
    const key = parseMasterKey(raw);
    checks.add({ id: 'masterKey', title, status: 'pass', detail: `from ${source}, fingerprint ${keyFingerprint(key)}` });
    return key;
  } catch (error) {
    checks.add({ id: 'masterKey', title, status: 'fail', detail: `${source}: ${messageOf(error)}`, fix });
    return null;
  }
};

/** The fingerprints the running processes recorded (cli/processRecord.ts) against this one's and each other's. */
const fingerprintCheck = async (checks: Checks, ops: ReadStore | null, key: Buffer | null, why: string): Promise<void> => {
  const title = 'master key: same in every process';
  if (ops === null) {
    checks.skip('masterKey.processes', title, why);
    return;
  }
  await checks.run('masterKey.processes', title, 'Give every process the same HOOKBASE_MASTER_KEY (and this doctor too), then restart the ones that differ.', async () => {
    const records: ProcessRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await ops.collection<ProcessRecord>(PROCESSES).find({ limit: 1000, ...(cursor ? { cursor } : {}) });
      records.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const now = Date.now();
    const running = records.filter((r) => now - Date.parse(r.seenAt) < STALE_AFTER_MS);
    if (running.length === 0) {
      return { status: 'warn', detail: 'no running Hookbase process has recorded itself', fix: 'Start Hookbase, then run doctor again to compare the master keys of its processes.' };
    }
    const expected = key === null ? running[0]?.keyFingerprint : keyFingerprint(key);
    const describe = (r: ProcessRecord): string => `${r.host} pid ${r.pid} (${r.roles.join(',')}): ${r.keyFingerprint}`;
    const differing = running.filter((r) => r.keyFingerprint !== expected);
    if (differing.length > 0) {
      const whose = key === null ? 'the first process' : 'this doctor';
      throw new Error(`${differing.length} of ${running.length} running process(es) use another master key than ${whose} (${expected}): ${differing.map(describe).join('; ')}`);
    }
    return pass(`${running.length} running process(es), all with fingerprint ${expected}`);
  });
};

/** Every check of the configured layout, in order: the data dir, the master key, the events' port, the reads' port, the key across processes. */
export const runDoctorChecks = async (config: HookbaseConfig): Promise<CheckResult[]> => {
  const checks = newChecks();
  const runId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  if (config.events === 'embedded' || config.reads === 'embedded') {
    await checks.run('dataDir', 'data dir', `HOOKBASE_DATA_DIR (${config.dataDir}) must be a directory this user can write, shared by every process of this host.`, async () => {
      if (!existsSync(config.dataDir)) {
        return { status: 'warn', detail: `${config.dataDir} does not exist yet`, fix: 'The first start creates it; run doctor again once Hookbase has started.' };
      }
      accessSync(config.dataDir, constants.W_OK);
      return pass(`${config.dataDir} is writable`);
    });
  } else {
    // Each process keeps only its generated API key there; still, it must be creatable.
    await checks.run('dataDir', 'data dir', `HOOKBASE_DATA_DIR (${config.dataDir}) must be a directory this user can write.`, async () => {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      accessSync(config.dataDir, constants.W_OK);
      return pass(`${config.dataDir} is writable`);
    });
  }
  const key = ownMasterKey(checks, config);
  if (config.events === 'esdb' && config.esdbUrl) await esdbChecks(checks, config.esdbUrl, runId);
  else await embeddedEventChecks(checks, config, runId);
  const opened = config.reads === 'mongo' && config.mongoUrl ? await mongoChecks(checks, config.mongoUrl, runId) : await embeddedOps(config);
  try {
    const why = config.reads === 'mongo' ? 'MongoDB could not be reached' : `no ${OPERATIONAL_FILE} in the data dir yet (no process has started)`;
    await fingerprintCheck(checks, opened?.ops ?? null, key, why);
  } finally {
    await opened?.close();
  }
  return checks.results;
};
