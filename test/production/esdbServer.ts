/**
 * The EventStoreDB wire server of the whole-system suite: our gRPC test server (test/esdb-server/, speaking the
 * real protocol to the real @eventstore/db-client). Each call starts a fresh one: `$all` and the dispatcher's
 * group are server-wide, so two suites on one server would read each other's events.
 */
export const esdbServerAvailable = false;

export const wireEsdbUrl = async (): Promise<string> => {
  throw new Error('the EventStoreDB test server (test/esdb-server/) is not on this branch yet');
};
