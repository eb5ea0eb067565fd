import { randomUUID } from 'node:crypto';
import type { CollectionDef, ReadStore } from '../store/readStore';

/**
 * Rebuild jobs live in the operational store (never a read model: a rebuild must not drop its own record). Any
 * process may request one (the API route writes a pending job); the process that holds the projections lease
 * picks it up on its next lease tick and runs it (rebuild.ts), writing its progress into the same document, which
 * every API process reads back. The `current` document is the one-at-a-time lock.
 */
export const rebuildJobs = { name: 'projection_rebuilds', indexes: [] } as const satisfies CollectionDef;

const CURRENT_ID = 'current';

export type RebuildState = 'pending' | 'running' | 'swapping' | 'done' | 'failed';

export type RebuildJobDoc = {
  id: string;
  /** The projections rebuilt (all of them when none were named). */
  names: string[];
  state: RebuildState;
  /** The lease holder running it (null while pending). */
  runner: string | null;
  /** Where the shadow read models stand in `$all` (decimal string), null before the first batch. */
  position: string | null;
  headPosition: string | null;
  processedEvents: number;
  eventsPerSecond: number;
  etaSeconds: number | null;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
};

type CurrentDoc = { id: string; jobId: string };

export class RebuildInProgressError extends Error {
  constructor(readonly jobId: string) {
    super(`Rebuild ${jobId} is still running`);
    this.name = 'RebuildInProgressError';
  }
}

export const isActive = (state: RebuildState): boolean => state === 'pending' || state === 'running' || state === 'swapping';

/** Records a pending rebuild of `names`, unless one is pending or running (RebuildInProgressError). */
export const requestRebuild = (ops: ReadStore, names: readonly string[], now: Date): Promise<RebuildJobDoc> =>
  ops.transaction(async (tx) => {
    const jobs = tx.collection<RebuildJobDoc>(rebuildJobs);
    const current = await tx.collection<CurrentDoc>(rebuildJobs).get(CURRENT_ID);
    const running = current ? await jobs.get(current.jobId) : null;
    if (running && isActive(running.state)) throw new RebuildInProgressError(running.id);
    const job: RebuildJobDoc = {
      id: `rbj_${randomUUID().replaceAll('-', '')}`,
      names: [...names],
      state: 'pending',
      runner: null,
      position: null,
      headPosition: null,
      processedEvents: 0,
      eventsPerSecond: 0,
      etaSeconds: null,
      requestedAt: now.toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
    };
    await jobs.put(job);
    await tx.collection<CurrentDoc>(rebuildJobs).put({ id: CURRENT_ID, jobId: job.id });
    return job;
  });

export const readRebuildJob = async (ops: ReadStore, jobId: string): Promise<RebuildJobDoc | null> => {
  if (jobId === CURRENT_ID) return null;
  return ops.collection<RebuildJobDoc>(rebuildJobs).get(jobId);
};

/** The job that is pending or running, if any. */
export const currentRebuildJob = async (ops: ReadStore): Promise<RebuildJobDoc | null> => {
  const current = await ops.collection<CurrentDoc>(rebuildJobs).get(CURRENT_ID);
  const job = current ? await ops.collection<RebuildJobDoc>(rebuildJobs).get(current.jobId) : null;
  return job && isActive(job.state) ? job : null;
};

/** Updates a job, unless another runner took it over meanwhile (a lease that changed hands): false then. */
export const updateRebuildJob = (ops: ReadStore, jobId: string, runner: string, change: Partial<RebuildJobDoc>): Promise<boolean> =>
  ops.transaction(async (tx) => {
    const jobs = tx.collection<RebuildJobDoc>(rebuildJobs);
    const job = await jobs.get(jobId);
    if (!job || (job.runner !== null && job.runner !== runner) || !isActive(job.state)) return false;
    await jobs.put({ ...job, runner, ...change });
    return true;
  });

/** Takes a job over: a pending one, or one whose runner no longer holds the lease (it starts again). */
export const claimRebuildJob = (ops: ReadStore, jobId: string, runner: string, now: Date): Promise<RebuildJobDoc | null> =>
  ops.transaction(async (tx) => {
    const jobs = tx.collection<RebuildJobDoc>(rebuildJobs);
    const job = await jobs.get(jobId);
    if (!job || !isActive(job.state)) return null;
    const claimed: RebuildJobDoc = { ...job, runner, state: 'running', startedAt: now.toISOString(), position: null, processedEvents: 0, eventsPerSecond: 0, etaSeconds: null };
    await jobs.put(claimed);
    return claimed;
  });
