import type Database from 'better-sqlite3';
import type { JsonObject } from '../../domain/json';
import type { AllFilter, Position, RecordedEvent } from '../eventStore';
import { START, matchesFilter } from '../eventStore';

/**
 * Tables of the embedded event store. `$all` positions are the global sequence (`events.position`, the rowid),
 * used for both parts of a Position. Events are never deleted, so positions only grow.
 *
 * Persistent subscriptions are shared by every connection to the file (every process on the data dir):
 * `ps_read` is how far a group has read `$all`; `ps_inflight` holds each event read and not yet settled, with the
 * connection (`owner`) that holds it and until when (`deadline`); NULL owner = free for any consumer. `ps_owners`
 * says which owner is alive (its process id and heartbeat).
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY,
  stream_id TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  event_id  TEXT    NOT NULL,
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  created   INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_revision ON events (stream_id, revision);
CREATE TABLE IF NOT EXISTS streams (
  stream_id     TEXT PRIMARY KEY,
  revision      INTEGER NOT NULL,
  last_position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ps_groups (
  group_name     TEXT PRIMARY KEY,
  settings       TEXT    NOT NULL,
  start_position INTEGER NOT NULL,
  checkpoint     INTEGER,
  created        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ps_parked (
  group_name  TEXT    NOT NULL,
  position    INTEGER NOT NULL,
  retry_count INTEGER NOT NULL,
  reason      TEXT    NOT NULL,
  parked_at   INTEGER NOT NULL,
  replaying   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (group_name, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ps_read (
  group_name    TEXT PRIMARY KEY,
  read_position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ps_inflight (
  group_name  TEXT    NOT NULL,
  position    INTEGER NOT NULL,
  retry_count INTEGER NOT NULL,
  owner       TEXT,
  deadline    INTEGER NOT NULL,
  replay      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (group_name, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ps_owners (
  owner     TEXT PRIMARY KEY,
  pid       INTEGER NOT NULL,
  heartbeat INTEGER NOT NULL
) WITHOUT ROWID;
`;

export type EventRow = Readonly<{
  position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  created: number;
}>;

export const toPosition = (n: number): Position => (n < 0 ? START : { commit: BigInt(n), prepare: BigInt(n) });
/** Numeric cursor of a Position: START (and anything before the first event) is -1. */
export const fromPosition = (p: Position | undefined): number => (p === undefined || p.commit < 0n ? -1 : Number(p.commit));

export const rowToEvent = (r: EventRow): RecordedEvent => ({
  id: r.event_id,
  streamId: r.stream_id,
  revision: BigInt(r.revision),
  position: toPosition(r.position),
  type: r.type,
  data: JSON.parse(r.data) as JsonObject,
  metadata: JSON.parse(r.metadata) as JsonObject,
  created: new Date(r.created),
});

export const rowMatches = (filter: AllFilter | undefined, r: EventRow): boolean =>
  matchesFilter(filter, { streamId: r.stream_id, type: r.type });

const COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, created';

/** Prepared reads shared by the store and its subscriptions. Every read is a bounded page: no open cursors. */
export class EventReader {
  private readonly after: Database.Statement<[number, number], EventRow>;
  private readonly at: Database.Statement<[number], EventRow>;
  private readonly head: Database.Statement<[], { p: number | null }>;
  private readonly streamFwd: Database.Statement<[string, number, number], EventRow>;
  private readonly streamBwd: Database.Statement<[string, number, number], EventRow>;
  private readonly stream: Database.Statement<[string], { revision: number; last_position: number }>;

  constructor(db: Database.Database) {
    this.after = db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`);
    this.at = db.prepare(`SELECT ${COLUMNS} FROM events WHERE position = ?`);
    // Backwards along the rowid, stopping at the first event that is not a system one (usually the last row).
    this.head = db.prepare("SELECT position AS p FROM events WHERE substr(type, 1, 1) <> '$' ORDER BY position DESC LIMIT 1");
    this.streamFwd = db.prepare(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    );
    this.streamBwd = db.prepare(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
    );
    this.stream = db.prepare('SELECT revision, last_position FROM streams WHERE stream_id = ?');
  }

  /** Up to `limit` events after `position` (exclusive), in `$all` order. */
  readAfter(position: number, limit: number): EventRow[] {
    return this.after.all(position, limit);
  }

  readAt(position: number): EventRow | undefined {
    return this.at.get(position);
  }

  /** Position of the last event whose type does not start with `$`, or -1. */
  headPosition(): number {
    return this.head.get()?.p ?? -1;
  }

  streamState(streamId: string): { revision: number; last_position: number } | undefined {
    return this.stream.get(streamId);
  }

  readStreamPage(streamId: string, from: number, direction: 'forwards' | 'backwards', limit: number): EventRow[] {
    return direction === 'forwards' ? this.streamFwd.all(streamId, from, limit) : this.streamBwd.all(streamId, from, limit);
  }
}
