import { describe } from 'vitest';
import { eventStoreContract } from '../eventStore.contract';
import { redactUrl } from '../unreachable';
import { EsdbEventStore } from './esdbEventStore';

/**
 * The EventStore contract against a real EventStoreDB, whenever HOOKBASE_ESDB_URL is set (e.g.
 * esdb://localhost:2113?tls=false; `npm run test:production`). Without it every case of the suite is reported as
 * skipped, under a name that says why, never passed: no EventStoreDB server runs where this was written.
 */
const url = process.env.HOOKBASE_ESDB_URL;
const title = url ? `EventStoreDB at ${redactUrl(url)}` : 'EventStoreDB: SKIPPED, HOOKBASE_ESDB_URL is not set';
if (!url) console.warn(`EventStore contract: ${title}`);

describe.skipIf(!url)(title, () => {
  eventStoreContract('EventStoreDB', () => EsdbEventStore.connect(url ?? '', { timeoutMs: 10_000 }));
});
