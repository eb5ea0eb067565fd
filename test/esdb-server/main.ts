import { startEsdbTestServer } from './server';

/**
 * The EventStoreDB test server as a process of its own: `node --import tsx test/esdb-server/main.ts
 * [--max-append-size=BYTES]` prints `ESDB_TEST_SERVER_URL=esdb://127.0.0.1:PORT?tls=false` once it listens, and
 * stops on SIGTERM/SIGINT (or when its parent closes its stdin).
 */
const maxArg = process.argv.find((a) => a.startsWith('--max-append-size='));
const maxAppendSize = maxArg ? Number(maxArg.split('=')[1]) : undefined;
if (maxAppendSize !== undefined && !(Number.isInteger(maxAppendSize) && maxAppendSize > 0)) {
  console.error(`--max-append-size must be a positive integer (bytes), got ${maxArg}`);
  process.exit(2);
}
const server = await startEsdbTestServer(maxAppendSize === undefined ? {} : { maxAppendSize });
process.stdout.write(`ESDB_TEST_SERVER_URL=${server.url}\n`);
const stop = (): void => {
  void server.stop().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
