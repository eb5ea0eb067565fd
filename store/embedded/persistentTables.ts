import type Database from 'better-sqlite3';
import type { AllFilter, RecordedEvent } from '../eventStore';
import type { EventReader } from './schema';
import { rowMatches, rowToEvent } from './schema';
import type { WriteLocking } from './writeLock';

/**
 * The database side of the embedded persistent subscriptions (tables in schema.ts). Every connection to the file
 * (every process on the data dir) claims events of a group here, in one short transaction per batch: an event is
 * held by one owner at a time, until its deadline; settling (ack, nack, park) is written here too, so checkpoints,
 * retry counts and parked events are shared.
 */

export type GroupSettings = Readonly<{ messageTimeoutMs: number; maxRetryCount: number; filter?: AllFilter }>;

export type SettleOp =
  | Readonly<{ kind: 'ack'; position: number }>
  | Readonly<{ kind: 'park'; position: number; reason: string }>
  /** Delivered and given back (nack retry, consumer stopped): one more retry, free for any consumer. */
  | Readonly<{ kind: 'retry'; position: number; reason: string }>
  /** Never handed over (the store closes): free for any consumer, retry count unchanged. */
  | Readonly<{ kind: 'release'; position: number }>;

export type ClaimedEvent = Readonly<{ position: number; event: RecordedEvent; retryCount: number; replay: boolean; deadline: number }>;

export type GroupRow = { settings: string; start_position: number; checkpoint: number | null };

type InflightRow = { position: number; retry_count: number; owner: string | null; replay: number };

const PAGE_SIZE = 500;
const MAX_PAGES_PER_SYNC = 20;
/** How much later than others an owner may claim again its own timed-out events. */
const OWN_GRACE_MS = 250;
/** An owner whose heartbeat is older than this is taken for dead (a live one beats every second). */
export const OWNER_STALE_MS = 10_000;

