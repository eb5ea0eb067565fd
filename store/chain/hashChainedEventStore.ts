import type { JsonObject } from '../../domain/json';
import { StreamNotFoundError, WrongExpectedVersionError } from '../eventStore';
import type { AppendOptions, AppendResult, EventStore, EventToAppend } from '../eventStore';
import { chainLinkOf, GENESIS_HASH, UNCHAINED_PREDECESSOR_HASH } from './encoding';
import { serverChainedMetadata } from './serverHash';

/** A stream's last event as far as the chain needs it. */
type Head = Readonly<{ revision: bigint; hash: string }>;

/** How many stream heads a process remembers (an entry is ~200 bytes: 10,000 is ~2 MB). */
export const DEFAULT_HEAD_CACHE_SIZE = 10_000;
/** `any` / `stream_exists` appends are made exact; each writer in another process that gets in first makes one retry (every round one writer wins: no livelock). */
const MAX_INEXACT_ATTEMPTS = 100;

/**
 * Bounded, least recently used. A stale entry is harmless: the append it feeds carries the revision after the
 * entry's as its expected revision, so the store refuses it (WrongExpectedVersionError) when another writer moved
 * the stream meanwhile, and the entry is dropped.
 */
class HeadCache {
  private readonly heads = new Map<string, Head>();
  constructor(private readonly capacity: number) {}

  get(streamId: string): Head | undefined {
    const head = this.heads.get(streamId);
    if (head) {
      this.heads.delete(streamId);
      this.heads.set(streamId, head);
    }
    return head;
  }

  set(streamId: string, head: Head): void {
    const known = this.heads.get(streamId);
    if (known && known.revision > head.revision) return;
    this.heads.delete(streamId);
    this.heads.set(streamId, head);
    if (this.heads.size > this.capacity) this.heads.delete(this.heads.keys().next().value as string);
  }

  forget(streamId: string): void {
    this.heads.delete(streamId);
  }
}

/**
 * Chains every append (issue 18 item 1; docs/audit.md): each event's metadata gets `chain: {prev, hash}`, `prev` the
 * hash of the event before it in its stream. Applied by the composition roots to whichever adapter they opened, so
 * both adapters chain the same way.
 *
 * Where `prev` comes from, cheapest first: `no_stream` (every send) is the genesis hash, no read; an exact expected
 * revision is the cached head when it is that revision, else one backwards read of the stream's last event; `any`
 * and `stream_exists` read the head and append with its exact revision (retried on a concurrent writer), since an
 * inexact expectation would let a stale head through.
 */
class HashChainAppender {
  private readonly heads: HeadCache;
  /** Per stream, the end of the queue of inexact appends in flight. */
  private readonly inexact = new Map<string, Promise<void>>();
  constructor(
    private readonly store: EventStore,
    headCacheSize: number,
  ) {
    this.heads = new HeadCache(headCacheSize);
  }

  async append(streamId: string, events: readonly EventToAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    if (expected === 'no_stream') return this.appendAfter(streamId, events, null, 'no_stream');
    if (typeof expected === 'bigint') {
      const head = await this.headAt(streamId, expected);
      return this.appendAfter(streamId, events, head, expected);
    }
    return this.oneAtATime(streamId, () => this.appendInexact(streamId, events, expected));
  }

  /** Inexact appends to one stream, one at a time in this process, so that they do not all race for the same head. */
  private oneAtATime<R>(streamId: string, work: () => Promise<R>): Promise<R> {
    const before = this.inexact.get(streamId) ?? Promise.resolve();
    const mine = before.then(work, work);
    const settled = mine.then(
      () => {},
      () => {},
    );
    this.inexact.set(streamId, settled);
    void settled.then(() => {
      if (this.inexact.get(streamId) === settled) this.inexact.delete(streamId);
    });
    return mine;
  }

  private async appendInexact(streamId: string, events: readonly EventToAppend[], expected: 'any' | 'stream_exists'): Promise<AppendResult> {
    for (let attempt = 1; ; attempt++) {
      const head = await this.readHead(streamId);
      if (!head && expected === 'stream_exists') throw new WrongExpectedVersionError(streamId, expected, 'no_stream');
      try {
        return await this.appendAfter(streamId, events, head, head ? head.revision : 'no_stream');
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || attempt >= MAX_INEXACT_ATTEMPTS) throw error;
      }
    }
  }

  private async appendAfter(streamId: string, events: readonly EventToAppend[], head: Head | null, expected: 'no_stream' | bigint): Promise<AppendResult> {
    let prev = head ? head.hash : GENESIS_HASH;
    let revision = head ? head.revision + 1n : 0n;
    const chained = events.map((e): EventToAppend => {
      const metadata = serverChainedMetadata({ streamId, revision, type: e.type, data: e.data, metadata: e.metadata ?? {} }, prev) as JsonObject & { chain: { hash: string } };
      prev = metadata.chain.hash;
      revision++;
      return { ...e, metadata };
    });
    try {
      const result = await this.store.appendToStream(streamId, chained, { expectedRevision: expected });
      if (chained.length > 0) this.heads.set(streamId, { revision: result.nextExpectedRevision, hash: prev });
      return result;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) this.heads.forget(streamId);
      throw error;
    }
  }

  /** The head when it is at `revision`; otherwise the store's answer to such an append (nothing is written). */
  private async headAt(streamId: string, revision: bigint): Promise<Head> {
    const cached = this.heads.get(streamId);
    if (cached?.revision === revision) return cached;
    const head = await this.readHead(streamId);
    if (head?.revision !== revision) throw new WrongExpectedVersionError(streamId, revision, head ? head.revision : 'no_stream');
    return head;
  }

  private async readHead(streamId: string): Promise<Head | null> {
    try {
      for await (const last of this.store.readStream(streamId, { direction: 'backwards', fromRevision: 'end', maxCount: 1 })) {
        const link = chainLinkOf(last.metadata);
        // A head without a (well-formed) link: this stream's chain starts with the event about to be appended.
        const head = { revision: last.revision, hash: link && link !== 'malformed' ? link.hash : UNCHAINED_PREDECESSOR_HASH };
        this.heads.set(streamId, head);
        return head;
      }
      return null;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw error;
    }
  }
}

/**
 * `store` with chained appends: the same object for every other call (a Proxy, so `instanceof` and the adapter's
 * own methods, such as the embedded store's `notifyCommitted`, are kept for the composition root).
 */
export const withHashChain = <T extends EventStore>(store: T, options: Readonly<{ headCacheSize?: number }> = {}): T => {
  const appender = new HashChainAppender(store, options.headCacheSize ?? DEFAULT_HEAD_CACHE_SIZE);
  const appendToStream: EventStore['appendToStream'] = (streamId, events, appendOptions) => appender.append(streamId, events, appendOptions);
  return new Proxy(store, {
    get(target, property) {
      if (property === 'appendToStream') return appendToStream;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
};
