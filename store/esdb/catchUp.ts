import { BACKWARDS, END, FORWARDS } from '@eventstore/db-client';
import type { AllStreamResolvedEvent, AllStreamSubscription, EventStoreDBClient, Position as ClientPosition } from '@eventstore/db-client';
import type { AllFilter, CatchUpHandler, CatchUpOptions, Position, RecordedEvent, Subscription } from '../eventStore';
import { comparePositions, matchesFilter } from '../eventStore';
import { isTransient, mapClientError, readFully, toClientFilter, toReadPosition, toRecordedEvent } from './translate';

/** The client calls a catch-up subscription makes (faked at this edge in unit tests). */
export type CatchUpClient = Pick<EventStoreDBClient, 'subscribeToAll' | 'readAll'>;

/** Resubscription after a dropped connection: the first wait, doubled after each failure up to the last. */
export type RetryPolicy = Readonly<{ initialMs: number; maxMs: number }>;

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 100, maxMs: 5_000 };

/** How often an idle subscription looks whether `$all` ends in events its filter drops (see coverTail). */
export const DEFAULT_TAIL_CHECK_MS = 500;
/** Records read at most to learn whether the tail holds an event for the handler. */
const TAIL_READ_LIMIT = 1_000;

/** Events handed to the handler at once, and how many may wait before the client's stream is paused. */
const MAX_BATCH = 500;
const HIGH_WATER = 2_000;

