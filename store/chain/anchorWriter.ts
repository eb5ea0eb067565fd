import type { AuditAnchor } from '../../domain/audit/audit';
import { eventMetadata } from '../../domain/events';
import type { JsonObject } from '../../domain/json';
import { streams } from '../../domain/streams';
import { ANCHOR_GENESIS_HASH, AnchorFormatError, anchorHash, anchorHeaderOf } from '../../sdk/src/audit/anchor.js';
import type { AnchoredHead, AnchorData, AnchorDataV2 } from '../../sdk/src/audit/anchor.js';
import type { EventStore, Position, RecordedEvent, Subscription } from '../eventStore';
import { comparePositions, positionFromString, positionToString, StreamNotFoundError, WrongExpectedVersionError } from '../eventStore';
import type { AnchorSigningKey } from './anchorKey';
import { CHAIN_KEY } from './encoding';
import { serverSignAnchor } from './serverHash';

const HEX64 = /^[0-9a-f]{64}$/;

/** When an anchor is written: after `every` events of the log, or `intervalMs` after the last one if anything changed. */
export type AnchorSchedule = Readonly<{ every: number; intervalMs: number }>;

/**
 * Defaults (docs/audit.md, "Defaults and their cost"): an anchor costs one Ed25519 signature and one append (a fixed
 * part of a few hundred microseconds, under 1 µs per event at 1,000 events per anchor), and per head one SHA-256 of
 * the tree and about 60 stored bytes; 10 s bounds how long the newest events stay unpinned when traffic is low.
 */
export const DEFAULT_ANCHOR_EVERY = 1000;
export const DEFAULT_ANCHOR_INTERVAL_MS = 10_000;
/**
 * An anchor lists each head it pins (about 60 bytes each in version 2, up to a few hundred for a long stream id):
 * 4,096 of them stay well under EventStoreDB's default 1 MiB append limit.
 */
export const MAX_ANCHOR_EVERY = 4096;

export type AnchorWriterOptions = Readonly<{
  events: EventStore;
  /** The deployment's key (anchorKey.ts loadOrCreateAnchorKey); asked for once per start. */
  key: () => Promise<AnchorSigningKey>;
  schedule: AnchorSchedule;
  log?: (line: string) => void;
  now?: () => Date;
}>;

/** Where the anchor chain stands: the next anchor's sequence, its `prev`, and the last log position covered. */
type ChainState = { sequence: bigint; prev: string; upTo: Position | undefined };

