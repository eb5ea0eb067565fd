import type Database from 'better-sqlite3';
import type {
  AllFilter,
  NackAction,
  PersistentEvent,
  PersistentSubscription,
  PersistentSubscriptionInfo,
  PersistentSubscriptionSettings,
  RecordedEvent,
} from '../eventStore';
import { PersistentSubscriptionExistsError, PersistentSubscriptionNotFoundError } from '../eventStore';
import type { ConsumerOwner, Entry } from './persistentConsumer';
import { Consumer } from './persistentConsumer';
import type { EventReader } from './schema';
import { rowMatches, rowToEvent, toPosition } from './schema';
import type { WriteLocking } from './writeLock';

/**
 * Persistent subscriptions to `$all`, EventStoreDB style: named groups stored in SQLite, competing consumers
 * served round robin, ack / nack (park, retry, skip), retry counts, message timeouts, parked events and their
 * replay. At-least-once: the stored checkpoint is a position at or before which every event is settled (acked,
 * skipped or parked), so a restart redelivers whatever was in flight.
 */

type GroupSettings = Readonly<{ messageTimeoutMs: number; maxRetryCount: number; filter?: AllFilter }>;

const PAGE_SIZE = 500;
const CHECKPOINT_AFTER_MS = 100;
const MAX_PAGES_PER_DISPATCH = 20;

class GroupRuntime implements ConsumerOwner {
  private readonly pending = new Map<number, Entry>(); // read from $all, unsettled; ascending by insertion
  private readonly replays = new Map<number, Entry>();
  private readonly retries: Entry[] = [];
  private readonly fresh: Entry[] = [];
  private readonly consumers: Consumer[] = [];
  private readonly skip: Set<number>;
  private readonly startCursor: number;
  private rr = 0;
  /**
   * The last page read came back short: nothing more to read until a commit says otherwise (`onCommit`), or the
   * periodic look (`expire`) for what another process may have written. Saves a query per ack.
   */
  private caughtUp = false;
  private closing = false;
  private dispatching = false;
  private dispatchScheduled = false;
  private readonly timer: NodeJS.Timeout;
  /** The checkpoint last computed (may be newer than the stored one until the next flush). */
  checkpoint: number | null;
  dirty = false;

  constructor(
    private readonly owner: PersistentSubscriptions,
    readonly name: string,
    private readonly settings: GroupSettings,
    private cursor: number,
    checkpoint: number | null,
    parkedAfterCursor: Set<number>,
  ) {
    this.checkpoint = checkpoint;
    this.startCursor = cursor;
    this.skip = parkedAfterCursor;
    const period = Math.max(10, Math.min(1000, Math.floor(settings.messageTimeoutMs / 4)));
    this.timer = setInterval(() => this.expire(), period);
    this.timer.unref();
  }

  get inFlight(): number {
    return this.consumers.reduce((n, c) => n + c.inflight.size, 0);
  }

  addConsumer(c: Consumer): void {
    this.consumers.push(c);
    this.dispatch();
  }

  removeConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c);
    if (i >= 0) this.consumers.splice(i, 1);
    if (this.closing) return; // the store is closing: leave everything in flight to the checkpoint
    for (const entry of [...c.inflight]) {
      const delivered = entry.yielded;
      this.release(entry);
      if (delivered) this.retry(entry, 'consumer stopped');
      else this.retries.push(entry);
    }
    this.dispatch();
  }

  /**
   * Queues parked events for delivery again (their parked rows are marked `replaying`). A replay was delivered
   * before: its retryCount goes on from the parked one.
   */
  enqueueReplay(position: number, event: RecordedEvent, parkedRetryCount: number): void {
    const entry: Entry = { position, event, replay: true, retryCount: parkedRetryCount + 1, consumer: null, yielded: false, deadline: 0, done: false };
    this.replays.set(position, entry);
    this.retries.push(entry);
  }

  settle(from: Consumer, pe: PersistentEvent, action: NackAction | 'ack', reason: string): void {
    if (this.closing) return;
    const position = Number(pe.event.position.commit);
    const entry = this.pending.get(position) ?? this.replays.get(position);
    if (!entry || entry.done) return;
    if (action === 'retry') {
      if (entry.consumer !== from) return; // stale nack of an earlier delivery
      this.release(entry);
      this.retry(entry, reason);
    } else {
      this.release(entry);
      if (action === 'park') this.park(entry, reason);
      else this.finish(entry);
    }
    this.dispatch();
  }

  stop(): void {
    this.closing = true;
    clearInterval(this.timer);
    for (const c of [...this.consumers]) void c.stop();
  }

  dispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      let pages = MAX_PAGES_PER_DISPATCH;
      for (;;) {
        const consumer = this.nextConsumer();
        if (!consumer) break;
        const entry = this.takeReady(() => pages-- > 0);
        if (!entry) {
          if (pages < 0) this.scheduleDispatch();
          break;
        }
        entry.consumer = consumer;
        entry.yielded = false;
        entry.deadline = Date.now() + this.settings.messageTimeoutMs;
        consumer.inflight.add(entry);
        consumer.push({ entry, value: { event: entry.event, retryCount: entry.retryCount } });
      }
    } finally {
      this.dispatching = false;
    }
  }

  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      if (!this.owner.closed) this.dispatch();
    });
  }

  private nextConsumer(): Consumer | null {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = this.consumers[(this.rr + i) % n];
      if (c && !c.stopped && c.inflight.size < c.bufferSize) {
        this.rr = (this.rr + i + 1) % n;
        return c;
      }
    }
    return null;
  }

  private takeReady(mayReadPage: () => boolean): Entry | null {
    for (;;) {
      const retry = this.retries.shift();
      if (!retry) break;
      if (!retry.done && !retry.consumer) return retry;
    }
    for (;;) {
      const next = this.fresh.shift();
      if (next) {
        if (!next.done && !next.consumer) return next;
        continue;
      }
      if (this.caughtUp || !mayReadPage()) return null;
      const rows = this.owner.reader.readAfter(this.cursor, PAGE_SIZE);
      this.caughtUp = rows.length < PAGE_SIZE;
      if (rows.length === 0) return null;
      for (const row of rows) {
        this.cursor = row.position;
        if (this.skip.delete(row.position) || !rowMatches(this.settings.filter, row)) continue;
        const entry: Entry = {
          position: row.position,
          event: rowToEvent(row),
          replay: false,
          retryCount: 0,
          consumer: null,
          yielded: false,
          deadline: 0,
          done: false,
        };
        this.pending.set(row.position, entry);
        this.fresh.push(entry);
      }
      this.updateCheckpoint();
    }
  }

  private release(entry: Entry): void {
    const c = entry.consumer;
    if (!c) return;
    c.inflight.delete(entry);
    if (!entry.yielded) c.unqueue(entry);
    entry.consumer = null;
  }

  private retry(entry: Entry, reason: string): void {
    if (entry.retryCount + 1 > this.settings.maxRetryCount) {
      this.park(entry, `max retry count reached: ${reason}`);
      return;
    }
    entry.retryCount += 1;
    this.retries.push(entry);
  }

  private park(entry: Entry, reason: string): void {
    this.owner.storeParked(this.name, entry.position, entry.retryCount, reason);
    this.forget(entry);
  }

  private finish(entry: Entry): void {
    if (entry.replay) this.owner.deleteParked(this.name, entry.position);
    this.forget(entry);
  }

  private forget(entry: Entry): void {
    entry.done = true;
    if (entry.replay) {
      this.replays.delete(entry.position);
    } else {
      this.pending.delete(entry.position);
      this.updateCheckpoint();
    }
  }

  private updateCheckpoint(): void {
    const first = this.pending.keys().next();
    const cp = first.done ? this.cursor : first.value - 1;
    // Null until the group has moved past where it started.
    if (cp === (this.checkpoint ?? this.startCursor)) return;
    this.checkpoint = cp;
    this.dirty = true;
    this.owner.scheduleCheckpointFlush();
  }

  /** Something was committed: there may be events to read. */
  committed(): void {
    this.caughtUp = false;
    this.dispatch();
  }

  private expire(): void {
    // Also the periodic look for events committed by another process, which no signal announces.
    this.caughtUp = false;
    const now = Date.now();
    const expired: Entry[] = [];
    for (const c of this.consumers) for (const e of c.inflight) if (e.deadline <= now) expired.push(e);
    if (expired.length === 0) return this.dispatch();
    expired.sort((a, b) => a.position - b.position);
    for (const e of expired) {
      this.release(e);
      this.retry(e, 'message timeout');
    }
    this.dispatch();
  }
}

