import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3';
import type {
  AppendOptions,
  AppendResult,
  CatchUpHandler,
  CatchUpOptions,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  PersistentSubscription,
  PersistentSubscriptionInfo,
  PersistentSubscriptionSettings,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  Subscription,
} from '../eventStore';
import { StreamNotFoundError, WrongExpectedVersionError } from '../eventStore';
import type { CommitSource } from './catchUpSubscription';
import { CatchUpSubscription } from './catchUpSubscription';
import { PersistentSubscriptions } from './persistentSubscriptions';
import { EventReader, SCHEMA, fromPosition, rowMatches, rowToEvent, toPosition } from './schema';
import type { WalCheckpoint, WalCheckpointMode } from './walCheckpoint';
import { checkpointWal } from './walCheckpoint';
import { openWalDatabase } from './walDatabase';
import type { WriteLocking } from './writeLock';
import { noWriteLock } from './writeLock';

export type SqliteEventStoreOptions = Readonly<{
  /** `FULL` (default): each group commit is fsynced, durable against power loss and OS crashes; `NORMAL` only against process crashes. */
  synchronous?: 'NORMAL' | 'FULL';
  /** Rows per read page (readAll, readStream, subscriptions). Default 500. */
  pageSize?: number;
  /** Most appends grouped into one transaction. Default 1000. */
  maxAppendsPerTransaction?: number;
  /** Shared with the other threads of this process that write the same file (see writeLock.ts). */
  writeLock?: WriteLocking;
  /**
   * false: commits never checkpoint the WAL into the database file (copying pages and syncing them costs more than
   * the commit itself); another thread then calls `checkpointWal()` regularly. Default true (SQLite's own, at 1000 pages).
   */
  autoCheckpoint?: boolean;
  /** Called with each SQL statement the store's connection runs (tests). */
  verbose?: (sql: string) => void;
}>;

export type SqliteEventStoreStats = Readonly<{
  /** Append transactions committed (each holds one or more grouped appends). */
  transactions: number;
  /** appendToStream calls committed or rejected by a flush. */
  appends: number;
  /** Events written. */
  events: number;
}>;

type PreparedEvent = Readonly<{ id: string; type: string; data: string; metadata: string }>;

type PendingAppend = Readonly<{
  streamId: string;
  events: readonly PreparedEvent[];
  expected: ExpectedRevision;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}>;

type Outcome = { ok: true; result: AppendResult; written: number } | { ok: false; error: unknown };

const checkExpected = (streamId: string, expected: ExpectedRevision, current: number | undefined): void => {
  const actual = current === undefined ? 'no_stream' : BigInt(current);
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && actual === 'no_stream') ||
    (expected === 'stream_exists' && actual !== 'no_stream') ||
    (typeof expected === 'bigint' && actual === expected);
  if (!ok) throw new WrongExpectedVersionError(streamId, expected, actual);
};

/**
 * A missing stream is an answer, not an accident: readers of new streams (a delivery's first attempt) hit it on
 * the hot path, and a stack trace would cost more than the read.
 */
const notFound = (streamId: string): StreamNotFoundError => {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new StreamNotFoundError(streamId);
  } finally {
    Error.stackTraceLimit = limit;
  }
};

/**
 * The embedded EventStore: one SQLite file in WAL mode, written through one better-sqlite3 connection.
 * Appends are queued and committed together (group commit): every append made before the next turn of the
 * event loop goes into one transaction, each inside its own savepoint so that a failed expected-revision check
 * only fails that append. Reads are bounded pages, never cursors held open across an await.
 */
export class SqliteEventStore implements EventStore {
  private readonly reader: EventReader;
  private readonly persistent: PersistentSubscriptions;
  private readonly commits = new EventEmitter();
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly commitSource: CommitSource;
  private readonly pageSize: number;
  private readonly maxBatch: number;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private counters = { transactions: 0, appends: 0, events: 0 };
  private readonly appendBatch: Database.Transaction<(batch: readonly PendingAppend[]) => Outcome[]>;
  private readonly localCommitListeners = new Set<() => void>();
  private readonly writeLock: WriteLocking;

