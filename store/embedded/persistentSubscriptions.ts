import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type {
  NackAction,
  PersistentEvent,
  PersistentSubscription,
  PersistentSubscriptionInfo,
  PersistentSubscriptionSettings,
} from '../eventStore';
import { PersistentSubscriptionExistsError, PersistentSubscriptionNotFoundError, resolvePersistentSettings } from '../eventStore';
import type { ConsumerOwner, Entry } from './persistentConsumer';
import { Consumer } from './persistentConsumer';
import type { GroupSettings, SettleOp } from './persistentTables';
import { PersistentTables } from './persistentTables';
import type { EventReader } from './schema';
import { toPosition } from './schema';
import type { WriteLocking } from './writeLock';

/**
 * Persistent subscriptions to `$all`, EventStoreDB style: named groups, competing consumers, ack / nack (park,
 * retry, skip), retry counts, message timeouts, parked events and their replay. The group's state lives in the
 * database (persistentTables.ts), so the consumers may be in several processes on one data dir: each event is held
 * by one of them at a time. In a process, a group's runtime claims events in batches for its local consumers
 * (one transaction per batch, which also writes the acks gathered meanwhile) and hands them round robin.
 * At-least-once: an event is settled only by an ack, skip or park; what a stopped or dead consumer held is
 * delivered again.
 */

/** How often a group looks for what other processes wrote, timed out or gave back (at most). */
const LOOK_EVERY_MS = 100;
const HEARTBEAT_EVERY_MS = 1_000;
/** How long a small sync may wait for more acks or room (see worthSyncing). */
const LAZY_SYNC_MS = 5;

class GroupRuntime implements ConsumerOwner {
  /** Events this connection holds, by position: waiting in `ready` or handed to a consumer. */
  private readonly held = new Map<number, Entry>();
  private ready: Entry[] = [];
  private readonly consumers: Consumer[] = [];
  private ops: SettleOp[] = [];
  /** There may be events to claim: a commit, a give-back, a timeout, the periodic look. */
  private lookForWork = true;
  private syncScheduled = false;
  private closing = false;
  private rr = 0;
  private lastBeat = 0;
  private timer: NodeJS.Timeout | null = null;
  private lazy: NodeJS.Timeout | null = null;
  private waitingForLock = false;

  constructor(
    private readonly owner: PersistentSubscriptions,
    readonly name: string,
    private settings: GroupSettings,
  ) {
    this.startTimer();
  }

  private startTimer(): void {
    if (this.timer) clearInterval(this.timer);
    const period = Math.max(10, Math.min(LOOK_EVERY_MS, Math.floor(this.settings.messageTimeoutMs / 4)));
    this.timer = setInterval(() => this.tick(), period);
    this.timer.unref();
  }

  addConsumer(c: Consumer): void {
    this.consumers.push(c);
    this.lookForWork = true;
    this.scheduleSync();
  }

  removeConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c);
    if (i >= 0) this.consumers.splice(i, 1);
    if (this.closing) return; // the store is closing: `stop` gives everything back
    for (const entry of [...c.inflight]) {
      const delivered = entry.yielded;
      this.drop(entry);
      this.ops.push(delivered ? { kind: 'retry', position: entry.position, reason: 'consumer stopped' } : { kind: 'release', position: entry.position });
    }
    this.lookForWork = true;
    this.scheduleSync();
  }

  settle(from: Consumer, pe: PersistentEvent, action: NackAction | 'ack', reason: string): void {
    if (this.closing) return;
    const position = Number(pe.event.position.commit);
    const entry = this.held.get(position);
    if (action === 'retry') {
      if (!entry || entry.consumer !== from) return; // stale nack of an earlier delivery
      this.drop(entry);
      this.ops.push({ kind: 'retry', position, reason });
      this.lookForWork = true;
    } else {
      // An ack (or skip, or park) counts whoever sends it, as in EventStoreDB.
      if (entry) this.drop(entry);
      this.ops.push(action === 'park' ? { kind: 'park', position, reason } : { kind: 'ack', position });
    }
    this.scheduleSync();
  }

  updateSettings(settings: GroupSettings): void {
    const changed = this.settings.messageTimeoutMs !== settings.messageTimeoutMs;
    this.settings = settings;
    if (!changed || this.closing) return;
    this.startTimer();
    // As in the table (see PersistentTables.updateSettings): what is held now times out by the new timeout at the latest.
    const latest = Date.now() + settings.messageTimeoutMs;
    for (const entry of this.held.values()) entry.deadline = Math.min(entry.deadline, latest);
  }

  /** Something was committed or given back: there may be events to claim. */
  wake(): void {
    this.lookForWork = true;
    this.scheduleSync();
  }

  /** Writes what was settled and gives back whatever this connection holds; stops the consumers. */
  stop(): void {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    if (this.lazy) clearTimeout(this.lazy);
    for (const entry of this.held.values()) this.ops.push({ kind: 'release', position: entry.position });
    this.held.clear();
    this.ready = [];
    this.flush();
    for (const c of [...this.consumers]) void c.stop();
  }

  /** Writes the settled events now (before `info` reads the tables). */
  flush(): void {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    this.owner.tables.sync(this.name, this.settings, ops, 0, Date.now());
  }

  private scheduleSync(): void {
    if (this.syncScheduled || this.owner.closed) return;
    this.syncScheduled = true;
    // One transaction per turn of the event loop, however many acks arrived in it.
    setImmediate(() => this.sync());
  }

  private capacity(): number {
    let free = 0;
    for (const c of this.consumers) if (!c.stopped) free += c.bufferSize - c.inflight.size;
    return free - this.ready.length;
  }

  /**
   * Under load acks come one per turn: a transaction for each would cost more than the event. Until a batch's worth
   * of room (an eighth of the consumers' buffers) or of acks has gathered, the sync waits a few ms for more.
   */
  private worthSyncing(capacity: number): boolean {
    let total = 0;
    for (const c of this.consumers) if (!c.stopped) total += c.bufferSize;
    const batch = Math.max(1, Math.floor(total / 8));
    return capacity >= batch || capacity >= total - this.ready.length || this.ops.length >= Math.max(batch, 16);
  }

  /** `waited`: the small sync has waited LAZY_SYNC_MS already; it runs now, however small. */
  private sync(waited = false): void {
    this.syncScheduled = false;
    if (this.owner.closed || this.closing) return;
    const capacity = this.lookForWork ? this.capacity() : 0;
    if (this.ops.length === 0 && capacity <= 0) return;
    if (!waited && !this.worthSyncing(capacity)) {
      this.lazy ??= setTimeout(() => {
        this.lazy = null;
        this.sync(true);
      }, LAZY_SYNC_MS);
      this.lazy.unref();
      return;
    }
    if (this.lazy) {
      clearTimeout(this.lazy);
      this.lazy = null;
    }
    if (this.ops.length === 0 && !this.owner.tables.hasWork(this.name, Date.now())) {
      this.lookForWork = false;
      return;
    }
    if (this.waitingForLock) return;
    // Another thread of this process is writing the file (a WAL checkpoint may take tens of ms): wait for it without
    // blocking this thread, whose deliveries go on meanwhile; what is settled until then joins this transaction.
    const release = this.owner.tables.tryLock();
    if (release) return this.syncHolding(release);
    this.waitingForLock = true;
    void this.owner.tables.lockAsync().then((acquired) => {
      this.waitingForLock = false;
      if (this.owner.closed || this.closing) return acquired();
      this.syncHolding(acquired);
    });
  }

  private syncHolding(release: () => void): void {
    const capacity = this.lookForWork ? this.capacity() : 0;
    const now = Date.now();
    const ops = this.ops;
    this.ops = [];
    if (capacity > 0) this.lookForWork = false;
    let result: ReturnType<PersistentTables['sync']>;
    try {
      result = this.owner.tables.sync(this.name, this.settings, ops, Math.max(0, capacity), now, true);
    } catch (error) {
      // Another process held the file's write lock past the busy timeout: keep everything and try again shortly.
      this.ops = ops.concat(this.ops);
      this.lookForWork = true;
      setTimeout(() => this.scheduleSync(), 50).unref();
      process.emitWarning(`Persistent subscription ${this.name}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    } finally {
      release();
    }
    if (result.more) this.lookForWork = true;
    for (const c of result.claimed) {
      const previous = this.held.get(c.position);
      if (previous) this.drop(previous);
      const entry: Entry = { position: c.position, event: c.event, replay: c.replay, retryCount: c.retryCount, consumer: null, yielded: false, deadline: c.deadline, done: false };
      this.held.set(c.position, entry);
      this.ready.push(entry);
    }
    this.dispatch();
    if (this.ops.length > 0 || (this.lookForWork && this.capacity() > 0)) this.scheduleSync();
  }

  private dispatch(): void {
    while (this.ready.length > 0) {
      const consumer = this.nextConsumer();
      if (!consumer) return;
      const entry = this.ready.shift() as Entry;
      if (entry.done || entry.consumer) continue;
      entry.consumer = consumer;
      entry.yielded = false;
      consumer.inflight.add(entry);
      consumer.push({ entry, value: { event: entry.event, retryCount: entry.retryCount } });
    }
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

  /** Forgets an event here: its consumer no longer holds it (taken back if not yet yielded). */
  private drop(entry: Entry): void {
    const c = entry.consumer;
    if (c) {
      c.inflight.delete(entry);
      if (!entry.yielded) c.unqueue(entry);
      entry.consumer = null;
    }
    entry.done = true;
    if (this.held.get(entry.position) === entry) this.held.delete(entry.position);
  }

  private tick(): void {
    if (this.owner.closed || this.closing) return;
    const now = Date.now();
    // Past its deadline an event is anyone's to claim again (one more retry), this connection's included.
    for (const entry of [...this.held.values()]) if (entry.deadline <= now) this.drop(entry);
    if (this.ready.some((e) => e.done)) this.ready = this.ready.filter((e) => !e.done);
    try {
      if (now - this.lastBeat >= HEARTBEAT_EVERY_MS) {
        this.lastBeat = now;
        this.owner.tables.heartbeat(now);
        this.owner.tables.reapDeadOwners(this.name, now);
        this.owner.refreshSettings(this);
      }
    } catch (error) {
      process.emitWarning(`Persistent subscription ${this.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Also the look for what other processes wrote or gave back, which no signal announces here.
    this.wake();
  }
}

export class PersistentSubscriptions {
  private readonly groups = new Map<string, GroupRuntime>();
  readonly tables: PersistentTables;
  closed = false;

  constructor(
    db: Database.Database,
    readonly reader: EventReader,
    writeLock: WriteLocking,
  ) {
    this.tables = new PersistentTables(db, reader, writeLock, randomUUID());
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
    const stored: GroupSettings = resolvePersistentSettings(settings);
    if (!this.tables.createGroup(group, stored, startPosition)) throw new PersistentSubscriptionExistsError(group);
  }

  update(group: string, settings: Pick<PersistentSubscriptionSettings, 'messageTimeoutMs' | 'maxRetryCount'>): void {
    const row = this.tables.groupRow(group);
    if (!row) throw new PersistentSubscriptionNotFoundError(group);
    const current = JSON.parse(row.settings) as GroupSettings;
    const next: GroupSettings = {
      ...current,
      messageTimeoutMs: settings.messageTimeoutMs ?? current.messageTimeoutMs,
      maxRetryCount: settings.maxRetryCount ?? current.maxRetryCount,
    };
    this.tables.updateSettings(group, next);
    this.groups.get(group)?.updateSettings(next);
  }

  /** Settings changed by another process reach this one's runtime within a heartbeat. */
  refreshSettings(runtime: GroupRuntime): void {
    const row = this.tables.groupRow(runtime.name);
    if (row) runtime.updateSettings(JSON.parse(row.settings) as GroupSettings);
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
    this.groups.get(group)?.flush();
    const row = this.tables.groupRow(group);
    if (!row) throw new PersistentSubscriptionNotFoundError(group);
    const { parked, inFlight } = this.tables.info(group);
    return {
      group,
      settings: JSON.parse(row.settings) as GroupSettings,
      checkpoint: row.checkpoint === null ? null : toPosition(row.checkpoint),
      parkedCount: parked,
      inFlight,
    };
  }

  /** Returns how many parked events were moved back (the embedded tests check it; the port does not say). */
  replayParked(group: string): number {
    if (!this.tables.groupRow(group)) throw new PersistentSubscriptionNotFoundError(group);
    const moved = this.tables.replayParked(group);
    this.groups.get(group)?.wake();
    return moved;
  }

  /** Called by the store after each commit of this connection (or one announced by another thread). */
  onCommit(): void {
    for (const g of this.groups.values()) g.wake();
  }

  /** Stops every consumer and timer, writes what was settled and gives back what is held. */
  close(): void {
    const hadGroups = this.groups.size > 0;
    for (const g of this.groups.values()) g.stop();
    if (hadGroups) this.tables.removeOwner();
    this.closed = true;
    this.groups.clear();
  }

  private runtime(group: string): GroupRuntime | null {
    const existing = this.groups.get(group);
    if (existing) return existing;
    const row = this.tables.groupRow(group);
    if (!row) return null;
    this.tables.prepareGroup(group, row);
    this.tables.heartbeat(Date.now());
    const runtime = new GroupRuntime(this, group, JSON.parse(row.settings) as GroupSettings);
    this.groups.set(group, runtime);
    return runtime;
  }
}
