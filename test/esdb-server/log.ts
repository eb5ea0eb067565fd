import { randomUUID } from 'node:crypto';

/**
 * The in-memory transaction log of the EventStoreDB test server: streams, revisions and `$all` positions.
 *
 * Positions are log offsets, as on the real server: each record starts where the previous one ended, so
 * positions jump by the record's size (never 0, 1, 2…). An event written the usual way (an implicitly committed
 * prepare) has commit = prepare = its own log position (KurrentDB v24.10
 * src/EventStore.Core/Services/Storage/ReaderIndex/AllReader.cs: `new TFPos(prepare.LogPosition,
 * prepare.LogPosition)` for a committed prepare).
 */

export type LogPosition = Readonly<{ commit: bigint; prepare: bigint }>;

export type LoggedEvent = Readonly<{
  id: string;
  streamId: string;
  revision: bigint;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
  /** 100 ns ticks since the Unix epoch, as the server reports `created` (the client divides by 10 000 for ms). */
  createdTicks: bigint;
  position: LogPosition;
}>;

export type ProposedEvent = Readonly<{ id: string; type: string; contentType: string; data: Uint8Array; metadata: Uint8Array }>;

export type Expected = 'any' | 'no_stream' | 'stream_exists' | bigint;

export class WrongExpectedVersion extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: Expected,
    /** The stream's last revision, or -1n when it has none. */
    readonly current: bigint,
  ) {
    super(`WrongExpectedVersion on ${streamId}: expected ${String(expected)}, current ${current}`);
  }
}

const nowTicks = (): bigint => BigInt(Date.now()) * 10_000n;

/** A record's fixed overhead in the log besides its payload (header, ids, timestamps): a round figure. */
const RECORD_OVERHEAD = 93n;

export const comparePositions = (a: LogPosition, b: LogPosition): number =>
  a.commit === b.commit ? (a.prepare === b.prepare ? 0 : a.prepare < b.prepare ? -1 : 1) : a.commit < b.commit ? -1 : 1;

export class EventLog {
  readonly events: LoggedEvent[] = [];
  private readonly streams = new Map<string, LoggedEvent[]>();
  /** Where the next record starts. The real log starts past its chunk header and epoch records. */
  private nextOffset = 1_024n + BigInt(Math.floor(Math.random() * 4_096));
  private readonly listeners = new Set<(events: readonly LoggedEvent[]) => void>();

  constructor() {
    // The real server writes its own system records first (epoch, `$scavenges` and the like): `$all` is never
    // empty and starts with events projections must not see.
    this.write('$settings', [
      { id: randomUUID(), type: '$settings', contentType: 'application/json', data: Buffer.from('{}'), metadata: new Uint8Array() },
    ], 'any');
  }

  /** A soft-deleted stream reads as not found; its events stay in `$all` (until a scavenge, which this has not). */
  private readonly deleted = new Set<string>();

  stream(streamId: string): readonly LoggedEvent[] | undefined {
    return this.deleted.has(streamId) ? undefined : this.streams.get(streamId);
  }

  /** Soft delete (Streams.Delete), with the expected revision. */
  delete(streamId: string, expected: Expected): void {
    const current = this.currentRevision(streamId);
    const ok = expected === 'any' || (expected === 'stream_exists' && current >= 0n) || (expected === 'no_stream' && current === -1n) || expected === current;
    if (!ok) throw new WrongExpectedVersion(streamId, expected, current);
    this.deleted.add(streamId);
  }

  /** The last revision of the stream, or -1n when it has none. */
  currentRevision(streamId: string): bigint {
    const s = this.stream(streamId);
    return s && s.length > 0 ? BigInt(s.length - 1) : -1n;
  }

  /** Appends atomically, or throws WrongExpectedVersion. Returns the events written. */
  write(streamId: string, proposed: readonly ProposedEvent[], expected: Expected): readonly LoggedEvent[] {
    const current = this.currentRevision(streamId);
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && current === -1n) ||
      (expected === 'stream_exists' && current >= 0n) ||
      (typeof expected === 'bigint' && expected === current);
    if (!ok) {
      // Idempotence on ids (the real server's retry of the same write) is not modelled: Hookbase never relies on it.
      throw new WrongExpectedVersion(streamId, expected, current);
    }
    let stream = this.streams.get(streamId);
    if (!stream) {
      stream = [];
      this.streams.set(streamId, stream);
    }
    const created = nowTicks();
    const written: LoggedEvent[] = [];
    for (const p of proposed) {
      const at = this.nextOffset;
      this.nextOffset += RECORD_OVERHEAD + BigInt(Buffer.byteLength(streamId) + Buffer.byteLength(p.type) + p.data.length + p.metadata.length);
      const event: LoggedEvent = {
        ...p,
        streamId,
        revision: BigInt(stream.length),
        createdTicks: created,
        position: { commit: at, prepare: at },
      };
      stream.push(event);
      this.events.push(event);
      written.push(event);
    }
    if (written.length > 0) for (const listener of this.listeners) listener(written);
    return written;
  }

  /**
   * Edits the stored log as someone with access to the server's volume could, for the tamper tests
   * (test/auditAnchors.test.ts): `edit` changes `$all` in place (replace, remove, insert), and every stream is then
   * read from what is left, in `$all` order. Nothing is announced to subscriptions.
   */
  tamper(edit: (events: LoggedEvent[]) => void): void {
    edit(this.events);
    this.streams.clear();
    for (const event of this.events) {
      const stream = this.streams.get(event.streamId) ?? [];
      stream.push(event);
      this.streams.set(event.streamId, stream);
    }
  }

  /** Index in `events` of the first event at or after `position`. */
  indexAtOrAfter(position: LogPosition): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (comparePositions((this.events[mid] as LoggedEvent).position, position) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The position past the last record: where the next one goes. */
  endPosition(): LogPosition {
    return { commit: this.nextOffset, prepare: this.nextOffset };
  }

  onWrite(listener: (events: readonly LoggedEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