/** The last anchor of the log, or the start of the chain. */
export const readAnchorChainState = async (events: EventStore): Promise<ChainState> => {
  try {
    for await (const last of events.readStream(streams.auditAnchors(), { direction: 'backwards', fromRevision: 'end', maxCount: 1 })) {
      const data = last.data as unknown as AnchorData;
      // anchorHeaderOf + anchorHash check every field's format: a malformed last anchor is not built upon.
      return { sequence: last.revision + 1n, prev: anchorHash(anchorHeaderOf(data)), upTo: positionFromString(data.upTo) };
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return { sequence: 0n, prev: ANCHOR_GENESIS_HASH, upTo: undefined };
};

/** Where a fed writer takes the log from: the projections runner's batches (projections/runner.ts onBatch). */
export type AnchorFeed = Readonly<{
  /** Calls `listener` with every batch of `$all` the source reads, in log order; returns how to stop listening. */
  onBatch: (listener: (batch: readonly RecordedEvent[]) => void) => () => void;
}>;

/** What an anchor will pin: the heads sealed together, and the last log position they cover. */
type Sealed = Readonly<{ heads: AnchoredHead[]; upTo: Position }>;

/**
 * `off` between runs; `catching-up` while it reads the log from the last anchor (a fed writer keeps the batches fed
 * meanwhile, to take after); `live` once it follows the log as it grows.
 */
type Mode = 'off' | 'catching-up' | 'live';

/**
 * Writes the signed anchors (issue 18 item 2; docs/audit.md "Anchors"). Keeps the head (revision, chain hash) of
 * every stream changed since the last anchor, and every `every` events or `intervalMs` signs their Merkle root,
 * chained to the last anchor, and appends it to the anchors stream expecting the revision after the last anchor. Two
 * writers therefore cannot fork the anchor chain: the second append is refused (WrongExpectedVersionError), and the
 * loser starts over from the winner's anchor. The projections lease decides who runs it (projections/leadership.ts),
 * so that normally only one process does the work.
 *
 * Where it reads the log: at each start, `$all` from the position the last anchor covers (`upTo`) to the end; then,
 * when it was given a feed (`follow`, the lease holder's projections runner), the batches the runner reads anyway,
 * so that the log is read and decoded once, not twice (docs/audit.md "Defaults and their cost"); without a feed,
 * its own catch-up subscription. Events at or before the last position it noted are skipped, so the catch-up read
 * and the feed may overlap but leave no gap: the feed is listened to before the read starts.
 */
export class AnchorWriter {
  private readonly anchorsStream = streams.auditAnchors();
  private readonly log: (line: string) => void;
  private readonly now: () => Date;
  private running = false;
  /** Bumped at every (re)start: callbacks and sealed anchors of an older run see a different number and do nothing. */
  private generation = 0;
  private mode: Mode = 'off';
  private subscription: Subscription | null = null;
  private feed: AnchorFeed | null = null;
  private unfollow: (() => void) | null = null;
  /** Batches fed while catching up, taken once the read reached the end. */
  private fedMeanwhile: (readonly RecordedEvent[])[] = [];
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private key: AnchorSigningKey | null = null;
  private chain: ChainState = { sequence: 0n, prev: ANCHOR_GENESIS_HASH, upTo: undefined };
  /** The last chained event of each stream changed since the last anchor. */
  private pending = new Map<string, RecordedEvent>();
  private pendingEvents = 0;
  private lastSeen: Position | null = null;
  /** Anchors are written one at a time, in the order they were sealed. */
  private writing: Promise<void> = Promise.resolve();
  private written = 0;

  constructor(private readonly options: AnchorWriterOptions) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => new Date());
  }

  /** How many stream heads wait for the next anchor. */
  get pendingHeads(): number {
    return this.pending.size;
  }

  /** How many anchors this writer appended since it was made. */
  get anchorsWritten(): number {
    return this.written;
  }

  /**
   * Takes the log from `feed` instead of a subscription of its own (projections/leadership.ts gives it each new
   * runner). A running writer starts over from the last anchor, so that nothing between two sources is missed.
   */
  follow(feed: AnchorFeed): void {
    this.unfollow?.();
    this.feed = feed;
    this.unfollow = feed.onBatch((batch) => this.onFed(batch));
    if (this.running) void this.restart(this.generation);
  }

  /** Starts following the log (idempotent). Never throws: a failure is logged and the start retried. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.begin();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    await this.halt();
    await this.writing;
  }

  /** Writes an anchor now over what changed since the last one (nothing when nothing changed). */
  flush(): Promise<void> {
    return this.seal() ?? this.writing;
  }

  private async halt(): Promise<void> {
    this.mode = 'off';
    this.fedMeanwhile = [];
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
    this.timer = null;
    this.retry = null;
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
  }

  private async begin(): Promise<void> {
    const generation = ++this.generation;
    this.pending = new Map();
    this.pendingEvents = 0;
    this.lastSeen = null;
    // Batches fed from now on are kept: the read below may end before them.
    this.mode = 'catching-up';
    this.fedMeanwhile = [];
    try {
      this.key ??= await this.options.key();
      this.chain = await readAnchorChainState(this.options.events);
      if (this.feed) await this.catchUp(generation);
    } catch (error) {
      if (generation !== this.generation) return;
      this.mode = 'off';
      this.fedMeanwhile = [];
      this.log(`audit anchors: cannot start (${error instanceof Error ? error.message : String(error)}); trying again in ${this.options.schedule.intervalMs} ms`);
      this.retry = setTimeout(() => void this.restart(generation), this.options.schedule.intervalMs);
      this.retry.unref();
      return;
    }
    if (generation !== this.generation || !this.running) return;
    if (this.feed) {
      const meanwhile = this.fedMeanwhile;
      this.fedMeanwhile = [];
      this.mode = 'live';
      for (const batch of meanwhile) this.take(batch);
    } else {
      this.mode = 'live';
      this.subscription = this.options.events.subscribeToAll(this.chain.upTo ? { fromPosition: this.chain.upTo } : {}, {
        onEvents: (batch) => this.onEvents(generation, batch),
        onDropped: (error) => {
          this.log(`audit anchors: the subscription dropped (${error.message}); starting again from the last anchor`);
          void this.restart(generation);
        },
      });
    }
    this.timer = setInterval(() => void this.flush().catch(() => {}), this.options.schedule.intervalMs);
    this.timer.unref();
  }

  /** Reads `$all` from the last anchor to the end (a fed writer's start: what the feed's batches began after). */
  private async catchUp(generation: number): Promise<void> {
    for await (const event of this.options.events.readAll(this.chain.upTo ? { fromPosition: this.chain.upTo } : {})) {
      if (generation !== this.generation) return;
      // Sealed anchors are written before the read goes on: it does not run ahead of them by more than one.
      if (this.note(event)) await this.writing;
    }
  }

  /** Starts again from the last anchor in the log (after another writer's anchor, a drop, a failure or a new feed). */
  private async restart(generation: number, delayMs = 0): Promise<void> {
    if (generation !== this.generation || !this.running) return;
    this.generation++;
    await this.halt();
    if (!this.running) return;
    if (delayMs === 0) {
      await this.begin();
      return;
    }
    const waiting = this.generation;
    this.retry = setTimeout(() => {
      if (waiting === this.generation && this.running) void this.begin();
    }, delayMs);
    this.retry.unref();
  }

  /** A batch from the feed: kept while catching up, taken when live, ignored otherwise. */
  private onFed(batch: readonly RecordedEvent[]): void {
    if (!this.running) return;
    if (this.mode === 'catching-up') this.fedMeanwhile.push(batch);
    else if (this.mode === 'live') this.take(batch);
  }

  /**
   * The fed events after the last one noted (the feed and the catch-up read overlap; a runner may replay a batch). A
   * batch is in log order: once one event is past the last noted, so are the rest (positions compared once, not per event).
   */
  private take(batch: readonly RecordedEvent[]): void {
    let from = 0;
    if (this.lastSeen !== null) {
      const lastSeen = this.lastSeen;
      while (from < batch.length && comparePositions((batch[from] as RecordedEvent).position, lastSeen) <= 0) from++;
    }
    for (let i = from; i < batch.length; i++) this.note(batch[i] as RecordedEvent);
  }

  private async onEvents(generation: number, batch: readonly RecordedEvent[]): Promise<void> {
    for (const event of batch) {
      if (generation !== this.generation) return;
      if (this.note(event)) await this.writing;
    }
  }

  /**
   * Notes the event's head; true when that sealed an anchor (`every` events since the last). Per event only the
   * stream's last event is kept (the batch's own object): its head is built once, when the anchor is sealed.
   */
  private note(event: RecordedEvent): boolean {
    this.lastSeen = event.position;
    if (event.streamId === this.anchorsStream) return false;
    // Events written before chaining carry no hash to pin; a malformed link is `audit verify --log`'s to name.
    const link = event.metadata[CHAIN_KEY];
    if (link === null || typeof link !== 'object' || Array.isArray(link) || typeof link.hash !== 'string' || link.hash.length !== 64) return false;
    this.pending.set(event.streamId, event);
    this.pendingEvents++;
    if (this.pendingEvents < this.options.schedule.every) return false;
    this.seal()?.catch(() => {});
    return true;
  }

  /**
   * Takes the pending heads, up to the last event noted, for the next anchor (written after those sealed before);
   * undefined when nothing is pending. Synchronous, so that the heads and `upTo` always match. The heads in anchor
   * order (by stream id: the default sort compares UTF-16 code units, as anchors order them).
   */
  private seal(): Promise<void> | undefined {
    const upTo = this.lastSeen;
    if (!this.running || upTo === null || this.pending.size === 0) return undefined;
    const pending = this.pending;
    const heads = [...pending.keys()].sort().map((stream): AnchoredHead => {
      const event = pending.get(stream) as RecordedEvent;
      return { stream, revision: event.revision.toString(), hash: (event.metadata[CHAIN_KEY] as { hash: string }).hash };
    });
    const sealed: Sealed = { heads, upTo };
    this.pending = new Map();
    this.pendingEvents = 0;
    const generation = this.generation;
    const turn = this.writing.then(() => this.writeAnchor(generation, sealed));
    this.writing = turn.catch(() => {});
    return turn;
  }

  private async writeAnchor(generation: number, { heads, upTo }: Sealed): Promise<void> {
    const key = this.key;
    if (generation !== this.generation || !this.running || !key) return;
    const { sequence, prev } = this.chain;
    const input = { sequence, prev, heads, upTo: positionToString(upTo), at: this.now() };
    let anchor: AnchorDataV2;
    try {
      anchor = serverSignAnchor(input, key);
    } catch (error) {
      if (!(error instanceof AnchorFormatError)) throw error;
      // A link whose hash is not hex (the writer checks only its length per event): not pinned, as an event
      // without a link is not; `audit verify --log` names it malformed.
      const pinned = heads.filter((h) => HEX64.test(h.hash));
      if (pinned.length === 0) return;
      anchor = serverSignAnchor({ ...input, heads: pinned }, key);
    }
    const data = anchor as unknown as AuditAnchor['data'] & JsonObject;
    try {
      await this.options.events.appendToStream(this.anchorsStream, [{ type: 'AuditAnchor', data, metadata: eventMetadata('AuditAnchor', { now: anchor.at }) }], {
        expectedRevision: sequence === 0n ? 'no_stream' : sequence - 1n,
      });
      this.chain = { sequence: sequence + 1n, prev: anchorHash(anchor), upTo };
      this.written++;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        // Another writer appended an anchor first: continue its chain, from what it covers.
        this.log(`audit anchors: anchor ${sequence} was written by another process; continuing from the last anchor in the log`);
        setImmediate(() => void this.restart(generation));
        return;
      }
      // The anchors sealed after this one must not be appended over its heads' gap: start over from the last anchor
      // in the log (its `upTo`), which reads these heads again, after the interval.
      this.log(`audit anchors: anchor ${sequence} could not be appended (${error instanceof Error ? error.message : String(error)}); starting again from the last anchor in ${this.options.schedule.intervalMs} ms`);
      void this.restart(generation, this.options.schedule.intervalMs);
      throw error;
    }
  }
}
