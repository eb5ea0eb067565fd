import type { Message } from '../domain/message/message';
import { evolveMessage, initialMessageState } from '../domain/message/message';
import { streams } from '../domain/streams';
import { collections } from '../projections/readModels';
import type { DueDeliveryDoc } from '../projections/readModels';
import { upcast } from '../domain/events';
import { activeTracing, traceparentOf } from '../observability/tracing';
import type { EventStore } from '../store/eventStore';
import { StreamNotFoundError } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import type { CircuitBreakers } from './circuitBreaker';
import type { DispatcherConfig } from './config';
import { endpointConcurrency } from './config';
import type { DeliveryPipeline, DeliveryResult } from './deliveryPipeline';
import type { EndpointQueues } from './endpointQueue';
import { UNPROVEN_CONCURRENCY } from './endpointQueue';
import { instanceGone } from './instanceLiveness';
import { claimDueDeliveries, LeaseReleaser, releaseLeasesOfGoneInstances, renewLease, sweepExpiredLeases } from './leases';
import { maxAttemptsFor } from './retrySchedule';

export type DuePollerDeps = Readonly<{
  events: EventStore;
  reads: ReadStore;
  /** Where the delivery leases are (the operational store). */
  ops: ReadStore;
  config: DispatcherConfig;
  pipeline: DeliveryPipeline;
  queues: EndpointQueues;
  breakers: CircuitBreakers;
  log: (line: string) => void;
}>;

/** Pages read per poll at most, looking past entries that cannot run now (busy endpoint, leased elsewhere). */
const MAX_PAGES = 10;
const SWEEP_EVERY = 50;
/**
 * A poll that found due deliveries but could take none, their endpoints' queues being full, waits this many poll
 * periods (at most MAX_BACKOFF_MS): such a queue wakes the poller when it has room again.
 */
const BLOCKED_BACKOFF = 4;
const MAX_BACKOFF_MS = 1_000;
/**
 * A lease is renewed before the request only when what is left of it would not cover the request's timeout plus
 * this: time to record the outcome (and clock skew between instances) while it is still ours.
 */
const LEASE_MARGIN_MS = 10_000;
/** Messages kept for the due deliveries to come (a message fanned out to many endpoints has as many retries). */
const MESSAGES_CACHED = 64;
/** Attempts recorded here that the due-queue read model may not show yet. */
const RECORDED_REMEMBERED = 4_096;

/** Trace contexts kept for due deliveries to come (tracing on). */
const TRACES_REMEMBERED = 4_096;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The message's state, folded from its stream as aggregateStream does; with `traces` (tracing on) it also notes the
 * `traceparent` of the event (MessageSent or MessageResent) that created each delivery: a retry continues that
 * trace. Null when the message stream does not exist.
 */
