import type { EventStore, Position } from '../store/eventStore';
import type { CollectionDef, ReadStore } from '../store/readStore';
import { claimProgress } from './progress';
import type { Projection } from './projection';
import { LeaseLostError, Rebuild } from './rebuild';
import { claimRebuildJob, currentRebuildJob } from './rebuildJobs';
import type { ProgressListener, ProjectionStatus } from './runner';
import { ProjectionRunner, projectionStatusFromCheckpoints } from './runner';

/**
 * Only one projections process writes the read models at a time. The lease is a document in the operational
 * store (owner, expiresAt), renewed every third of its term; another process waits as a standby and takes it when
 * it runs out (the holder died). A lease alone cannot stop a holder that was paused past its term from writing one
 * more batch, so taking over also writes the new owner into the progress document in the read store, and every
 * batch commits only while that document names its runner (progress.ts): the read models never see two writers.
 */
export const projectionLeases = { name: 'projection_leases', indexes: [] } as const satisfies CollectionDef;

const LEASE_ID = 'projections';

export type ProjectionLeaseDoc = { id: string; owner: string; expiresAt: number };

/** Work that runs only in the process holding the lease, beside the projections (the audit anchors' writer). */
export type LeaseTask = Readonly<{
  /** Idempotent; never throws (a task logs and retries its own failures). */
  start: () => Promise<void>;
  stop: () => Promise<void>;
  /**
   * Given each runner this process starts, before it starts: a task that reads `$all` takes the runner's batches
   * instead of reading the log a second time (the audit anchors' writer, docs/audit.md "Defaults and their cost").
   */
  follow?: (feed: Pick<ProjectionRunner, 'onBatch'>) => void;
}>;

export type LeadershipOptions = Readonly<{
  /** Who we are in the lease (unique per process). */
  owner: string;
  /** How long a lease lasts unless renewed: a standby takes over at most this long (plus a check) after a death. */
  leaseMs?: number;
  /** How often a standby looks at the lease. */
  standbyCheckMs?: number;
  log?: (line: string) => void;
  now?: () => number;
  /** Started when this process takes the lease, stopped when it loses it or stops. */
  whileActive?: readonly LeaseTask[];
}>;

/**
 * Takes the lease if it is free, expired or already ours; true when we hold it until `now + leaseMs`. With a store
 * that has `putIf` (MongoDB), one atomic conditional write: it holds on a server whose transactions do not refuse
 * concurrent updates of one document (jongodb, measured: store/mongo/jongodb.measure.test.ts), where two standbys
 * taking an expired lease in transactions would both win.
 */
export const acquireProjectionLease = async (ops: ReadStore, owner: string, leaseMs: number, now: number): Promise<boolean> =>
  ops.putIf
    ? ops.putIf<ProjectionLeaseDoc>(projectionLeases, { id: LEASE_ID, owner, expiresAt: now + leaseMs }, {
        orAbsent: true,
        anyOf: [{ owner: { eq: owner } }, { expiresAt: { lt: now } }, { expiresAt: { eq: now } }],
      })
    : acquireInTransaction(ops, owner, leaseMs, now);

const acquireInTransaction = async (ops: ReadStore, owner: string, leaseMs: number, now: number): Promise<boolean> =>
  ops.transaction(async (tx) => {
    const leases = tx.collection<ProjectionLeaseDoc>(projectionLeases);
    const lease = await leases.get(LEASE_ID);
    if (lease && lease.owner !== owner && lease.expiresAt > now) return false;
    await leases.put({ id: LEASE_ID, owner, expiresAt: now + leaseMs });
    return true;
  });

/** Gives the lease up if it is ours (a clean stop: the standby need not wait for it to run out). */
export const releaseProjectionLease = async (ops: ReadStore, owner: string): Promise<void> => {
  await ops.transaction(async (tx) => {
    const leases = tx.collection<ProjectionLeaseDoc>(projectionLeases);
    const lease = await leases.get(LEASE_ID);
    if (lease?.owner === owner) await leases.delete(LEASE_ID);
  });
};

export const projectionLeaseHolder = async (ops: ReadStore): Promise<ProjectionLeaseDoc | null> => ops.collection<ProjectionLeaseDoc>(projectionLeases).get(LEASE_ID);

/** The projections of a process: active while it holds the lease, a standby otherwise. */
export class ProjectionLeadership {
  private runner: ProjectionRunner | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private turn: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<ProgressListener>();
  /** The rebuild this process runs (rebuild.ts), and its end. */
  private rebuild: { jobId: string; rebuild: Rebuild; done: Promise<void> } | null = null;
  private readonly leaseMs: number;
  private readonly standbyCheckMs: number;
  private readonly log: (line: string) => void;
  private readonly now: () => number;

  constructor(
    private readonly events: EventStore,
    private readonly reads: ReadStore,
    private readonly ops: ReadStore,
    readonly projections: readonly Projection[],
    readonly options: LeadershipOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 3_000;
    this.standbyCheckMs = options.standbyCheckMs ?? 500;
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
  }

  /** Whether this process writes the read models now. */
  get active(): boolean {
    return this.runner !== null;
  }

