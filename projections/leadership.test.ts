import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventMetadata } from '../domain/events';
import { streams } from '../domain/streams';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { WriteLock } from '../store/embedded/writeLock';
import type { EventStore } from '../store/eventStore';
import { allProjections, collections } from './index';
import type { ApplicationDoc } from './index';
import { ProjectionLeadership, projectionLeaseHolder } from './leadership';
import type { FencedOutError} from './progress';
import { readProgress } from './progress';
import { ProgressWatcher } from './progressWatcher';
import { ProjectionRunner } from './runner';

/**
 * Two projection runners on one checkpoint (issue 8's contract case): each has connections of its own to the same
 * files, as two processes would. They never both write — the read models stay exact — and the standby takes over
 * when the active one dies.
 */
const appId = (i: number): string => `app_01JLEAD${String(i).padStart(19, '0')}`;
const createApplication = (events: EventStore, i: number) =>
  events.appendToStream(
    streams.application(appId(i)),
    [{ type: 'ApplicationCreated', data: { applicationId: appId(i), name: `app ${i}`, uid: null, metadata: {}, createdAt: new Date().toISOString() }, metadata: eventMetadata('ApplicationCreated') }],
    { expectedRevision: 'no_stream' },
  );

type Process = { events: SqliteEventStore; reads: SqliteReadStore; ops: SqliteReadStore };

describe('two projection runners on one checkpoint', () => {
  let dir = '';
  const opened: Process[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hookbase-leadership-'));
  });
  // Shared write locks, as threads of one process have: connections on one thread must not wait for each other in
  // SQLite's busy handler (it blocks the thread that would finish the other's transaction).
  const locks = { events: new WriteLock(), reads: new WriteLock(), ops: new WriteLock() };
  const open = (): Process => {
    const p = {
      events: SqliteEventStore.open(join(dir, 'events.db'), { writeLock: locks.events }),
      reads: SqliteReadStore.open(join(dir, 'read-models.db'), { writeLock: locks.reads }),
      ops: SqliteReadStore.open(join(dir, 'operational.db'), { writeLock: locks.ops }),
    };
    opened.push(p);
    return p;
  };
  afterEach(async () => {
    for (const p of opened.splice(0)) {
      await p.events.close();
      await p.reads.close();
      await p.ops.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('one writes, the standby takes over when it dies, and the read models are exact', async () => {
    const first = open();
    const second = open();
    const writer = open();
    const lines: string[] = [];
    const leaderA = new ProjectionLeadership(first.events, first.reads, first.ops, allProjections, { owner: 'A', leaseMs: 600, standbyCheckMs: 50, log: (l) => lines.push(l) });
    const leaderB = new ProjectionLeadership(second.events, second.reads, second.ops, allProjections, { owner: 'B', leaseMs: 600, standbyCheckMs: 50, log: (l) => lines.push(l) });
    await leaderA.start();
    await leaderB.start();
    expect(leaderA.active).toBe(true);
    expect(leaderB.active).toBe(false);
    const batchesOf = { A: 0, B: 0 };
    leaderA.onProgress(() => batchesOf.A++);
    leaderB.onProgress(() => batchesOf.B++);

    // Appended by a third connection: neither runner hears of it unless told (another process's commit).
    const watcher = new ProgressWatcher(writer.reads);
    await watcher.start(20);
    for (let i = 0; i < 50; i++) await createApplication(writer.events, i);
    first.events.notifyCommitted();
    second.events.notifyCommitted();
    expect(await watcher.waitFor((await writer.events.headPosition()), 5_000)).toBe(true);
    expect(batchesOf.B).toBe(0);

    // A dies without a word (no release): its lease runs out, B takes over and goes on from A's checkpoint.
    await leaderA.stop(false);
    for (let i = 50; i < 100; i++) await createApplication(writer.events, i);
    const started = Date.now();
    second.events.notifyCommitted();
    const caughtUp = await watcher.waitFor(await writer.events.headPosition(), 5_000);
    expect(caughtUp).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(leaderB.active).toBe(true);
    expect((await projectionLeaseHolder(second.ops))?.owner).toBe('B');
    expect(batchesOf.B).toBeGreaterThan(0);
    expect(await writer.reads.collection<ApplicationDoc>(collections.applications).count()).toBe(100);
    expect((await readProgress(writer.reads))?.owner).toBe('B');
    await leaderB.stop();
    watcher.close();
  });

  it('a runner whose lease went to another writes nothing more: its batch is refused (fenced)', async () => {
    const first = open();
    const second = open();
    const lines: string[] = [];
    // A takes the lease and projects; then (paused past its lease, say) B takes it over.
    const leaderA = new ProjectionLeadership(first.events, first.reads, first.ops, allProjections, { owner: 'A', leaseMs: 60_000, log: (l) => lines.push(l) });
    await leaderA.start();
    await createApplication(first.events, 1);
    const watcher = new ProgressWatcher(first.reads);
    await watcher.start(20);
    expect(await watcher.waitFor(await first.events.headPosition(), 5_000)).toBe(true);

    // B runs without asking the lease (as a runner that believes it holds it would): it claims the fence.
    const { claimProgress } = await import('./progress');
    await claimProgress(second.reads, 'B');
    const runnerB = new ProjectionRunner(second.events, second.reads, allProjections, () => {}, 'B');
    await runnerB.start();

    // A's next batch is refused; only B's commits.
    const fenced = new Promise<FencedOutError>((resolve) => {
      const runner = (leaderA as unknown as { runner: ProjectionRunner | null }).runner;
      runner?.onFenced(resolve);
    });
    await createApplication(first.events, 2);
    first.events.notifyCommitted();
    second.events.notifyCommitted();
    const error = await fenced;
    expect(error.holder).toBe('B');
    expect(leaderA.active).toBe(false);
    expect(await watcher.waitFor(await first.events.headPosition(), 5_000)).toBe(true);
    expect(await first.reads.collection<ApplicationDoc>(collections.applications).count()).toBe(2);
    expect(lines.some((l) => l.includes('no longer holds the lease'))).toBe(true);
    await runnerB.stop();
    await leaderA.stop();
    watcher.close();
  });
});

