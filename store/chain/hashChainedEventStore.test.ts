import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../embedded/sqliteEventStore';
import { eventStoreContract } from '../eventStore.contract';
import { withHashChain } from './hashChainedEventStore';

// The decorator every composition root applies keeps the port's whole contract (its appends add `chain` metadata).
const path = join(tmpdir(), `hookbase-chain-contract-${randomUUID()}.sqlite`);
eventStoreContract(
  'SqliteEventStore behind withHashChain',
  async () => withHashChain(SqliteEventStore.open(path)),
  () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  },
);
