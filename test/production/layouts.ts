import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadStore } from '../../store/embedded/sqliteReadStore';
import { connectMongo } from '../../store/mongo/connect';
import type { ReadStore } from '../../store/readStore';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../child';
import type { ChildHookbase } from '../child';
import { childLogFile, recordCredential } from '../logCollector';
import { programArgs } from '../build/command';
import { spawnRecorded } from '../wire/children';
import { wireMongoUrl } from '../wire/databases';
import { stopEsdbServers, wireEsdbUrl } from './esdbServer';

/**
 * The production layouts the whole-system suite runs (issue 16 item 3), each on the wire servers of the run:
 * MongoDB = jongodb (test/wire/jongodb.ts), EventStoreDB = our gRPC test server (test/esdb-server/).
 * - `production`: HOOKBASE_STORE=esdb, EventStoreDB events and MongoDB read models; every process a data dir of its own.
 * - `embedded-events+mongo`: the events in the shared data dir's events.db, read models and operational state in MongoDB.
 * - `esdb+embedded-reads`: EventStoreDB events, read models and operational state in the shared data dir.
 */
export type LayoutName = 'production' | 'embedded-events+mongo' | 'esdb+embedded-reads';
export const LAYOUTS: readonly LayoutName[] = ['production', 'embedded-events+mongo', 'esdb+embedded-reads'];

export type Layout = Readonly<{
  name: LayoutName;
  apiKey: string;
  /** Starts `npm start` as a child with these roles (recorded for the run's teardown); resolves once healthy. */
  start: (roles: string, extra?: Record<string, string>) => Promise<ChildHookbase>;
  /** The environment every process of the layout gets (for the CLI's doctor, among others). */
  env: (extra?: Record<string, string>) => Record<string, string>;
  /** The operational store the processes share (projections lease, process records). */
  openOps: () => Promise<ReadStore>;
  /** The children started so far. */
  children: () => readonly ChildHookbase[];
  /** Kills every child it started and deletes the data dirs. */
  stop: () => Promise<void>;
}>;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** How long a child may take to answer /health: it boots slowly when the shared machine is loaded (seen through tsx: 50 s). */
const HEALTHY_WITHIN_MS = 120_000;

/**
 * test/child.ts's startChildHookbase with a longer start deadline (it allows 30 s), and a child that does not become
 * healthy is killed rather than left running beside the test's processes. Recorded for the run's teardown, its
 * log lines joined to the run's scan for credentials, as there.
 */
const startChild = async (env: Record<string, string>, port: number): Promise<ChildHookbase> => {
  let output = '';
  // The run's bundle of the server (test/build/command.ts), or the sources through tsx with HOOKBASE_TEST_TSX=1.
  const child = spawnRecorded(process.execPath, programArgs('hookbase'), {
    cwd: ROOT,
    env: { ...process.env, HOOKBASE_PORT: String(port), HOOKBASE_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = childLogFile(child.pid ?? 0);
  if (env.HOOKBASE_API_KEY) recordCredential(env.HOOKBASE_API_KEY);
  const collect = (d: Buffer): void => {
    output += d.toString();
    appendFileSync(logFile, d);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const kill = (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + HEALTHY_WITHIN_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hookbase exited with ${child.exitCode}:\n${output}`);
    const healthy = await fetch(`${url}/health`).then((res) => res.status === 200, () => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`hookbase did not become healthy within ${HEALTHY_WITHIN_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { process: child, url, output: () => output, kill };
};

/** Whether the layout needs the EventStoreDB test server. */
export const usesEsdb = (name: LayoutName): boolean => name !== 'embedded-events+mongo';

export const openLayout = async (name: LayoutName, base: Record<string, string> = {}): Promise<Layout> => {
  // A whr_ key: the cloud-compatible /api takes it (COMPAT.md), /v1 too.
  const apiKey = `whr_${randomBytes(16).toString('hex')}`;
  const masterKey = randomBytes(32).toString('base64');
  const dirs: string[] = [];
  const newDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'hookbase-prod-'));
    dirs.push(dir);
    return dir;
  };
  const shared = newDir();
  const mongoUrl = name === 'esdb+embedded-reads' ? null : wireMongoUrl('prod');
  const esdbUrl = usesEsdb(name) ? await wireEsdbUrl() : null;
  if (name !== 'esdb+embedded-reads' && !mongoUrl) throw new Error('no MongoDB wire server: run under vitest (test/wire/globalSetup.ts)');
  const engines: Record<LayoutName, Record<string, string>> = {
    production: { HOOKBASE_STORE: 'esdb', HOOKBASE_ESDB_URL: esdbUrl ?? '', HOOKBASE_MONGO_URL: mongoUrl ?? '', HOOKBASE_MASTER_KEY: masterKey },
    // No master key: every process shares the data dir (events.db), where the first one generates it.
    'embedded-events+mongo': { HOOKBASE_EVENTS: 'embedded', HOOKBASE_READS: 'mongo', HOOKBASE_MONGO_URL: mongoUrl ?? '' },
    'esdb+embedded-reads': { HOOKBASE_EVENTS: 'esdb', HOOKBASE_READS: 'embedded', HOOKBASE_ESDB_URL: esdbUrl ?? '', HOOKBASE_MASTER_KEY: masterKey },
  };
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    HOOKBASE_API_KEY: apiKey,
    HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'true',
    HOOKBASE_RATE_LIMIT_API: '100000',
    HOOKBASE_RATE_LIMIT_SENDS: '100000',
    // The production layout: each process a data dir of its own (nothing shared but the servers).
    HOOKBASE_DATA_DIR: name === 'production' ? newDir() : shared,
    ...engines[name],
    ...base,
    ...extra,
  });
  const children: ChildHookbase[] = [];
  const opened: ReadStore[] = [];
  return {
    name,
    apiKey,
    env,
    start: async (roles, extra = {}) => {
      const child = await startChild(env({ HOOKBASE_ROLES: roles, ...extra }), await freePort());
      children.push(child);
      return child;
    },
    children: () => children,
    openOps: async () => {
      if (!mongoUrl) {
        const ops = SqliteReadStore.open(join(shared, 'operational.db'));
        opened.push(ops);
        return ops;
      }
      // The client closes once both of its stores are closed.
      const { reads, ops } = await connectMongo(mongoUrl);
      opened.push(reads, ops);
      return ops;
    },
    stop: async () => {
      await Promise.all(children.map((c) => c.kill()));
      for (const ops of opened) await ops.close().catch(() => {});
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      if (esdbUrl) await stopEsdbServers();
    },
  };
};
