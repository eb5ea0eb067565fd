import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHILDREN_DIR_VARIABLE, killRecordedChildren } from './children';
import { startJongodb } from './jongodb';
import { startEsdbTestServerProcess } from '../esdb-server/launch';

/** The run's MongoDB wire server: `mongodb://127.0.0.1:PORT/` — tests add a database of their own (test/wire/databases.ts). */
export const WIRE_MONGO_VARIABLE = 'HOOKBASE_TEST_WIRE_MONGO';
/** The run's EventStoreDB test server (test/esdb-server): `esdb://127.0.0.1:PORT?tls=false`, shared by every test. */
export const WIRE_ESDB_VARIABLE = 'HOOKBASE_TEST_WIRE_ESDB';

/**
 * Starts what the whole run shares (the MongoDB wire server, the EventStoreDB test server) and the registry of child processes; at the end,
 * passed or failed (or interrupted), stops the server and kills every child a test started and left behind.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const childrenDir = mkdtempSync(join(tmpdir(), 'hookbase-test-children-'));
  process.env[CHILDREN_DIR_VARIABLE] = childrenDir;
  const [mongo, esdb] = await Promise.all([startJongodb(), startEsdbTestServerProcess()]);
  process.env[WIRE_MONGO_VARIABLE] = mongo.urlFor('{db}');
  process.env[WIRE_ESDB_VARIABLE] = esdb.url;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all([mongo.stop(), esdb.stop()]);
    const killed = killRecordedChildren(childrenDir);
    if (killed.length > 0) console.log(`teardown: killed ${killed.length} child process(es) left by tests: ${killed.join(', ')}`);
    rmSync(childrenDir, { recursive: true, force: true });
  };
  // Ctrl-C: vitest may exit without calling teardown; kill what we know of on the way out.
  process.once('exit', () => {
    if (!stopped) killRecordedChildren(childrenDir);
  });
  return stop;
}