type GroupRow = { settings: string; start_position: number; checkpoint: number | null };

export class PersistentSubscriptions {
  private readonly groups = new Map<string, GroupRuntime>();
  private flushScheduled = false;
  closed = false;

  private readonly insertParked: Database.Statement<[string, number, number, string, number]>;
  private readonly removeParked: Database.Statement<[string, number]>;
  private readonly writeCheckpoint: Database.Statement<[number | null, string]>;

  constructor(
    private readonly db: Database.Database,
    readonly reader: EventReader,
    private readonly writeLock: WriteLocking,
  ) {
    this.insertParked = db.prepare(
      `INSERT INTO ps_parked (group_name, position, retry_count, reason, parked_at, replaying) VALUES (?, ?, ?, ?, ?, 0)
       ON CONFLICT (group_name, position) DO UPDATE SET retry_count = excluded.retry_count, reason = excluded.reason,
       parked_at = excluded.parked_at, replaying = 0`,
    );
    this.removeParked = db.prepare('DELETE FROM ps_parked WHERE group_name = ? AND position = ?');
    this.writeCheckpoint = db.prepare('UPDATE ps_groups SET checkpoint = ? WHERE group_name = ?');
  }

  create(group: string, settings: PersistentSubscriptionSettings): void {
    const start = settings.startFrom ?? 'end';
    const startPosition =
      start === 'start'
        ? -1
        : start === 'end'
          ? this.reader.headPosition()
          : // A Position is inclusive, as in EventStoreDB: delivery starts with the event at it.
            Math.max(-1, Number(start.commit) - 1);
    const stored: GroupSettings = {
      messageTimeoutMs: settings.messageTimeoutMs ?? 30_000,
      maxRetryCount: settings.maxRetryCount ?? 10,
      ...(settings.filter ? { filter: settings.filter } : {}),
    };
    const insert = this.db.prepare('INSERT OR IGNORE INTO ps_groups (group_name, settings, start_position, checkpoint, created) VALUES (?, ?, ?, NULL, ?)');
    const info = this.writeLock.run(() => insert.run(group, JSON.stringify(stored), startPosition, Date.now()));
    if (info.changes === 0) throw new PersistentSubscriptionExistsError(group);
  }

  subscribe(group: string, bufferSize: number): PersistentSubscription {
    if (this.closed) return new Consumer(null, bufferSize, new Error('The event store is closed'));
    const runtime = this.runtime(group);
    if (!runtime) return new Consumer(null, bufferSize, new PersistentSubscriptionNotFoundError(group));
    const consumer = new Consumer(runtime, Math.max(1, bufferSize), null);
    runtime.addConsumer(consumer);
    return consumer;
  }

  info(group: string): PersistentSubscriptionInfo {
    this.flushCheckpoints();
    const row = this.groupRow(group);
    if (!row) throw new PersistentSubscriptionNotFoundError(group);
    const parked = this.db
      .prepare<[string], { n: number }>('SELECT count(*) AS n FROM ps_parked WHERE group_name = ? AND replaying = 0')
      .get(group);
    return {
      group,
      checkpoint: row.checkpoint === null ? null : toPosition(row.checkpoint),
      parkedCount: parked?.n ?? 0,
      inFlight: this.groups.get(group)?.inFlight ?? 0,
    };
  }

