import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { eventMetadata } from '../domain/events';
import { streams } from '../domain/streams';
import { collections } from '../projections';
import type { ApplicationDoc } from '../projections';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { WriteLock } from '../store/embedded/writeLock';
import type { BackgroundThread } from './backgroundThread';
import { COMMIT_SIGNAL_SLOTS, joinCommitSignal, newCommitSignal, startBackgroundThread } from './backgroundThread';

// The projections on a worker thread, as the embedded deployment runs them: a command appended here is projected
// there, and waitFor says so. If the thread dies, a new one takes over from the checkpoints.
describe('a background thread running the projections', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const start = async (): Promise<{ events: SqliteEventStore; reads: SqliteReadStore; thread: BackgroundThread; lines: string[] }> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-thread-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const locks = { events: new WriteLock(), reads: new WriteLock(), ops: new WriteLock() };
    const events = SqliteEventStore.open(join(dataDir, 'events.db'), { writeLock: locks.events, autoCheckpoint: false });
    const reads = SqliteReadStore.open(join(dataDir, 'read-models.db'), { writeLock: locks.reads, autoCheckpoint: false });
    const commitSignal = newCommitSignal();
    const leave = joinCommitSignal(commitSignal, COMMIT_SIGNAL_SLOTS.main, events);
    const lines: string[] = [];
    const thread = await startBackgroundThread({
      name: 'projections',
      dataDir,
      masterKey: Buffer.alloc(32, 7),
      projections: true,
      dispatcher: null,
      checkpointEveryMs: 100,
      commitSignal,
      commitSlot: COMMIT_SIGNAL_SLOTS.projections,
      events,
      reads,
      locks,
      log: (line) => lines.push(line),
      stopTimeoutMs: 1_000,
      owner: 'test-process',
    });
    cleanups.push(async () => {
      await thread.stop();
      leave();
      await events.close();
      await reads.close();
    });
    return { events, reads, thread, lines };
  };

  const createApplication = async (events: SqliteEventStore, id: string) => {
    const now = new Date().toISOString();
    return events.appendToStream(
      streams.application(id),
      [{ type: 'ApplicationCreated', data: { applicationId: id, name: `App ${id}`, uid: null, metadata: {}, createdAt: now }, metadata: eventMetadata('ApplicationCreated') }],
      { expectedRevision: 'no_stream' },
    );
  };

  it('projects what this thread appends, and says when', async () => {
    const { events, reads, thread } = await start();
    const { position } = await createApplication(events, 'app_01JTHREAD0000000000000000A');
    expect(await thread.projections?.waitFor(position, 5_000)).toBe(true);
    const doc = await reads.collection<ApplicationDoc>(collections.applications).get('app_01JTHREAD0000000000000000A');
    expect(doc?.name).toBe('App app_01JTHREAD0000000000000000A');
    const status = await thread.projections?.status();
    expect(status?.find((s) => s.name === 'applications')).toMatchObject({ lag: 0, state: 'running' });
  });

  it('starts a new thread when it dies, which takes over from the checkpoints', async () => {
    const { events, reads, thread, lines } = await start();
    const first = thread.worker();
    expect(first).not.toBeNull();
    await first?.terminate();
    // Appended while no thread runs the projections: the next one projects it.
    const { position } = await createApplication(events, 'app_01JTHREAD0000000000000000B');
    expect(await thread.projections?.waitFor(position, 15_000)).toBe(true);
    expect(thread.worker()).not.toBeNull();
    expect(thread.worker()).not.toBe(first);
    expect(lines.some((l) => /projections thread exited .*restarting/.test(l))).toBe(true);
    expect(await reads.collection<ApplicationDoc>(collections.applications).get('app_01JTHREAD0000000000000000B')).not.toBeNull();
  });
});