  private constructor(
    private readonly db: Database.Database,
    options: SqliteEventStoreOptions,
  ) {
    this.pageSize = Math.max(1, options.pageSize ?? 500);
    this.maxBatch = Math.max(1, options.maxAppendsPerTransaction ?? 1000);
    this.commits.setMaxListeners(0);
    this.reader = new EventReader(db);
    this.writeLock = options.writeLock ?? noWriteLock;
    this.persistent = new PersistentSubscriptions(db, this.reader, this.writeLock);
    this.commitSource = {
      reader: this.reader,
      onCommit: (listener) => {
        this.commits.on('commit', listener);
        return () => void this.commits.off('commit', listener);
      },
    };

    const getStream = db.prepare<[string], { revision: number; last_position: number }>(
      'SELECT revision, last_position FROM streams WHERE stream_id = ?',
    );
    const insertEvent = db.prepare<[string, number, string, string, string, string, number]>(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const upsertStream = db.prepare<[string, number, number]>(
      `INSERT INTO streams (stream_id, revision, last_position) VALUES (?, ?, ?)
       ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, last_position = excluded.last_position`,
    );
    // Nested better-sqlite3 transactions are savepoints: a throw rolls back this append only.
    const appendOne = db.transaction((a: PendingAppend, now: number): AppendResult => {
      const stream = getStream.get(a.streamId);
      checkExpected(a.streamId, a.expected, stream?.revision);
      let revision = stream?.revision ?? -1;
      let position = stream?.last_position ?? -1;
      for (const e of a.events) {
        revision += 1;
        position = Number(insertEvent.run(a.streamId, revision, e.id, e.type, e.data, e.metadata, now).lastInsertRowid);
      }
      if (a.events.length > 0) upsertStream.run(a.streamId, revision, position);
      return { nextExpectedRevision: BigInt(revision), position: toPosition(position) };
    });
    this.appendBatch = db.transaction((batch: readonly PendingAppend[]): Outcome[] => {
      const now = Date.now();
      return batch.map((a): Outcome => {
        try {
          return { ok: true, result: appendOne(a, now), written: a.events.length };
        } catch (error) {
          return { ok: false, error };
        }
      });
    });
  }

  /** Opens (creating if needed) the store at `path`; `':memory:'` gives a private in-memory store. */
  static open(path: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    // Another connection (the dispatcher's thread, another process) may hold the write lock for a moment: it waits.
    const db = openWalDatabase(path, { synchronous: options.synchronous ?? 'FULL', autoCheckpoint: options.autoCheckpoint, verbose: options.verbose });
    try {
      db.exec(SCHEMA);
    } catch (e) {
      db.close();
      throw e;
    }
    return new SqliteEventStore(db, options);
  }

  /** See walCheckpoint.ts. */
  checkpointWal(mode: WalCheckpointMode = 'passive'): WalCheckpoint {
    return checkpointWal(this.db, this.writeLock, mode, this.closed);
  }

  /** Counters for tests and benchmarks. */
  stats(): SqliteEventStoreStats {
    return { ...this.counters };
  }

  appendToStream(streamId: string, events: readonly EventToAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('The event store is closed'));
    let prepared: PreparedEvent[];
    try {
      // Serialise now: a value JSON cannot hold (a bigint) fails this call alone, before the batch.
      prepared = events.map((e) => ({
        id: e.id ?? randomUUID(),
        type: e.type,
        data: JSON.stringify(e.data),
        metadata: JSON.stringify(e.metadata ?? {}),
      }));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ streamId, events: prepared, expected: options.expectedRevision ?? 'any', resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncGenerator<RecordedEvent> {
    const direction = options.direction ?? 'forwards';
    const state = this.reader.streamState(streamId);
    if (!state) throw notFound(streamId);
    const from = options.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
    let next = from === 'start' ? 0 : from === 'end' ? (direction === 'forwards' ? state.revision + 1 : state.revision) : Number(from);
    let left = options.maxCount ?? Number.POSITIVE_INFINITY;
    // Past the end (a reader asking only for what is new): the stream's row already says there is nothing.
    while (left > 0 && next >= 0 && !(direction === 'forwards' && next > state.revision)) {
      const limit = Math.min(this.pageSize, left);
      const rows = this.reader.readStreamPage(streamId, next, direction, limit);
      for (const row of rows) {
        next = direction === 'forwards' ? row.revision + 1 : row.revision - 1;
        left -= 1;
        yield rowToEvent(row);
      }
      if (rows.length < limit) return;
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    let cursor = fromPosition(options.fromPosition);
    let left = options.maxCount ?? Number.POSITIVE_INFINITY;
    while (left > 0) {
      const rows = this.reader.readAfter(cursor, this.pageSize);
      for (const row of rows) {
        cursor = row.position;
        if (!rowMatches(options.filter, row)) continue;
        yield rowToEvent(row);
        if (--left <= 0) return;
      }
      if (rows.length < this.pageSize) return;
    }
  }

  async headPosition(): Promise<Position> {
    return toPosition(this.reader.headPosition());
  }

  subscribeToAll(options: CatchUpOptions, handler: CatchUpHandler): Subscription {
    if (this.closed) throw new Error('The event store is closed');
    const sub = new CatchUpSubscription(
      this.commitSource,
      fromPosition(options.fromPosition),
      options.filter,
      handler,
      { pageSize: this.pageSize, batchSize: 500, maxPagesPerTurn: 20 },
      (s) => this.subscriptions.delete(s),
    );
    this.subscriptions.add(sub);
    return sub;
  }

  async createPersistentSubscriptionToAll(group: string, settings: PersistentSubscriptionSettings = {}): Promise<void> {
    this.assertOpen();
    this.persistent.create(group, settings);
  }

  subscribeToPersistentSubscriptionToAll(group: string, options: Readonly<{ bufferSize?: number }> = {}): PersistentSubscription {
    return this.persistent.subscribe(group, options.bufferSize ?? 64);
  }

  async getPersistentSubscriptionToAllInfo(group: string): Promise<PersistentSubscriptionInfo> {
    this.assertOpen();
    return this.persistent.info(group);
  }

  async updatePersistentSubscriptionToAll(
    group: string,
    settings: Pick<PersistentSubscriptionSettings, 'messageTimeoutMs' | 'maxRetryCount'>,
  ): Promise<void> {
    this.assertOpen();
    this.persistent.update(group, settings);
  }

  async replayParkedEvents(group: string): Promise<void> {
    this.assertOpen();
    this.persistent.replayParked(group);
  }

  /** Commits pending appends, stops every subscription, makes checkpoints durable and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.queue.length > 0) this.commitQueued(this.writeLock.acquire());
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.persistent.close();
    this.commits.removeAllListeners();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The event store is closed');
  }

  /**
   * Commits the queued appends. When another thread is writing the file, waits for the write lock without blocking
   * this thread (the one answering requests goes on with them); appends queued meanwhile join the batch.
   */
  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const release = this.writeLock.tryAcquire();
    if (release) return this.commitQueued(release);
    this.flushScheduled = true;
    void this.writeLock.acquireAsync().then((acquired) => {
      this.flushScheduled = false;
      this.commitQueued(acquired);
    });
  }

  /** Commits up to `maxBatch` queued appends in one transaction, holding the write lock that `release` lets go. */
  private commitQueued(release: () => void): void {
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length > 0 && !this.closed) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    let outcomes: Outcome[];
    try {
      if (batch.length === 0) return;
      // IMMEDIATE: take SQLite's write lock before reading the streams' revisions, so that a commit by another
      // connection (another process) cannot slip between the check and the write (it would fail the whole batch).
      outcomes = this.appendBatch.immediate(batch);
    } catch (error) {
      for (const a of batch) a.reject(error);
      return;
    } finally {
      release();
    }
    this.counters.transactions += 1;
    this.counters.appends += batch.length;
    let written = 0;
    batch.forEach((a, i) => {
      const o = outcomes[i];
      if (o?.ok) {
        written += o.written;
        a.resolve(o.result);
      } else {
        a.reject(o ? o.error : new Error('append lost'));
      }
    });
    this.counters.events += written;
    if (written > 0) {
      try {
        this.wakeSubscriptions();
      } finally {
        for (const listener of this.localCommitListeners) listener();
      }
    }
  }

  /**
   * Another connection to the same file committed events (the dispatcher's thread, say): subscriptions read what
   * it wrote. Calling it without a commit only costs a read.
   */
  notifyCommitted(): void {
    if (!this.closed) this.wakeSubscriptions();
  }

  private wakeSubscriptions(): void {
    try {
      this.persistent.onCommit();
    } finally {
      this.commits.emit('commit');
    }
  }

  /** Calls `listener` after every commit of this connection that wrote events; returns the unsubscribe. */
  onLocalCommit(listener: () => void): () => void {
    this.localCommitListeners.add(listener);
    return () => void this.localCommitListeners.delete(listener);
  }
}