  replayParked(group: string): number {
    if (!this.groupRow(group)) throw new PersistentSubscriptionNotFoundError(group);
    const parked = this.writeLock.run(() => this.db.transaction((): { position: number; retry_count: number }[] => {
      const rows = this.db
        .prepare<[string], { position: number; retry_count: number }>(
          'SELECT position, retry_count FROM ps_parked WHERE group_name = ? AND replaying = 0 ORDER BY position',
        )
        .all(group);
      this.db.prepare('UPDATE ps_parked SET replaying = 1 WHERE group_name = ? AND replaying = 0').run(group);
      return rows;
    }).immediate());
    const runtime = this.groups.get(group);
    if (runtime) {
      for (const p of parked) {
        const row = this.reader.readAt(p.position);
        if (row) runtime.enqueueReplay(p.position, rowToEvent(row), p.retry_count);
      }
      runtime.dispatch();
    }
    return parked.length;
  }

  /** Called by the store after each commit. */
  onCommit(): void {
    for (const g of this.groups.values()) g.committed();
  }

  storeParked(group: string, position: number, retryCount: number, reason: string): void {
    this.writeLock.run(() => this.insertParked.run(group, position, retryCount, reason, Date.now()));
  }

  deleteParked(group: string, position: number): void {
    this.writeLock.run(() => this.removeParked.run(group, position));
  }

  /**
   * Checkpoints are written at most every CHECKPOINT_AFTER_MS (EventStoreDB's `checkPointAfter` does the same), not
   * after every ack: each write is a transaction of its own. A checkpoint that lags after a crash only redelivers
   * events already settled, which at-least-once allows; `close` and `info` write it at once.
   */
  scheduleCheckpointFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setTimeout(() => {
      this.flushScheduled = false;
      if (!this.closed) this.flushCheckpoints();
    }, CHECKPOINT_AFTER_MS).unref();
  }

  /** Writes every changed checkpoint in one transaction. */
  flushCheckpoints(): void {
    const dirty = [...this.groups.values()].filter((g) => g.dirty);
    if (dirty.length === 0) return;
    this.writeLock.run(() =>
      this.db
        .transaction(() => {
          for (const g of dirty) {
            this.writeCheckpoint.run(g.checkpoint, g.name);
            g.dirty = false;
          }
        })
        .immediate(),
    );
  }

  /** Stops every consumer and timer and makes the checkpoints durable. */
  close(): void {
    for (const g of this.groups.values()) g.stop();
    this.flushCheckpoints();
    this.closed = true;
    this.groups.clear();
  }

  private groupRow(group: string): GroupRow | undefined {
    return this.db
      .prepare<[string], GroupRow>('SELECT settings, start_position, checkpoint FROM ps_groups WHERE group_name = ?')
      .get(group);
  }

  private runtime(group: string): GroupRuntime | null {
    const existing = this.groups.get(group);
    if (existing) return existing;
    const row = this.groupRow(group);
    if (!row) return null;
    const settings = JSON.parse(row.settings) as GroupSettings;
    const cursor = row.checkpoint ?? row.start_position;
    const parked = this.db
      .prepare<[string], { position: number; replaying: number; retry_count: number }>(
        'SELECT position, replaying, retry_count FROM ps_parked WHERE group_name = ? ORDER BY position',
      )
      .all(group);
    const skip = new Set(parked.filter((p) => p.position > cursor).map((p) => p.position));
    const runtime = new GroupRuntime(this, group, settings, cursor, row.checkpoint, skip);
    for (const p of parked) {
      if (p.replaying !== 1) continue;
      const ev = this.reader.readAt(p.position);
      if (ev) runtime.enqueueReplay(p.position, rowToEvent(ev), p.retry_count);
    }
    this.groups.set(group, runtime);
    return runtime;
  }
}
