import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore, Position } from '../store/eventStore';
import { comparePositions, positionToString, START } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import { projectionProgress, recordSwap } from './progress';
import type { Projection } from './projection';
import type { RebuildJobDoc } from './rebuildJobs';
import { updateRebuildJob } from './rebuildJobs';
import { ProjectionRunner, resetProjections } from './runner';
import { shadowName, shadowReadStore } from './shadow';

/** What a rebuild needs from the projections of the lease holder (leadership.ts). */
export type RebuildHost = Readonly<{
  /** Where the live read models stand, or null when this process no longer writes them (lease lost). */
  livePosition: () => Position | null;
  /**
   * Stops the live runner between two lease ticks (the lease renewed first), calls `work` with where it stopped,
   * and starts a live runner again from the checkpoints, whatever `work` did.
   */
  withLiveStopped: (work: (stoppedAt: Position) => Promise<void>) => Promise<void>;
}>;

export type RebuildOptions = Readonly<{
  events: EventStore;
  reads: ReadStore;
  ops: ReadStore;
  job: RebuildJobDoc;
  /** The projections to rebuild. */
  projections: readonly Projection[];
  /** The lease holder (the progress document's owner). */
  owner: string;
  host: RebuildHost;
  log: (line: string) => void;
  /** How long the shadow may take to reach the live runner's last position once that stopped. */
  swapCatchUpMs?: number;
}>;

const REPORT_EVERY_MS = 500;

/** This process stopped writing the read models during a rebuild: the job is left to the next lease holder. */
export class LeaseLostError extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'LeaseLostError';
  }
}

/**
 * One zero-downtime rebuild: the projections run again from the start of `$all` into shadow collections (shadow.ts)
 * while the live ones keep serving; once the shadow reached the live runner, that runner stops for a moment, the
 * shadow catches up to exactly where it stopped, and the shadow collections replace the live ones in one
 * transaction of the read store, with their checkpoints and the progress document (so every ReadCache forgets
 * them). The live runner then goes on from the new checkpoints. Commands waiting for read-your-writes meanwhile
 * wait a little longer: the progress position never moves back.
 */
export class Rebuild {
  private cancelled: string | null = null;
  private runner: ProjectionRunner | null = null;

  constructor(private readonly options: RebuildOptions) {}

  /**
   * Stops the rebuild because this process stops writing the read models (lease lost, shutdown): the job goes back
   * to pending, and the next lease holder starts it again.
   */
  cancel(why: string): void {
    this.cancelled = why;
  }

  async run(): Promise<void> {
    const { events, reads, ops, job, projections, owner, host, log } = this.options;
    const shadow = shadowReadStore(reads);
    const startedMs = Date.now();
    let processed = 0;
    const report = async (change: Partial<RebuildJobDoc> = {}): Promise<void> => {
      const runner = this.runner;
      const position = runner?.position ?? START;
      const head = await events.headPosition();
      const elapsed = Math.max(0.001, (Date.now() - startedMs) / 1000);
      const started = comparePositions(position, START) > 0;
      // ETA from the rate at which the position moves (the unit of positions is the adapter's).
      const moved = started ? Number(position.commit) : 0;
      const remaining = Math.max(0, Number(head.commit - (started ? position.commit : 0n)));
      const etaSeconds = moved > 0 ? Math.round((remaining / (moved / elapsed)) * 10) / 10 : null;
      const ok = await updateRebuildJob(ops, job.id, owner, {
        position: started ? positionToString(position) : null,
        headPosition: positionToString(head),
        processedEvents: processed,
        eventsPerSecond: Math.round((processed / elapsed) * 10) / 10,
        etaSeconds,
        ...change,
      });
      if (!ok && this.cancelled === null) this.cancelled = 'the job was taken over by another projections process';
    };
    const timer = setInterval(() => void report().catch(() => {}), REPORT_EVERY_MS);
    timer.unref();
    try {
      log(`projections: rebuild ${job.id} of ${projections.map((p) => p.name).join(', ')} started`);
      // Whatever an earlier, interrupted rebuild left behind.
      await resetProjections(shadow, projections);
      const runner = new ProjectionRunner(events, shadow, projections, log, null);
      runner.onProgress((_position, _touched, count) => void (processed += count));
      this.runner = runner;
      await runner.start();
      // Catch up while the live runner keeps going.
      for (;;) {
        this.throwIfCancelled();
        const live = host.livePosition();
        if (live === null) throw new LeaseLostError('this process no longer holds the projections lease');
        if (comparePositions(runner.position, live) >= 0) break;
        await sleep(50);
      }
      await report({ state: 'swapping' });
      // With each collection's declaration: the swap builds the indexes the shadow was loaded without.
      const renames = projections.flatMap((p) => p.collections.map((c) => ({ from: shadowName(c.name), to: c.name, def: c })));
      await host.withLiveStopped(async (stoppedAt) => {
        this.throwIfCancelled();
        const deadline = Date.now() + (this.options.swapCatchUpMs ?? 10_000);
        while (comparePositions(runner.position, stoppedAt) < 0) {
          if (Date.now() > deadline) throw new Error('the shadow read models did not reach the live ones in time');
          await sleep(5);
        }
        await runner.stop();
        const at = runner.position;
        const marker = `${positionToString(at)} rebuilt by ${job.id}`;
        await reads.replaceCollections(renames, async (tx) => {
          if (comparePositions(at, START) > 0) for (const p of projections) await tx.setCheckpoint(p.name, positionToString(at));
          await recordSwap(tx, owner, renames.map((r) => r.to), marker);
        });
        if (comparePositions(at, START) === 0) for (const p of projections) await reads.deleteCheckpoint(p.name);
      });
      clearInterval(timer);
      await this.cleanUp(shadow);
      await report({ state: 'done', finishedAt: new Date().toISOString(), etaSeconds: 0 });
      log(`projections: rebuild ${job.id} swapped in after ${processed} events`);
    } catch (error) {
      clearInterval(timer);
      const message = error instanceof Error ? error.message : String(error);
      log(`projections: rebuild ${job.id} failed (${message})`);
      await this.runner?.stop().catch(() => {});
      await this.cleanUp(shadow).catch(() => {});
      const requeue = this.cancelled !== null || error instanceof LeaseLostError;
      const change: Partial<RebuildJobDoc> = requeue
        ? { state: 'pending', runner: null, position: null, processedEvents: 0, eventsPerSecond: 0, etaSeconds: null, startedAt: null }
        : { state: 'failed', error: message, finishedAt: new Date().toISOString() };
      await updateRebuildJob(ops, job.id, owner, change).catch(() => false);
    }
  }

  private throwIfCancelled(): void {
    if (this.cancelled !== null) throw new LeaseLostError(this.cancelled);
  }

  /** Drops the shadow's collections (after a swap: only those no event created), checkpoints and progress. */
  private async cleanUp(shadow: ReadStore): Promise<void> {
    await this.runner?.stop();
    await resetProjections(shadow, this.options.projections);
    await shadow.dropCollection(projectionProgress.name);
  }
}