const readMessage = async (events: EventStore, messageId: string, traces: Map<string, string> | null): Promise<Message | null> => {
  let state = initialMessageState();
  try {
    for await (const recorded of events.readStream(streams.message(messageId))) {
      const event = upcast(recorded.type, recorded.data, recorded.metadata);
      if (event?.type !== 'MessageSent' && event?.type !== 'MessageResent') continue;
      state = evolveMessage(state, event);
      const traceparent = traces === null ? undefined : traceparentOf(recorded.metadata);
      if (traceparent !== undefined) for (const o of event.data.outbound) traces?.set(o.outboundId, traceparent);
    }
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return state.status === 'sent' ? state.message : null;
};
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Retries (invariant 4): polls the due-queue read model, claims what this instance can run now with a lease,
 * and runs it through the same pipeline as first attempts. A poll fills each endpoint's queue up to its
 * concurrency plus `maxQueuedPerEndpoint`; it polls again at once after a full batch, and when a queue it could
 * not fill has room again.
 */
export class DuePoller {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private polling: Promise<void> | null = null;
  private wakeWhenDone = false;
  private polls = 0;
  private readonly releaser: LeaseReleaser;
  /** Messages by id, least recently used first: a message's payload never changes (a resend only adds deliveries). */
  private readonly messages = new Map<string, Message>();
  /** Tracing on: the trace context each delivery of the messages read was created in, by outbound id (oldest first). */
  private readonly traces = new Map<string, string>();
  /**
   * Attempt numbers recorded here, by outbound id, until the read model catches up: their due entries are stale
   * and not claimed again (the pipeline would find the attempt made, after a claim and a stream read).
   */
  private readonly recorded = new Map<string, number>();
  /** Due deliveries running here, by outbound id. */
  readonly running = new Map<string, Promise<void>>();
  /** The same, counted by endpoint: claimed ones count before they reach their queue. */
  private readonly runningByEndpoint = new Map<string, number>();

  constructor(private readonly deps: DuePollerDeps) {
    this.releaser = new LeaseReleaser(deps.ops, (error) => deps.log(`dispatcher: releasing leases failed: ${message(error)}`));
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Polls as soon as the poll in progress (if any) is done. */
  wake(): void {
    if (this.stopped) return;
    if (this.polling) this.wakeWhenDone = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped || this.polling) return;
    let next = this.deps.config.duePollMs;
    this.polling = this.poll()
      .then((outcome) => {
        if (outcome === 'more') next = 0;
        else if (outcome === 'blocked') next = Math.min(this.deps.config.duePollMs * BLOCKED_BACKOFF, Math.max(MAX_BACKOFF_MS, this.deps.config.duePollMs));
      })
      .catch((error: unknown) => this.deps.log(`dispatcher: polling the due-queue failed: ${message(error)}`))
      .finally(() => {
        this.polling = null;
        if (this.wakeWhenDone) next = 0;
        this.wakeWhenDone = false;
        this.schedule(next);
      });
  }

  /** Stops polling; deliveries already claimed go on (the dispatcher waits for them, then `flush`). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** Waits for the leases given back so far to be released. */
  flush(): Promise<void> {
    return this.releaser.flush();
  }

  /**
   * One round: read what is due, keep what can run here now, claim it, run it. 'more' when the batch was full (more
   * may be due), 'blocked' when due deliveries were found but none could be taken.
   */
  async poll(): Promise<'done' | 'more' | 'blocked'> {
    const { reads, config, queues, breakers } = this.deps;
    const now = Date.now();
    const round = this.polls++;
    if (round % SWEEP_EVERY === 0) {
      if (round > 0) await sweepExpiredLeases(this.deps.ops, now - config.leaseMs);
      // From the first round: after a crash and restart, the dead process's claims are taken now, not in 60 s.
      const released = await releaseLeasesOfGoneInstances(this.deps.ops, now, instanceGone);
      if (released > 0) this.deps.log(`dispatcher: took back ${released} delivery leases of a dispatcher that is gone (a process on this host that no longer runs)`);
    }
    const due = reads.collection<DueDeliveryDoc>(collections.dueDeliveries);
    const budget = new Map<string, number>();
    const picked: DueDeliveryDoc[] = [];
    let blocked = 0;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES && picked.length < config.dueBatchSize; page++) {
      const found = await due.find({
        range: { key: 'dueAt', lte: iso(now) },
        orderBy: { key: 'dueAt', direction: 'asc' },
        limit: config.dueBatchSize,
        ...(cursor ? { cursor } : {}),
      });
      for (const doc of found.items) {
        if (this.running.has(doc.id) || (this.recorded.get(doc.id) ?? 0) >= doc.attemptNumber) continue;
        const admission = breakers.peek(doc.endpointId, now);
        // While a probe is out, the endpoint's other deliveries wait where they are.
        if (admission.kind === 'wait' && admission.probing) continue;
        // An open circuit only reschedules (no room needed); anything else needs room in its endpoint's queue.
        if (admission.kind !== 'wait') {
          let room = budget.get(doc.endpointId);
          if (room === undefined) {
            const queue = queues.peek(doc.endpointId);
            const capacity = endpointConcurrency(config) + config.maxQueuedPerEndpoint;
            // A queue not created yet would start with the limit of an endpoint that has not answered.
            const fresh = Math.min(endpointConcurrency(config), UNPROVEN_CONCURRENCY) + config.maxQueuedPerEndpoint;
            room = Math.min(queue ? queue.room(config.maxQueuedPerEndpoint) : fresh, capacity - (this.runningByEndpoint.get(doc.endpointId) ?? 0));
          }
          if (room <= 0) {
            // Poll again when this queue has drained (see EndpointQueue.wanted).
            const queue = queues.peek(doc.endpointId);
            if (queue) queue.wanted = true;
            blocked++;
            continue;
          }
          budget.set(doc.endpointId, room - 1);
        }
        picked.push(doc);
        if (picked.length >= config.dueBatchSize) break;
      }
      if (found.nextCursor === null) break;
      cursor = found.nextCursor;
    }
    const leaseUntil = now + config.leaseMs;
    const claimed = await claimDueDeliveries(this.deps.ops, picked, config.instanceId, config.leaseMs, now);
    for (const doc of claimed) {
      const ep = doc.endpointId;
      this.runningByEndpoint.set(ep, (this.runningByEndpoint.get(ep) ?? 0) + 1);
      const run = this.run(doc, leaseUntil).finally(() => {
        this.running.delete(doc.id);
        const left = (this.runningByEndpoint.get(ep) ?? 1) - 1;
        if (left > 0) this.runningByEndpoint.set(ep, left);
        else this.runningByEndpoint.delete(ep);
      });
      this.running.set(doc.id, run);
    }
    if (claimed.length > 0 && picked.length >= config.dueBatchSize) return 'more';
    return picked.length === 0 && blocked > 0 ? 'blocked' : 'done';
  }

  /** The message, from the cache when it knows the delivery; null when the message stream does not exist. */
  private async message(messageId: string, outboundId: string): Promise<Message | null> {
    const cached = this.messages.get(messageId);
    if (cached?.outbound.some((o) => o.outboundId === outboundId)) {
      this.messages.delete(messageId);
      this.messages.set(messageId, cached);
      return cached;
    }
    const read = await readMessage(this.deps.events, messageId, activeTracing === null ? null : this.traces);
    if (read === null) return null;
    this.messages.delete(messageId);
    this.messages.set(messageId, read);
    if (this.messages.size > MESSAGES_CACHED) this.messages.delete(this.messages.keys().next().value as string);
    while (this.traces.size > TRACES_REMEMBERED) this.traces.delete(this.traces.keys().next().value as string);
    return read;
  }

  private remember(outboundId: string, attemptNumber: number): void {
    this.recorded.delete(outboundId);
    this.recorded.set(outboundId, attemptNumber);
    if (this.recorded.size > RECORDED_REMEMBERED) this.recorded.delete(this.recorded.keys().next().value as string);
  }

  private async run(doc: DueDeliveryDoc, claimedUntil: number): Promise<void> {
    const { config, pipeline, log } = this.deps;
    const owner = config.instanceId;
    let leaseUntil = claimedUntil;
    let result: DeliveryResult | 'failed' = 'failed';
    try {
      const msg = await this.message(doc.messageId, doc.id);
      if (msg === null) {
        log(`dispatcher: due delivery ${doc.id} refers to unknown message ${doc.messageId}`);
        result = 'skipped';
        return;
      }
      const ref = msg.outbound.find((o) => o.outboundId === doc.id);
      result = await pipeline.deliver({
        ref: { outboundId: doc.id, messageId: doc.messageId, endpointId: doc.endpointId, applicationId: doc.applicationId },
        attemptNumber: doc.attemptNumber,
        maxAttempts: ref?.maxAttempts ?? maxAttemptsFor(config.retryScheduleMs),
        message: msg,
        fresh: false,
        traceparent: activeTracing === null ? undefined : this.traces.get(doc.id),
        renewLease: async (ms) => {
          // The lease as claimed usually covers the request: no transaction then.
          if (leaseUntil - Date.now() >= ms + LEASE_MARGIN_MS) return true;
          const until = Date.now() + ms + config.leaseMs;
          if (!(await renewLease(this.deps.ops, doc.id, owner, doc.attemptNumber, until))) return false;
          leaseUntil = until;
          return true;
        },
      });
    } catch (error) {
      log(`dispatcher: due delivery ${doc.id} (attempt ${doc.attemptNumber}) failed: ${message(error)}`);
    } finally {
      // A skipped entry is stale (its attempt is recorded; the read model has not caught up), and one that failed
      // may fail again: keeping the lease until it expires stops this instance from claiming it again meanwhile.
      if (result !== 'skipped' && result !== 'failed') this.releaser.release({ id: doc.id, owner, attemptNumber: doc.attemptNumber });
      if (result === 'recorded') this.remember(doc.id, doc.attemptNumber);
    }
  }
}