const alive = (pid: number): boolean => {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export class PersistentTables {
  private readonly s;
  /**
   * The connection fsyncs each commit (FULL: appends survive power loss). A group's bookkeeping under load (`sync`:
   * claims, acks, nacks, parking, read position, checkpoint) commits without its own fsync (NORMAL): in WAL mode the
   * next synced commit or checkpoint makes it durable, and a power loss before that loses only the last of it, in
   * order, as a killed consumer loses what it had not acked: those events come again (at least once). Its fsync held
   * the file's write lock for milliseconds in which the sends' appends waited (docs/performance.md).
   */
  private readonly syncsEachCommit: boolean;

  constructor(
    private readonly db: Database.Database,
    private readonly reader: EventReader,
    private readonly writeLock: WriteLocking,
    readonly owner: string,
  ) {
    // SQLite's `synchronous`: 2 is FULL.
    this.syncsEachCommit = db.pragma('synchronous', { simple: true }) === 2;
    this.s = {
      group: db.prepare<[string], GroupRow>('SELECT settings, start_position, checkpoint FROM ps_groups WHERE group_name = ?'),
      inflight: db.prepare<[string, number], InflightRow>(
        'SELECT position, retry_count, owner, replay FROM ps_inflight WHERE group_name = ? AND position = ?',
      ),
      deleteInflight: db.prepare<[string, number]>('DELETE FROM ps_inflight WHERE group_name = ? AND position = ?'),
      ack: db.prepare<[string, number], { replay: number }>('DELETE FROM ps_inflight WHERE group_name = ? AND position = ? RETURNING replay'),
      deleteParked: db.prepare<[string, number]>('DELETE FROM ps_parked WHERE group_name = ? AND position = ?'),
      park: db.prepare<[string, number, number, string, number]>(
        `INSERT INTO ps_parked (group_name, position, retry_count, reason, parked_at, replaying) VALUES (?, ?, ?, ?, ?, 0)
         ON CONFLICT (group_name, position) DO UPDATE SET retry_count = excluded.retry_count, reason = excluded.reason,
         parked_at = excluded.parked_at, replaying = 0`,
      ),
      free: db.prepare<[number, string, number]>(
        'UPDATE ps_inflight SET owner = NULL, deadline = 0, retry_count = ? WHERE group_name = ? AND position = ?',
      ),
      // Another owner's events are claimable at their deadline, this owner's own a little later (OWN_GRACE_MS): a
      // consumer that let its events time out is likely stuck, so another process gets the first chance at them.
      claimable: db.prepare<[string, string, number, string, number, number], InflightRow>(
        `SELECT position, retry_count, owner, replay FROM ps_inflight
         WHERE group_name = ? AND (owner IS NULL OR (owner <> ? AND deadline <= ?) OR (owner = ? AND deadline <= ?))
         ORDER BY position LIMIT ?`,
      ),
      anyClaimable: db.prepare<[string, string, number, string, number], { one: number }>(
        `SELECT 1 AS one FROM ps_inflight
         WHERE group_name = ? AND (owner IS NULL OR (owner <> ? AND deadline <= ?) OR (owner = ? AND deadline <= ?)) LIMIT 1`,
      ),
      take: db.prepare<[string, number, number, string, number]>(
        'UPDATE ps_inflight SET owner = ?, deadline = ?, retry_count = ? WHERE group_name = ? AND position = ?',
      ),
      // Many rows per statement (a JSON array of positions): one call instead of one per event.
      insertMany: db.prepare<[string, string, number, string]>(
        `INSERT INTO ps_inflight (group_name, position, retry_count, owner, deadline, replay)
         SELECT ?, value, 0, ?, ?, 0 FROM json_each(?)`,
      ),
      ackMany: db.prepare<[string, string], { position: number; replay: number }>(
        'DELETE FROM ps_inflight WHERE group_name = ? AND position IN (SELECT value FROM json_each(?)) RETURNING position, replay',
      ),
      readPosition: db.prepare<[string], { read_position: number }>('SELECT read_position FROM ps_read WHERE group_name = ?'),
      setReadPosition: db.prepare<[number, string]>('UPDATE ps_read SET read_position = ? WHERE group_name = ?'),
      anyNewEvent: db.prepare<[string], { one: number }>(
        'SELECT 1 AS one FROM events WHERE position > (SELECT read_position FROM ps_read WHERE group_name = ?) LIMIT 1',
      ),
      firstUnsettled: db.prepare<[string], { p: number | null }>(
        'SELECT min(position) AS p FROM ps_inflight WHERE group_name = ? AND replay = 0',
      ),
      setCheckpoint: db.prepare<[number, string]>('UPDATE ps_groups SET checkpoint = ? WHERE group_name = ?'),
      heldByOthers: db.prepare<[string, string, number], { owner: string; pid: number | null; heartbeat: number | null }>(
        `SELECT DISTINCT i.owner AS owner, o.pid AS pid, o.heartbeat AS heartbeat FROM ps_inflight i
         LEFT JOIN ps_owners o ON o.owner = i.owner
         WHERE i.group_name = ? AND i.owner IS NOT NULL AND i.owner <> ? AND i.deadline > ?`,
      ),
      expireOwner: db.prepare<[string]>('UPDATE ps_inflight SET deadline = 0 WHERE owner = ?'),
      deleteOwner: db.prepare<[string]>('DELETE FROM ps_owners WHERE owner = ?'),
      forgetOwners: db.prepare<[number]>('DELETE FROM ps_owners WHERE heartbeat < ?'),
      beat: db.prepare<[string, number, number]>('INSERT OR REPLACE INTO ps_owners (owner, pid, heartbeat) VALUES (?, ?, ?)'),
    };
  }

  groupRow(group: string): GroupRow | undefined {
    return this.s.group.get(group);
  }

  /** Inserts the group and its read position; false when it exists. */
  createGroup(group: string, settings: GroupSettings, startPosition: number): boolean {
    return this.write(() => {
      const inserted = this.db
        .prepare('INSERT OR IGNORE INTO ps_groups (group_name, settings, start_position, checkpoint, created) VALUES (?, ?, ?, NULL, ?)')
        .run(group, JSON.stringify(settings), startPosition, Date.now());
      if (inserted.changes === 0) return false;
      this.db.prepare('INSERT OR REPLACE INTO ps_read (group_name, read_position) VALUES (?, ?)').run(group, startPosition);
      return true;
    });
  }

  /** A shorter message timeout applies to the events held now too (EventStoreDB restarts the group instead). */
  updateSettings(group: string, settings: GroupSettings): void {
    this.write(() => {
      this.db.prepare('UPDATE ps_groups SET settings = ? WHERE group_name = ?').run(JSON.stringify(settings), group);
      this.db
        .prepare('UPDATE ps_inflight SET deadline = min(deadline, ?) WHERE group_name = ? AND owner IS NOT NULL')
        .run(Date.now() + settings.messageTimeoutMs, group);
    });
  }

  /**
   * Before a group is first served by this connection: a group created by an earlier version has no read position
   * (it had read up to its checkpoint) and its replaying parked events no rows in flight.
   */
  prepareGroup(group: string, row: GroupRow): void {
    this.write(() => {
      this.db.prepare('INSERT OR IGNORE INTO ps_read (group_name, read_position) VALUES (?, ?)').run(group, row.checkpoint ?? row.start_position);
      this.db
        .prepare(
          `INSERT OR IGNORE INTO ps_inflight (group_name, position, retry_count, owner, deadline, replay)
           SELECT group_name, position, retry_count + 1, NULL, 0, 1 FROM ps_parked WHERE group_name = ? AND replaying = 1`,
        )
        .run(group);
    });
  }

  /** Something to claim or to read for `group`: a read, no write lock. */
  hasWork(group: string, now: number): boolean {
    const o = this.owner;
    return this.s.anyClaimable.get(group, o, now, o, now - OWN_GRACE_MS) !== undefined || this.s.anyNewEvent.get(group) !== undefined;
  }

  /**
   * One transaction: writes what consumers settled, then claims up to `capacity` events for this owner, first
   * those free or past their deadline (a timed-out one counts one more retry; past maxRetryCount it is parked),
   * then new ones from the group's read position. `more`: there may be more to claim right away.
   */
  sync(
    group: string,
    settings: GroupSettings,
    ops: readonly SettleOp[],
    capacity: number,
    now: number,
    lockHeld = false,
  ): { claimed: ClaimedEvent[]; more: boolean } {
    return this.write(() => {
      // Acks, the usual case, in one statement; the rest one by one.
      const acks: number[] = [];
      for (const op of ops) {
        if (op.kind === 'ack') acks.push(op.position);
        else this.settle(group, settings, op, now);
      }
      if (acks.length > 0) {
        for (const acked of this.s.ackMany.all(group, JSON.stringify(acks))) {
          if (acked.replay === 1) this.s.deleteParked.run(group, acked.position);
        }
      }
      const claimed: ClaimedEvent[] = [];
      let more = false;
      if (capacity > 0) {
        const deadline = now + settings.messageTimeoutMs;
        const o = this.owner;
        for (const r of this.s.claimable.all(group, o, now, o, now - OWN_GRACE_MS, capacity)) {
          // A timed-out event counts one more retry; a free one (given back, replayed) has been counted already.
          const timedOut = r.owner !== null;
          const retryCount = timedOut ? r.retry_count + 1 : r.retry_count;
          if (timedOut && retryCount > settings.maxRetryCount) {
            this.parkRow(group, r, 'max retry count reached: message timeout', now);
            continue;
          }
          const row = this.reader.readAt(r.position);
          if (!row) {
            this.s.deleteInflight.run(group, r.position);
            continue;
          }
          this.s.take.run(this.owner, deadline, retryCount, group, r.position);
          claimed.push({ position: r.position, event: rowToEvent(row), retryCount, replay: r.replay === 1, deadline });
        }
        let left = capacity - claimed.length;
        const fresh: number[] = [];
        const start = this.s.readPosition.get(group)?.read_position ?? -1;
        let cursor = start;
        for (let page = 0; left > 0; page++) {
          if (page === MAX_PAGES_PER_SYNC) {
            more = true;
            break;
          }
          // A page about the size of the room left (a filter drops some): reading more would be thrown away.
          const limit = Math.min(PAGE_SIZE, Math.max(32, left * 2));
          const rows = this.reader.readAfter(cursor, limit);
          for (const row of rows) {
            if (left === 0) break;
            cursor = row.position;
            if (!rowMatches(settings.filter, row)) continue;
            fresh.push(row.position);
            claimed.push({ position: row.position, event: rowToEvent(row), retryCount: 0, replay: false, deadline });
            left -= 1;
          }
          if (rows.length < limit) break;
        }
        if (fresh.length > 0) this.s.insertMany.run(group, this.owner, deadline, JSON.stringify(fresh));
        if (left === 0) more = true;
        if (cursor !== start) this.s.setReadPosition.run(cursor, group);
      }
      this.updateCheckpoint(group);
      return { claimed, more };
    }, lockHeld, true);
  }

  /** This process's write lock if it is free now (see writeLock.ts), else null. */
  tryLock(): (() => void) | null {
    return this.writeLock.tryAcquire();
  }

  /** Waits for this process's write lock without blocking the thread. */
  lockAsync(): Promise<() => void> {
    return this.writeLock.acquireAsync();
  }

  private settle(group: string, settings: GroupSettings, op: SettleOp, now: number): void {
    if (op.kind === 'ack') {
      // One statement for the usual case; nothing when it was settled already (an ack after a redelivery elsewhere).
      const acked = this.s.ack.get(group, op.position);
      if (acked?.replay === 1) this.s.deleteParked.run(group, op.position);
      return;
    }
    const row = this.s.inflight.get(group, op.position);
    if (!row) return;
    switch (op.kind) {
      case 'park':
        this.parkRow(group, row, op.reason, now);
        return;
      case 'retry':
        if (row.owner !== this.owner) return; // a stale nack: it timed out and went to another consumer
        if (row.retry_count + 1 > settings.maxRetryCount) this.parkRow(group, row, `max retry count reached: ${op.reason}`, now);
        else this.s.free.run(row.retry_count + 1, group, op.position);
        return;
      case 'release':
        if (row.owner === this.owner) this.s.free.run(row.retry_count, group, op.position);
        return;
      default: {
        const never: never = op;
        return never;
      }
    }
  }

  private parkRow(group: string, row: InflightRow, reason: string, now: number): void {
    this.s.park.run(group, row.position, row.retry_count, reason, now);
    this.s.deleteInflight.run(group, row.position);
  }

  /** The checkpoint: every event at or before it is settled (acked, skipped or parked). */
  private updateCheckpoint(group: string): void {
    const first = this.s.firstUnsettled.get(group)?.p ?? null;
    const cp = first !== null ? first - 1 : (this.s.readPosition.get(group)?.read_position ?? -1);
    const stored = this.s.group.get(group);
    if (!stored || cp === (stored.checkpoint ?? stored.start_position)) return;
    this.s.setCheckpoint.run(cp, group);
  }

  /** This owner is alive: every second or so. Owners long gone (crashed processes) are forgotten meanwhile. */
  heartbeat(now: number): void {
    this.write(() => {
      this.s.beat.run(this.owner, process.pid, now);
      this.s.forgetOwners.run(now - 6 * OWNER_STALE_MS);
    });
  }

  /**
   * Events held by an owner that is gone (its process died, or it has not beaten for OWNER_STALE_MS) are due at
   * once, as EventStoreDB retries a dropped connection's messages. Returns whether any owner was found dead.
   */
  reapDeadOwners(group: string, now: number): boolean {
    const dead = this.s.heldByOthers
      .all(group, this.owner, now)
      .filter((o) => o.pid === null || o.heartbeat === null || !alive(o.pid) || o.heartbeat < now - OWNER_STALE_MS);
    if (dead.length === 0) return false;
    this.write(() => {
      for (const o of dead) {
        this.s.expireOwner.run(o.owner);
        this.s.deleteOwner.run(o.owner);
      }
    });
    return true;
  }

  removeOwner(): void {
    this.write(() => this.s.deleteOwner.run(this.owner));
  }

  info(group: string): { parked: number; inFlight: number } {
    const parked = this.db
      .prepare<[string], { n: number }>('SELECT count(*) AS n FROM ps_parked WHERE group_name = ? AND replaying = 0')
      .get(group);
    const inFlight = this.db
      .prepare<[string], { n: number }>('SELECT count(*) AS n FROM ps_inflight WHERE group_name = ? AND owner IS NOT NULL')
      .get(group);
    return { parked: parked?.n ?? 0, inFlight: inFlight?.n ?? 0 };
  }

  /** Moves parked events back as free events in flight (a replay carries on its retry count); returns how many. */
  replayParked(group: string): number {
    return this.write(() => {
      const moved = this.db
        .prepare(
          `INSERT OR IGNORE INTO ps_inflight (group_name, position, retry_count, owner, deadline, replay)
           SELECT group_name, position, retry_count + 1, NULL, 0, 1 FROM ps_parked WHERE group_name = ? AND replaying = 0`,
        )
        .run(group);
      this.db.prepare('UPDATE ps_parked SET replaying = 1 WHERE group_name = ? AND replaying = 0').run(group);
      return moved.changes;
    });
  }

  /**
   * A write transaction that takes SQLite's write lock at once, and this process's other threads' lock unless the
   * caller holds it already. `bookkeeping`: without its own fsync (see `syncsEachCommit`).
   */
  private write<T>(body: () => T, lockHeld = false, bookkeeping = false): T {
    const tx = this.db.transaction(body);
    const run = (): T => {
      if (!bookkeeping || !this.syncsEachCommit) return tx.immediate();
      this.db.pragma('synchronous = NORMAL');
      try {
        return tx.immediate();
      } finally {
        this.db.pragma('synchronous = FULL');
      }
    };
    return lockHeld ? run() : this.writeLock.run(run);
  }
}
