import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { EmbeddedWriteLocks } from '../cli/backgroundThread';
import { COMMIT_SIGNAL_SLOTS, newCommitSignal, startBackgroundThread } from '../cli/backgroundThread';
import { WAL_CHECKPOINT_EVERY_MS } from '../cli/hookbase';
import { OPERATIONAL_FILE } from '../cli/operational';
import { WriteLock } from '../store/embedded/writeLock';
import { performance } from 'node:perf_hooks';
import { allProjections, ProjectionRunner } from '../projections';
import { ProjectionLeadership } from '../projections/leadership';
import type { RebuildJobDoc } from '../projections/rebuildJobs';
import { readRebuildJob, requestRebuild } from '../projections/rebuildJobs';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { eventsDbPath } from './hookbase';

/** One operator's rebuild, as timed by the bench. */
export type OperatorRebuild = Readonly<{
  /** From the job's claim by the lease holder to its swap and clean-up (the job's own startedAt → finishedAt). */
  rebuildMs: number;
  /** From the request (what the admin route writes) to the job seen done: adds the wait for a lease tick. */
  wallMs: number;
  /** CPU time of this process from the request to the job seen done (all threads; less sensitive to a shared machine). */
  cpuMs: number;
  job: RebuildJobDoc;
}>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The rebuild an operator runs (`hookbase projections rebuild`, `POST /v1/admin/projections/rebuild`): a pending job
 * in the operational store, picked up by the projections lease holder (ProjectionLeadership, as in a Hookbase
 * process), which replays `$all` into the shadow collections and swaps them in. The live read models of `dataDir`
 * are first brought up to the head, so that the live runner is idle while the rebuild runs. The stores are opened as
 * Hookbase opens them: their WAL files checkpointed by a thread of their own.
 */
export const runOperatorRebuild = async (dataDir: string, timeoutMs = 600_000): Promise<OperatorRebuild> => {
  // As in a Hookbase process (cli/hookbase.ts): commits never checkpoint; Hookbase's own WAL-checkpoint thread does,
  // sharing each file's write lock with this thread's stores.
  const locks: EmbeddedWriteLocks = { events: new WriteLock(), reads: new WriteLock(), ops: new WriteLock() };
  const events = SqliteEventStore.open(eventsDbPath(dataDir), { autoCheckpoint: false, writeLock: locks.events });
  const reads = SqliteReadStore.open(join(dataDir, 'read-models.db'), { autoCheckpoint: false, writeLock: locks.reads });
  const ops = SqliteReadStore.open(join(dataDir, OPERATIONAL_FILE), { autoCheckpoint: false, writeLock: locks.ops });
  const checkpoints = await startBackgroundThread({
    name: 'WAL checkpoint',
    dataDir,
    masterKey: randomBytes(32),
    projections: false,
    dispatcher: null,
    checkpointEveryMs: WAL_CHECKPOINT_EVERY_MS,
    commitSignal: newCommitSignal(),
    commitSlot: COMMIT_SIGNAL_SLOTS.walCheckpoints,
    events,
    reads,
    locks,
    log: () => {},
    stopTimeoutMs: 1_000,
    owner: `bench-checkpoints-${process.pid}`,
    auditAnchors: null,
  });
  let leadership: ProjectionLeadership | null = null;
  try {
    const head = await events.headPosition();
    const live = new ProjectionRunner(events, reads, allProjections);
    await live.start();
    const caughtUp = await live.waitFor(head, timeoutMs);
    await live.stop();
    if (!caughtUp) throw new Error('the live read models did not reach the head');
    leadership = new ProjectionLeadership(events, reads, ops, allProjections, { owner: `bench-${process.pid}`, leaseMs: 600, standbyCheckMs: 50 });
    await leadership.start();
    const requested = performance.now();
    const cpu = process.cpuUsage();
    const { id } = await requestRebuild(ops, [], new Date());
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await readRebuildJob(ops, id);
      if (job?.state === 'failed') throw new Error(`rebuild ${id} failed: ${job.error ?? 'unknown error'}`);
      if (job?.state === 'done' && job.startedAt !== null && job.finishedAt !== null) {
        const wallMs = performance.now() - requested;
        const used = process.cpuUsage(cpu);
        return { rebuildMs: Date.parse(job.finishedAt) - Date.parse(job.startedAt), wallMs, cpuMs: (used.user + used.system) / 1000, job };
      }
      if (Date.now() > deadline) throw new Error(`rebuild ${id} still ${job?.state ?? 'missing'} after ${timeoutMs} ms`);
      await sleep(10);
    }
  } finally {
    await leadership?.stop();
    await checkpoints.stop();
    await ops.close();
    await reads.close();
    await events.close();
  }
};