  /** Tries for the lease once, then keeps renewing it (active) or looking at it (standby). */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  /** Calls `listener` after each batch this process commits (while active). */
  onProgress(listener: ProgressListener): void {
    this.listeners.add(listener);
    this.runner?.onProgress(listener);
  }

  status(): Promise<ProjectionStatus[]> {
    return projectionStatusFromCheckpoints(this.events, this.reads, this.projections, this.active);
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.runner ? Math.floor(this.leaseMs / 3) : this.standbyCheckMs;
    this.timer = setTimeout(() => {
      this.turn = this.turn.then(() => this.tick()).then(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let held: boolean;
    try {
      held = await acquireProjectionLease(this.ops, this.options.owner, this.leaseMs, this.now());
    } catch (error) {
      this.log(`projections: the lease could not be read or renewed (${error instanceof Error ? error.message : String(error)})`);
      held = false;
    }
    if (held && !this.runner) await this.becomeActive();
    else if (!held && this.runner) await this.standBy('the lease went to another process');
    // Fenced out (the runner is gone) and the lease elsewhere: the tasks stop too (stopping a stopped one costs nothing).
    else if (!held) for (const task of this.options.whileActive ?? []) await task.stop();
    if (held && this.runner) await this.pickUpRebuild();
  }

  /** Starts the requested rebuild (or one a former lease holder left running), unless this process runs one. */
  private async pickUpRebuild(): Promise<void> {
    if (this.rebuild) return;
    let job;
    try {
      job = await currentRebuildJob(this.ops);
      if (!job) return;
      // Pending, or left running by a former lease holder (or by this process's previous run): from the start.
      job = await claimRebuildJob(this.ops, job.id, this.options.owner, new Date(this.now()));
    } catch (error) {
      this.log(`projections: rebuild jobs could not be read (${error instanceof Error ? error.message : String(error)})`);
      return;
    }
    if (!job) return;
    const wanted = new Set(job.names);
    const projections = wanted.size === 0 ? this.projections : this.projections.filter((p) => wanted.has(p.name));
    const rebuild = new Rebuild({
      events: this.events,
      reads: this.reads,
      ops: this.ops,
      job,
      projections,
      owner: this.options.owner,
      log: this.log,
      host: {
        livePosition: () => this.runner?.position ?? null,
        withLiveStopped: (work) => this.withLiveStopped(work),
      },
    });
    const entry = { jobId: job.id, rebuild, done: Promise.resolve() };
    entry.done = rebuild.run().finally(() => {
      if (this.rebuild === entry) this.rebuild = null;
    });
    this.rebuild = entry;
  }

  /** Between two lease ticks: renews the lease, stops the live runner, runs `work`, starts a live runner again. */
  private withLiveStopped(work: (stoppedAt: Position) => Promise<void>): Promise<void> {
    const turn = this.turn.then(async () => {
      const runner = this.runner;
      if (this.stopped || !runner) throw new LeaseLostError('this process no longer holds the projections lease');
      if (!(await acquireProjectionLease(this.ops, this.options.owner, this.leaseMs, this.now()))) {
        throw new LeaseLostError('the projections lease went to another process');
      }
      this.runner = null;
      await runner.stop();
      // The swap may outlast a lease term (SQLite builds the indexes again): keep the lease meanwhile.
      const renewal = setInterval(() => {
        void acquireProjectionLease(this.ops, this.options.owner, this.leaseMs, this.now()).catch(() => false);
      }, Math.floor(this.leaseMs / 3));
      try {
        await work(runner.position);
      } finally {
        clearInterval(renewal);
        if (!this.stopped) await this.becomeActive();
      }
    });
    this.turn = turn.catch(() => {});
    return turn;
  }

  private async becomeActive(): Promise<void> {
    // From now on only our batches commit: a former holder that wakes up finds itself fenced out.
    await claimProgress(this.reads, this.options.owner);
    const runner = new ProjectionRunner(this.events, this.reads, this.projections, this.log, this.options.owner);
    for (const listener of this.listeners) runner.onProgress(listener);
    runner.onFenced(() => {
      if (this.runner === runner) this.runner = null;
    });
    for (const task of this.options.whileActive ?? []) task.follow?.(runner);
    this.runner = runner;
    this.log(`projections: ${this.options.owner} holds the lease and writes the read models`);
    await runner.start();
    for (const task of this.options.whileActive ?? []) await task.start();
  }

  private async standBy(why: string): Promise<void> {
    this.rebuild?.rebuild.cancel(`the projections lease went to another process (${why})`);
    const runner = this.runner;
    this.runner = null;
    this.log(`projections: standing by (${why})`);
    await runner?.stop();
    for (const task of this.options.whileActive ?? []) await task.stop();
  }

  /** Stops; with `release`, gives the lease up so that a standby takes over at once. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.rebuild?.rebuild.cancel('the projections process is stopping');
    await this.rebuild?.done;
    await this.turn;
    const wasActive = this.runner !== null;
    await this.runner?.stop();
    this.runner = null;
    for (const task of this.options.whileActive ?? []) await task.stop();
    if (release && wasActive) await releaseProjectionLease(this.ops, this.options.owner).catch(() => {});
  }
}
