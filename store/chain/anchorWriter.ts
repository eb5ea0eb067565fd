import type { AuditAnchor } from '../../domain/audit/audit';
import { eventMetadata } from '../../domain/events';
import type { JsonObject } from '../../domain/json';
import { streams } from '../../domain/streams';
import { ANCHOR_GENESIS_HASH, anchorHash, anchorHeaderOf, signAnchor } from '../../sdk/src/audit/anchor.js';
import type { AnchoredHead, AnchorData } from '../../sdk/src/audit/anchor.js';
import type { EventStore, Position, RecordedEvent, Subscription } from '../eventStore';
import { positionFromString, positionToString, StreamNotFoundError, WrongExpectedVersionError } from '../eventStore';
import type { AnchorSigningKey } from './anchorKey';
import { chainLinkOf } from './encoding';

/** When an anchor is written: after `every` events of the log, or `intervalMs` after the last one if anything changed. */
export type AnchorSchedule = Readonly<{ every: number; intervalMs: number }>;

/**
 * Defaults (docs/audit.md, "Defaults and their cost"): an anchor costs one Ed25519 signature, one SHA-256 per head
 * and one append, a few milliseconds in all, so 1,000 events per anchor puts it at a few microseconds per event
 * against the hundreds a send costs; 10 s bounds how long the newest events stay unpinned when traffic is low.
 */
export const DEFAULT_ANCHOR_EVERY = 1000;
export const DEFAULT_ANCHOR_INTERVAL_MS = 10_000;
/**
 * An anchor lists each head it pins (about 150 bytes each in JSON): 4,096 of them stay well under EventStoreDB's
 * default 1 MiB append limit.
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

/**
 * Writes the signed anchors (issue 18 item 2; docs/audit.md "Anchors"). Follows `$all` by a catch-up subscription
 * from the position the last anchor covers, keeps the head (revision, chain hash) of every stream changed since, and
 * every `every` events or `intervalMs` signs their Merkle root, chained to the last anchor, and appends it to the
 * anchors stream expecting the revision after the last anchor. Two writers therefore cannot fork the anchor chain:
 * the second append is refused (WrongExpectedVersionError), and the loser starts over from the winner's anchor. The
 * projections lease decides who runs it (projections/leadership.ts), so that normally only one process does the work.
 */
export class AnchorWriter {
  private readonly anchorsStream = streams.auditAnchors();
  private readonly log: (line: string) => void;
  private readonly now: () => Date;
  private running = false;
  /** Bumped at every (re)start: callbacks of an older subscription see a different number and do nothing. */
  private generation = 0;
  private subscription: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private key: AnchorSigningKey | null = null;
  private chain: ChainState = { sequence: 0n, prev: ANCHOR_GENESIS_HASH, upTo: undefined };
  private pending = new Map<string, AnchoredHead>();
  private pendingEvents = 0;
  private lastSeen: Position | null = null;
  /** Anchors are written one at a time. */
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
    const generation = this.generation;
    const turn = this.writing.then(() => this.writeAnchor(generation));
    this.writing = turn.catch(() => {});
    return turn;
  }

  private async halt(): Promise<void> {
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
    try {
      this.key ??= await this.options.key();
      this.chain = await readAnchorChainState(this.options.events);
    } catch (error) {
      this.log(`audit anchors: cannot start (${error instanceof Error ? error.message : String(error)}); trying again in ${this.options.schedule.intervalMs} ms`);
      this.retry = setTimeout(() => void this.restart(generation), this.options.schedule.intervalMs);
      this.retry.unref();
      return;
    }
    if (generation !== this.generation || !this.running) return;
    this.subscription = this.options.events.subscribeToAll(this.chain.upTo ? { fromPosition: this.chain.upTo } : {}, {
      onEvents: (batch) => this.onEvents(generation, batch),
      onDropped: (error) => {
        this.log(`audit anchors: the subscription dropped (${error.message}); starting again from the last anchor`);
        void this.restart(generation);
      },
    });
    this.timer = setInterval(() => void this.flush().catch(() => {}), this.options.schedule.intervalMs);
    this.timer.unref();
  }

  /** Starts again from the last anchor in the log (after another writer's anchor, a drop, or a failed start). */
  private async restart(generation: number): Promise<void> {
    if (generation !== this.generation || !this.running) return;
    this.generation++;
    await this.halt();
    if (this.running) await this.begin();
  }

  private async onEvents(generation: number, batch: readonly RecordedEvent[]): Promise<void> {
    for (const event of batch) {
      if (generation !== this.generation) return;
      this.lastSeen = event.position;
      if (event.streamId === this.anchorsStream) continue;
      const link = chainLinkOf(event.metadata);
      // Events written before chaining carry no hash to pin; a malformed link is `audit verify --log`'s to name.
      if (link === null || link === 'malformed') continue;
      this.pending.set(event.streamId, { stream: event.streamId, revision: event.revision.toString(), hash: link.hash });
      this.pendingEvents++;
      if (this.pendingEvents >= this.options.schedule.every) await this.flush().catch(() => {});
    }
  }

  private async writeAnchor(generation: number): Promise<void> {
    const key = this.key;
    const upTo = this.lastSeen;
    if (generation !== this.generation || !this.running || !key || upTo === null || this.pending.size === 0) return;
    const heads = [...this.pending.values()];
    const { sequence, prev } = this.chain;
    this.pending = new Map();
    this.pendingEvents = 0;
    const anchor = signAnchor({ sequence, prev, heads, upTo: positionToString(upTo), at: this.now() }, key.secretKey);
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
      // Kept for the next anchor, unless a newer head of the stream came meanwhile.
      for (const head of heads) if (!this.pending.has(head.stream)) this.pending.set(head.stream, head);
      this.pendingEvents += heads.length;
      this.log(`audit anchors: anchor ${sequence} could not be appended (${error instanceof Error ? error.message : String(error)}); kept for the next one`);
      throw error;
    }
  }
}