// The commit signal between connections to one file: a listening store's subscriptions hear of the others' commits
// at once; a store that does not listen (nothing to wake) is not notified at all.
describe('the commit signal', () => {
  it('wakes the subscriptions of listening stores only', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-signal-'));
    const lock = new WriteLock();
    const quiet = SqliteEventStore.open(join(dataDir, 'events.db'), { writeLock: lock });
    const listener = SqliteEventStore.open(join(dataDir, 'events.db'), { writeLock: lock });
    const signal = newCommitSignal();
    const leaveQuiet = joinCommitSignal(signal, COMMIT_SIGNAL_SLOTS.main, quiet, { listen: false });
    const leaveListener = joinCommitSignal(signal, COMMIT_SIGNAL_SLOTS.projections, listener, { listen: true });
    try {
      const seen: string[] = [];
      let heard: () => void = () => {};
      const sub = listener.subscribeToAll({}, { onEvents: async (batch) => { seen.push(...batch.map((e) => e.streamId)); heard(); } });
      const arrived = new Promise<void>((resolve) => (heard = resolve));
      const event = { type: 'Noted', data: {}, metadata: {} };
      await quiet.appendToStream('note-1', [event]);
      // Within a second: without the signal the listener would only look again at its own next commit.
      await Promise.race([arrived, new Promise((_, reject) => setTimeout(() => reject(new Error('the listener was not woken')), 1_000))]);
      expect(seen).toEqual(['note-1']);
      // A burst: one notification may cover many commits, and none is missed.
      const burst = Array.from({ length: 50 }, (_, i) => `burst-${i}`);
      for (const stream of burst) await quiet.appendToStream(stream, [event]);
      // Well within the follower's 1 s fallback wait: a missed notification would show.
      const deadline = Date.now() + 700;
      while (seen.length < 1 + burst.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(seen).toEqual(['note-1', ...burst]);
      await listener.appendToStream('note-2', [event]);
      const counters = new Int32Array(signal, 0, Object.keys(COMMIT_SIGNAL_SLOTS).length);
      expect(counters[COMMIT_SIGNAL_SLOTS.projections]).toBe(1 + burst.length); // the quiet store's commits
      expect(counters[COMMIT_SIGNAL_SLOTS.main]).toBe(0); // nobody notifies a store that does not listen
      await sub.stop();
    } finally {
      leaveQuiet();
      leaveListener();
      await quiet.close();
      await listener.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('misses no commit of another thread: each is seen well before the 1 s fallback wait', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-signal-'));
    const lock = new WriteLock();
    const listener = SqliteEventStore.open(join(dataDir, 'events.db'), { writeLock: lock });
    const signal = newCommitSignal();
    const leave = joinCommitSignal(signal, COMMIT_SIGNAL_SLOTS.projections, listener, { listen: true });
    const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
    const here = (file: string) => JSON.stringify(new URL(file, import.meta.url).href);
    // Another thread commits one event at a time, at irregular moments, so that some land while this thread is
    // busy reading and some while it waits: the moments where a notification could fall between two stools.
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import(${JSON.stringify(tsx)}).then(async (tsx) => {
         tsx.register();
         const { SqliteEventStore } = await import(${here('../store/embedded/sqliteEventStore.ts')});
         const { WriteLock } = await import(${here('../store/embedded/writeLock.ts')});
         const { joinCommitSignal } = await import(${here('./backgroundThread.ts')});
         const store = SqliteEventStore.open(workerData.path, { writeLock: new WriteLock(workerData.lock) });
         const leave = joinCommitSignal(workerData.signal, workerData.slot, store, { listen: false });
         for (let i = 0; i < workerData.count; i++) {
           await store.appendToStream('tick-' + i, [{ type: 'Tick', data: { at: Date.now() } }]);
           const pause = Math.random() * 2;
           if (pause > 0.5) await new Promise((r) => setTimeout(r, pause));
         }
         leave();
         await store.close();
         parentPort.postMessage('done');
       });`,
      { eval: true, workerData: { path: join(dataDir, 'events.db'), lock: lock.buffer, signal, slot: COMMIT_SIGNAL_SLOTS.dispatcher, count: 1_500 } },
    );
    try {
      let seen = 0;
      let worst = 0;
      const sub = listener.subscribeToAll({}, {
        onEvents: async (batch) => {
          for (const e of batch) worst = Math.max(worst, Date.now() - (e.data as { at: number }).at);
          seen += batch.length;
        },
      });
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      });
      const deadline = Date.now() + 5_000;
      while (seen < 1_500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await sub.stop();
      expect(seen).toBe(1_500);
      expect(worst).toBeLessThan(500);
    } finally {
      await worker.terminate();
      leave();
      await listener.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
