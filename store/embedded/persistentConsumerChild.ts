/**
 * A test fixture (persistentSubscriptions.test.ts): one process consuming a persistent-subscription group of the
 * embedded store at argv[2]. Prints `ready`, then one JSON line per event it is handed; acks each after
 * `ackDelayMs`, or never (`hold`), as a consumer stuck on its events would.
 */
import { SqliteEventStore } from './sqliteEventStore';

const [path, group, mode, bufferSize, ackDelayMs] = process.argv.slice(2);
if (!path || !group || (mode !== 'ack' && mode !== 'hold')) {
  throw new Error('usage: persistentConsumerChild.ts <events.db> <group> ack|hold <bufferSize> <ackDelayMs>');
}
const store = SqliteEventStore.open(path);
const sub = store.subscribeToPersistentSubscriptionToAll(group, { bufferSize: Number(bufferSize ?? 10) });
const delay = Number(ackDelayMs ?? 0);
// The group's timers do not keep a process alive (a real one has its server for that): this does, until killed.
setInterval(() => {}, 60_000);
process.stdout.write('ready\n');
process.on('SIGTERM', () => void store.close().then(() => process.exit(0)));
for await (const pe of sub) {
  process.stdout.write(`${JSON.stringify({ position: String(pe.event.position.commit), retryCount: pe.retryCount, n: pe.event.data['n'] })}\n`);
  if (mode === 'ack') setTimeout(() => void sub.ack(pe), delay);
}
