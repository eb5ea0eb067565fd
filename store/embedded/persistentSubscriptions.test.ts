import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventToAppend, PersistentEvent, PersistentSubscription } from '../eventStore';
import { SqliteEventStore } from './sqliteEventStore';
import { spawnRecorded } from '../../test/wire/children';

/**
 * The embedded persistent subscriptions with several connections on one file, as several processes on one data dir
 * (and with real processes): competing consumers coordinated through the database.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tempPath = (): string => join(tmpdir(), `hookbase-ps-${randomUUID()}.sqlite`);
const removeDb = (path: string): void => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
};
const ev = (n: number): EventToAppend => ({ type: 'Test', data: { n } });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const waitFor = async (what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
};

type Received = { n: number; retryCount: number; at: number };

/** Consumes in the background, recording what it is handed; `onEvent` acks (or not). */
const consume = (sub: PersistentSubscription, onEvent: (pe: PersistentEvent) => void) => {
  const received: Received[] = [];
  const done = (async () => {
    for await (const pe of sub) {
      received.push({ n: pe.event.data['n'] as number, retryCount: pe.retryCount, at: Date.now() });
      onEvent(pe);
    }
  })();
  return { received, stop: async () => (await sub.stop(), await done) };
};

describe('embedded persistent subscriptions across connections (processes) on one file', () => {
  const opened: Array<{ store: SqliteEventStore; path: string }> = [];
  const children: ChildProcess[] = [];
  const open = (path: string): SqliteEventStore => {
    const store = SqliteEventStore.open(path);
    opened.push({ store, path });
    return store;
  };

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const paths = new Set<string>();
    for (const { store, path } of opened.splice(0)) {
      await store.close();
      paths.add(path);
    }
    for (const path of paths) removeDb(path);
  });

  it('hands each event to one consumer at a time while both live, and shares the checkpoint', async () => {
    const path = tempPath();
    const a = open(path);
    const b = open(path);
    await a.createPersistentSubscriptionToAll('g', { startFrom: 'start' });
    const subA = a.subscribeToPersistentSubscriptionToAll('g', { bufferSize: 8 });
    const subB = b.subscribeToPersistentSubscriptionToAll('g', { bufferSize: 8 });
    // Each acks a little later, as a dispatcher does after its attempt.
    const ca = consume(subA, (pe) => void sleep(3).then(() => subA.ack(pe)));
    const cb = consume(subB, (pe) => void sleep(3).then(() => subB.ack(pe)));
    const N = 400;
    let last = 0n;
    for (let i = 0; i < N; i += 20) {
      const writer = i % 40 === 0 ? a : b;
      last = (await writer.appendToStream(`s-${i}`, Array.from({ length: 20 }, (_, j) => ev(i + j)))).position.commit;
      await sleep(5);
    }
    await waitFor('every event', () => ca.received.length + cb.received.length >= N);
    await sleep(300);
    const all = [...ca.received, ...cb.received];
    expect(all).toHaveLength(N);
    expect(new Set(all.map((r) => r.n)).size).toBe(N);
    expect(all.every((r) => r.retryCount === 0)).toBe(true);
    expect(ca.received.length).toBeGreaterThan(0);
    expect(cb.received.length).toBeGreaterThan(0);
    // One checkpoint for the group, whichever connection asks.
    for (const store of [a, b]) {
      const info = await store.getPersistentSubscriptionToAllInfo('g');
      expect(info.inFlight).toBe(0);
      expect(info.checkpoint?.commit).toBe(last);
    }
    await ca.stop();
    await cb.stop();
  });

  it('redelivers to the other connection what one holds unacked, after the message timeout', async () => {
    const path = tempPath();
    const a = open(path);
    const b = open(path);
    await a.createPersistentSubscriptionToAll('g', { startFrom: 'start', messageTimeoutMs: 600 });
    const subA = a.subscribeToPersistentSubscriptionToAll('g', { bufferSize: 5 });
    const held = consume(subA, () => {}); // takes five, acks nothing
    await a.appendToStream('s', Array.from({ length: 5 }, (_, i) => ev(i)));
    await waitFor('five held by a', () => held.received.length === 5);
    const heldAt = Date.now();
    const subB = b.subscribeToPersistentSubscriptionToAll('g', { bufferSize: 5 });
    const acking = consume(subB, (pe) => void subB.ack(pe));
    await waitFor('the held events at b', () => acking.received.length === 5);
    // Not before the timeout: until then they were a's alone.
    expect(Math.min(...acking.received.map((r) => r.at)) - heldAt).toBeGreaterThanOrEqual(450);
    expect(acking.received.map((r) => [r.n, r.retryCount])).toEqual([0, 1, 2, 3, 4].map((n) => [n, 1]));
    await sleep(200);
    expect((await b.getPersistentSubscriptionToAllInfo('g')).inFlight).toBe(0);
    await held.stop();
    await acking.stop();
  });

  it('gives back at once what a closing connection held, and a new settings reach the other connection', async () => {
    const path = tempPath();
    const a = SqliteEventStore.open(path);
    const b = open(path);
    await b.createPersistentSubscriptionToAll('g', { startFrom: 'start', messageTimeoutMs: 60_000 });
    const subA = a.subscribeToPersistentSubscriptionToAll('g', { bufferSize: 3 });
    const held = consume(subA, () => {});
    await a.appendToStream('s', Array.from({ length: 3 }, (_, i) => ev(i)));
    await waitFor('three held by a', () => held.received.length === 3);
    const subB = b.subscribeToPersistentSubscriptionToAll('g', { bufferSize: 3 });
    const acking = consume(subB, (pe) => void subB.ack(pe));
    await sleep(150);
    expect(acking.received).toEqual([]);
    await a.close(); // a process that stops: well before the 60 s timeout
    await waitFor('the events a held, at b', () => acking.received.length === 3, 3_000);
    await b.updatePersistentSubscriptionToAll('g', { messageTimeoutMs: 2_000, maxRetryCount: 3 });
    const c = open(path);
    expect((await c.getPersistentSubscriptionToAllInfo('g')).settings).toMatchObject({ messageTimeoutMs: 2_000, maxRetryCount: 3 });
    await acking.stop();
  });

  it('applies an updated message timeout to the consumers already subscribed, in every connection', async () => {
    const path = tempPath();
    const a = open(path);
    const b = open(path);
    await a.createPersistentSubscriptionToAll('g', { startFrom: 'start', messageTimeoutMs: 60_000 });
    const subB = b.subscribeToPersistentSubscriptionToAll('g', { bufferSize: 1 });
    let acking = false;
    const c = consume(subB, (pe) => void (acking ? subB.ack(pe) : undefined));
    await a.appendToStream('s', [ev(0)]);
    await waitFor('first delivery', () => c.received.length === 1);
    // Changed by the other connection: b's runtime learns it within a heartbeat, and the held event times out.
    await a.updatePersistentSubscriptionToAll('g', { messageTimeoutMs: 400 });
    acking = true;
    await waitFor('redelivery after the new timeout', () => c.received.length === 2, 5_000);
    expect(c.received.map((r) => [r.n, r.retryCount])).toEqual([
      [0, 0],
      [0, 1],
    ]);
    await c.stop();
  });

  const startChild = async (path: string, mode: 'ack' | 'hold', bufferSize: number, ackDelayMs: number) => {
    // Recorded, so that it dies with the run however the run ends (test/wire/children.ts).
    const child = spawnRecorded(process.execPath, ['--import', 'tsx', 'store/embedded/persistentConsumerChild.ts', path, 'g', mode, String(bufferSize), String(ackDelayMs)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const received: Received[] = [];
    let ready = false;
    let buffer = '';
    let errors = '';
    child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') ready = true;
        else if (line) {
          const r = JSON.parse(line) as { n: number; retryCount: number };
          received.push({ n: r.n, retryCount: r.retryCount, at: Date.now() });
        }
      }
    });
    await waitFor(`the ${mode} child ready`, () => {
      if (child.exitCode !== null) throw new Error(`child exited: ${errors}`);
      return ready;
    }, 30_000);
    return { child, received };
  };

  it('with real processes: shares events between two, and redelivers what a SIGKILLed one held long before the timeout', async () => {
    const path = tempPath();
    const writer = open(path);
    // A long timeout: what comes back quickly comes back because its holder is known to be gone.
    await writer.createPersistentSubscriptionToAll('g', { startFrom: 'start', messageTimeoutMs: 120_000 });
    const holder = await startChild(path, 'hold', 10, 0);
    const acker = await startChild(path, 'ack', 10, 20);
    const N = 100;
    for (let i = 0; i < N; i += 10) {
      await writer.appendToStream(`s-${i}`, Array.from({ length: 10 }, (_, j) => ev(i + j)));
      await sleep(20);
    }
    await waitFor('every event handed out', () => holder.received.length + acker.received.length >= N, 20_000).catch((e: unknown) => {
      throw new Error(`${String(e)}: holder ${holder.received.length}, acker ${acker.received.length}`);
    });
    await sleep(300);
    // While both live: each event to exactly one of them.
    const both = [...holder.received, ...acker.received];
    expect(both).toHaveLength(N);
    expect(new Set(both.map((r) => r.n)).size).toBe(N);
    expect(holder.received.length).toBeGreaterThan(0);
    expect(acker.received.length).toBeGreaterThan(0);
    const heldByHolder = holder.received.map((r) => r.n).sort((x, y) => x - y);

    holder.child.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor('what the killed process held, at the other', () => acker.received.length >= N, 15_000);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    const redelivered = acker.received.slice(N - heldByHolder.length);
    expect(redelivered.map((r) => r.n).sort((x, y) => x - y)).toEqual(heldByHolder);
    expect(redelivered.every((r) => r.retryCount === 1)).toBe(true);
    await sleep(300);
    expect(acker.received).toHaveLength(N);
    expect(new Set(acker.received.map((r) => r.n)).size).toBe(N);
    const deadline = Date.now() + 5_000;
    while ((await writer.getPersistentSubscriptionToAllInfo('g')).inFlight > 0 && Date.now() < deadline) await sleep(50);
    expect(await writer.getPersistentSubscriptionToAllInfo('g')).toMatchObject({ inFlight: 0, parkedCount: 0 });
  }, 60_000);

  it('with real processes: what a hung process (SIGSTOP) holds goes to the other after the message timeout', async () => {
    const path = tempPath();
    const writer = open(path);
    await writer.createPersistentSubscriptionToAll('g', { startFrom: 'start', messageTimeoutMs: 1_500 });
    const holder = await startChild(path, 'hold', 5, 0);
    await writer.appendToStream('s', Array.from({ length: 5 }, (_, i) => ev(i)));
    await waitFor('five held', () => holder.received.length === 5, 10_000);
    holder.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const acker = await startChild(path, 'ack', 10, 0);
    await waitFor('the hung process\'s events at the other', () => acker.received.length === 5, 15_000);
    // Its process is alive and it beat a moment ago: only the message timeout frees its events.
    expect(Math.min(...acker.received.map((r) => r.at)) - stoppedAt).toBeGreaterThanOrEqual(1_000);
    expect(acker.received.map((r) => [r.n, r.retryCount]).sort()).toEqual([0, 1, 2, 3, 4].map((n) => [n, 1]));
    holder.child.kill('SIGKILL');
  }, 60_000);
});

