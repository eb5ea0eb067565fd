import { startEsdbTestServerProcess } from '../esdb-server/launch';
import type { EsdbTestServerProcess } from '../esdb-server/launch';

/**
 * The EventStoreDB wire server of the whole-system suite: our gRPC test server (test/esdb-server/, speaking the
 * real protocol to the real @eventstore/db-client), a fresh one per layout rather than the run's shared one
 * (HOOKBASE_TEST_WIRE_ESDB): `$all` and the dispatcher's group are server-wide, so suites sharing a server would
 * project and deliver each other's events.
 */
const started: EsdbTestServerProcess[] = [];

/** Starts a fresh test server (a recorded child process, killed by the run's teardown too); its URL. */
export const wireEsdbUrl = async (): Promise<string> => {
  const server = await startEsdbTestServerProcess();
  started.push(server);
  return server.url;
};

/** Stops every test server this file started. */
export const stopEsdbServers = async (): Promise<void> => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
};
