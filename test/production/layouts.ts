import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadStore } from '../../store/embedded/sqliteReadStore';
import { connectMongo } from '../../store/mongo/connect';
import type { ReadStore } from '../../store/readStore';
import { freePort, startChildHookbase } from '../child';
import type { ChildHookbase } from '../child';
import { wireMongoUrl } from '../wire/databases';
import { wireEsdbUrl } from './esdbServer';

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
  /** Kills every child it started and deletes the data dirs. */
  stop: () => Promise<void>;
}>;

/** Whether the layout needs the EventStoreDB test server. */
export const usesEsdb = (name: LayoutName): boolean => name !== 'embedded-events+mongo';

export const openLayout = async (name: LayoutName, base: Record<string, string> = {}): Promise<Layout> => {
  const apiKey = `prod_key_${randomBytes(12).toString('hex')}`;
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
      const child = await startChildHookbase(env({ HOOKBASE_ROLES: roles, ...extra }), await freePort());
      children.push(child);
      return child;
    },
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
    },
  };
};