const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * A catch-up subscription to `$all` over the client's streaming subscription. The client hands out single
 * events: they are queued and given to the handler in batches, in order, one batch at a time; the client keeps
 * reading while a batch is handled, so the next batch holds whatever arrived meanwhile. Checkpoints the server
 * reports while filtering (`checkpointReached`, every 32 events it considers) are queued too, never awaited
 * there (awaiting them stopped the client's reading and cut batches to ~32 events), and reach `onCheckpoint`
 * once every event before them is through the handler. When the connection drops (the client never resubscribes), it opens a new
 * subscription after the last event or checkpoint it took, waiting `initialMs`, doubled after each failure up
 * to `maxMs`, and reset by the first event or checkpoint after. A handler that throws, or an error that is not
 * the connection's, ends it: `onDropped` is called once and the caller decides.
 */
export class EsdbCatchUpSubscription implements Subscription {
  private stopped = false;
  private generation = 0;
  private current: AllStreamSubscription | null = null;
  private readonly queue: RecordedEvent[] = [];
  private processing: Promise<void> | null = null;
  private inHandler = false;
  /** The last position taken (an event queued, or a checkpoint reported): where a resubscription starts after. */
  private cursor: Position | undefined;
  private delayMs: number;
  private timer: NodeJS.Timeout | null = null;
  /** Events queued so far, and handed through the handler so far: a checkpoint waits for those before it. */
  private enqueued = 0;
  private handled = 0;
  private readonly checkpoints: { position: Position; after: number }[] = [];
  private readonly tailTimer: NodeJS.Timeout;
  private checkingTail = false;

  constructor(
    private readonly client: CatchUpClient,
    options: CatchUpOptions,
    private readonly handler: CatchUpHandler,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly log: (line: string) => void = () => {},
    tailCheckMs = DEFAULT_TAIL_CHECK_MS,
  ) {
    this.cursor = options.fromPosition;
    this.filter = options.filter;
    this.delayMs = retry.initialMs;
    this.open();
    this.tailTimer = setInterval(() => void this.coverTail(), tailCheckMs);
    this.tailTimer.unref();
  }

  private readonly filter: AllFilter | undefined;

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.close();
    clearInterval(this.tailTimer);
    // A handler may call stop() itself: waiting for its own batch would deadlock.
    if (!this.inHandler) await this.processing;
  }

  private open(): void {
    const generation = ++this.generation;
    const subscription = this.client.subscribeToAll({
      fromPosition: toReadPosition(this.cursor),
      filter: toClientFilter(this.filter, (_s, position) => this.checkpointReached(generation, position)),
    });
    this.current = subscription;
    subscription.on('data', (resolved: AllStreamResolvedEvent) => this.take(generation, resolved));
    subscription.on('error', (error: Error) => this.ended(generation, error));
    subscription.on('end', () => this.ended(generation, new Error('the server ended the subscription')));
  }

  private close(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const current = this.current;
    this.current = null;
    current?.unsubscribe().catch(() => {});
  }

  private take(generation: number, resolved: AllStreamResolvedEvent): void {
    if (generation !== this.generation || this.stopped) return;
    const event = resolved.event;
    if (event && !event.type.startsWith('$')) {
      let recorded: RecordedEvent;
      try {
        recorded = toRecordedEvent(event, 'catch-up subscription to $all');
      } catch (error) {
        this.fail(toError(error));
        return;
      }
      // The server filters; this also keeps out anything at or before where it (re)started.
      const fresh = this.cursor === undefined || comparePositions(recorded.position, this.cursor) > 0;
      if (fresh && matchesFilter(this.filter, recorded)) {
        this.queue.push(recorded);
        this.enqueued++;
        this.cursor = recorded.position;
        if (this.queue.length >= HIGH_WATER) this.current?.pause();
        this.process();
      }
    }
  }

  private process(): void {
    if (this.processing) return;
    this.processing = (async () => {
      // Let the events already buffered arrive: they join this batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while ((this.queue.length > 0 || this.checkpoints.length > 0) && !this.stopped) {
        if (this.queue.length > 0) {
          const batch = this.queue.splice(0, MAX_BATCH);
          this.inHandler = true;
          try {
            await this.handler.onEvents(batch);
          } catch (error) {
            this.fail(toError(error));
            return;
          } finally {
            this.inHandler = false;
          }
          this.handled += batch.length;
          this.delayMs = this.retry.initialMs;
          if (this.current?.isPaused()) this.current.resume();
        }
        // The latest checkpoint whose events are all through the handler (older ones say less).
        let due: Position | undefined;
        while (this.checkpoints.length > 0 && (this.checkpoints[0] as { after: number }).after <= this.handled) due = this.checkpoints.shift()?.position;
        if (due && !this.stopped) {
          try {
            await this.handler.onCheckpoint?.(due);
          } catch (error) {
            this.fail(toError(error));
            return;
          }
        }
      }
    })().finally(() => {
      this.processing = null;
      if ((this.queue.length > 0 || this.checkpoints.length > 0) && !this.stopped) this.process();
    });
  }

  /** Every event the client has emitted so far is through the handler, and every checkpoint reported. */
  private idle(): boolean {
    return this.queue.length === 0 && this.checkpoints.length === 0 && this.processing === null && (this.current?.readableLength ?? 0) === 0;
  }

  /**
   * The client calls this in order with its events and awaits it before it reads on: it returns at once, so the
   * client keeps reading; the checkpoint waits in line behind the events queued before it.
   */
  private checkpointReached(generation: number, clientPosition: ClientPosition): void {
    if (generation !== this.generation || this.stopped) return;
    const position: Position = { commit: clientPosition.commit, prepare: clientPosition.prepare };
    if (this.cursor !== undefined && comparePositions(position, this.cursor) <= 0) return;
    this.cursor = position;
    this.delayMs = this.retry.initialMs;
    this.checkpoints.push({ position, after: this.enqueued });
    this.process();
  }

  private ended(generation: number, error: Error): void {
    if (generation !== this.generation || this.stopped) return;
    const mapped = toError(mapClientError(error, {}));
    this.close();
    if (!isTransient(error) && error.message !== 'the server ended the subscription') {
      this.fail(mapped);
      return;
    }
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.retry.maxMs);
    this.log(`esdb: catch-up subscription to $all dropped (${mapped.message}); resubscribing in ${delay} ms`);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.open();
    }, delay);
    this.timer.unref();
  }

  /**
   * The server reports a checkpoint only every so many records it reads: when `$all` ends in records the filter
   * drops, none may come for a long while, and a waiter on such a position would wait. So, while nothing is
   * pending, this reads the last record of `$all`; if it is past the cursor and no record between them is one the
   * handler should get, that position is reported as a checkpoint (through checkpointReached, so never ahead of
   * an event still on its way). An event that arrives meanwhile moves the cursor past it, and the report is dropped.
   */
  private async coverTail(): Promise<void> {
    if (this.checkingTail || this.stopped || !this.idle() || this.current === null) return;
    this.checkingTail = true;
    const generation = this.generation;
    try {
      let head: Position | undefined;
      for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }) as AsyncIterable<AllStreamResolvedEvent>) {
        if (resolved.event?.position) head = resolved.event.position;
      }
      if (!head || (this.cursor !== undefined && comparePositions(head, this.cursor) <= 0)) return;
      if (await this.deliverableBefore(head)) return;
      this.checkpointReached(generation, head);
    } catch {
      // A failed look is retried at the next tick; the subscription itself reports its own errors.
    } finally {
      this.checkingTail = false;
    }
  }

  /** Whether a record after the cursor and up to `head` is one the handler should get (or too many to tell). */
  private async deliverableBefore(head: Position): Promise<boolean> {
    const page = await readFully(this.client.readAll({ direction: FORWARDS, fromPosition: toReadPosition(this.cursor), maxCount: TAIL_READ_LIMIT }) as AsyncIterable<AllStreamResolvedEvent>);
    for (const resolved of page) {
      const event = resolved.event;
      if (!event?.position) continue;
      if (comparePositions(event.position, head) > 0) return false;
      if (this.cursor !== undefined && comparePositions(event.position, this.cursor) <= 0) continue;
      if (!event.type.startsWith('$') && matchesFilter(this.filter, event)) return true;
    }
    return page.length >= TAIL_READ_LIMIT;
  }

  private fail(error: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.close();
    this.queue.length = 0;
    clearInterval(this.tailTimer);
    this.checkpoints.length = 0;
    if (this.handler.onDropped) this.handler.onDropped(error);
    else process.emitWarning(`EventStoreDB catch-up subscription dropped without an onDropped handler: ${error.message}`);
  }
}