/**
 * What each commit on the connection is synced with: appends fsynced (FULL, a 202 survives power loss), a group's
 * claims and acks not (their loss on power failure redelivers, as a killed consumer's does).
 */
describe('embedded persistent subscriptions: what each commit syncs', () => {
  type Commit = { sync: string; statements: string[] };
  /** The store's commits, each with the `synchronous` in force at its COMMIT, from the connection's statements. */
  const recorder = (initial: string) => {
    const commits: Commit[] = [];
    let sync = initial;
    let open: string[] | null = null;
    const verbose = (sql: string): void => {
      const set = /^PRAGMA synchronous = (\w+)$/.exec(sql);
      if (set?.[1]) sync = set[1];
      else if (sql.startsWith('BEGIN')) open = [];
      else if (sql === 'COMMIT' && open) {
        commits.push({ sync, statements: open });
        open = null;
      } else open?.push(sql);
    };
    return { commits, verbose };
  };
  const touches = (c: Commit, table: string): boolean => c.statements.some((s) => new RegExp(`^(INSERT INTO|UPDATE|DELETE FROM) ${table}\\b`).test(s));

  const run = async (synchronous: 'FULL' | 'NORMAL'): Promise<Commit[]> => {
    const path = tempPath();
    const { commits, verbose } = recorder(synchronous);
    const store = SqliteEventStore.open(path, { synchronous, verbose });
    try {
      await store.createPersistentSubscriptionToAll('g', { startFrom: 'start' });
      const sub = store.subscribeToPersistentSubscriptionToAll('g', { bufferSize: 8 });
      const c = consume(sub, (pe) => void sub.ack(pe));
      for (let i = 0; i < 30; i += 10) await store.appendToStream(`s-${i}`, Array.from({ length: 10 }, (_, j) => ev(i + j)));
      await waitFor('every event', () => c.received.length >= 30);
      await waitFor('every ack', () => commits.some((commit) => touches(commit, 'ps_inflight') && commit.statements.some((s) => s.startsWith('DELETE FROM ps_inflight'))));
      await c.stop();
      return commits;
    } finally {
      await store.close();
      removeDb(path);
    }
  };

  it('fsyncs every append (FULL) and commits the claims and acks of a group without (NORMAL)', async () => {
    const commits = await run('FULL');
    const appends = commits.filter((c) => touches(c, 'events'));
    const bookkeeping = commits.filter((c) => touches(c, 'ps_inflight') && !touches(c, 'events'));
    expect(appends.length).toBeGreaterThanOrEqual(3);
    expect(appends.every((c) => c.sync === 'FULL')).toBe(true);
    expect(bookkeeping.length).toBeGreaterThan(0);
    expect(bookkeeping.map((c) => c.sync)).toEqual(bookkeeping.map(() => 'NORMAL'));
    // Creating a group stays durable: a group lost to a power cut would be made again from where it was asked to start.
    const created = commits.filter((c) => c.statements.some((s) => s.startsWith('INSERT INTO ps_groups') || s.startsWith('INSERT OR IGNORE INTO ps_groups')));
    expect(created.length).toBe(1);
    expect(created[0]?.sync).toBe('FULL');
  });

  it('leaves a NORMAL store NORMAL (HOOKBASE_EVENTS_SYNC=normal): nothing switches it to FULL', async () => {
    const commits = await run('NORMAL');
    expect(commits.length).toBeGreaterThan(3);
    expect(commits.every((c) => c.sync === 'NORMAL')).toBe(true);
  });
});
