import { describe } from 'vitest';
import { startEsdbTestServer } from '../../test/esdb-server/server';
import type { EsdbTestServer } from '../../test/esdb-server/server';
import { eventStoreContract } from '../eventStore.contract';
import { redactUrl } from '../unreachable';
import { EsdbEventStore } from './esdbEventStore';

/**
 * The EventStore contract over the real `@eventstore/db-client`: against the EventStoreDB test server
 * (test/esdb-server, the gRPC protocol on an in-memory log) in every `npm test`, and against a real EventStoreDB
 * too whenever HOOKBASE_ESDB_URL is set (e.g. esdb://localhost:2113?tls=false; `npm run test:production`).
 */
const realUrl = process.env.HOOKBASE_ESDB_URL;

describe('EventStoreDB test server (test/esdb-server)', () => {
  let server: EsdbTestServer | undefined;
  eventStoreContract(
    'EventStoreDB test server',
    async () => {
      server = await startEsdbTestServer();
      return EsdbEventStore.connect(server.url, { timeoutMs: 10_000 });
    },
    async () => {
      await server?.stop();
    },
  );
});

const title = realUrl ? `EventStoreDB at ${redactUrl(realUrl)}` : 'a real EventStoreDB: SKIPPED, HOOKBASE_ESDB_URL is not set';
describe.skipIf(!realUrl)(title, () => {
  eventStoreContract('EventStoreDB', () => EsdbEventStore.connect(realUrl ?? '', { timeoutMs: 10_000 }));
});
