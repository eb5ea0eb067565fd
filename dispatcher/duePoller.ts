import { evolveMessage, initialMessageState } from '../domain/message/message';
import { streams } from '../domain/streams';
import { collections } from '../projections/readModels';
import type { DueDeliveryDoc } from '../projections/readModels';
import { aggregateStream } from '../store/commandHandler';
import type { EventStore } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import type { CircuitBreakers } from './circuitBreaker';
import type { DispatcherConfig } from './config';
import type { DeliveryPipeline, DeliveryResult } from './deliveryPipeline';
import type { EndpointQueues } from './endpointQueue';
import { claimDueDeliveries, releaseLease, renewLease, sweepExpiredLeases } from './leases';
import { maxAttemptsFor } from './retrySchedule';

export type DuePollerDeps = Readonly<{
  events: EventStore;
  reads: ReadStore;
  config: DispatcherConfig;
  pipeline: DeliveryPipeline;
  queues: EndpointQueues;
  breakers: CircuitBreakers;
  log: (line: string) => void;
}>;

/** Pages read per poll at most, looking past entries that cannot run now (busy endpoint, leased elsewhere). */
const MAX_PAGES = 10;
const SWEEP_EVERY = 50;

const iso = (ms: number): string => new Date(ms).toISOString();
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Retries (invariant 4): polls the due-queue read model, claims what this instance can run now with a lease,
 * and runs it through the same pipeline as first attempts.
 */
export class DuePoller {
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private polls = 0;
  /** Due deliveries running here, by outbound id. */
  readonly running = new Map<string, Promise<void>>();

  constructor(private readonly deps: DuePollerDeps) {}

  start(): void {
    const tick = () => {
      this.polling = this.poll()
        .catch((error: unknown) => this.deps.log(`dispatcher: polling the due-queue failed: ${message(error)}`))
        .finally(() => {
          this.polling = null;
          if (this.timer) this.timer = setTimeout(tick, this.deps.config.duePollMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops polling; deliveries already claimed go on (the dispatcher waits for them). */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** One round: read what is due, keep what can run here now, claim it, run it. */
  async poll(): Promise<void> {
    const { reads, config, queues, breakers } = this.deps;
    const now = Date.now();
    if (++this.polls % SWEEP_EVERY === 0) await sweepExpiredLeases(reads, now - config.leaseMs);
    const due = reads.collection<DueDeliveryDoc>(collections.dueDeliveries);
    const budget = new Map<string, number>();
    const picked: DueDeliveryDoc[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES && picked.length < config.dueBatchSize; page++) {
      const found = await due.find({
        range: { key: 'dueAt', lte: iso(now) },
        orderBy: { key: 'dueAt', direction: 'asc' },
        limit: config.dueBatchSize,
        ...(cursor ? { cursor } : {}),
      });
      for (const doc of found.items) {
        if (this.running.has(doc.id)) continue;
        const admission = breakers.peek(doc.endpointId, now);
        // While a probe is out, the endpoint's other deliveries wait where they are.
        if (admission.kind === 'wait' && admission.probing) continue;
        // An open circuit only reschedules (no slot needed); anything else needs a free slot of its endpoint.
        if (admission.kind !== 'wait') {
          const free = budget.get(doc.endpointId) ?? queues.peek(doc.endpointId)?.free ?? config.perEndpointConcurrency;
          if (free <= 0) continue;
          budget.set(doc.endpointId, free - 1);
        }
        picked.push(doc);
        if (picked.length >= config.dueBatchSize) break;
      }
      if (found.nextCursor === null) break;
      cursor = found.nextCursor;
    }
    const claimed = await claimDueDeliveries(reads, picked, config.instanceId, config.leaseMs, now);
    for (const doc of claimed) {
      const run = this.run(doc).finally(() => this.running.delete(doc.id));
      this.running.set(doc.id, run);
    }
  }

  private async run(doc: DueDeliveryDoc): Promise<void> {
    const { events, reads, config, pipeline, log } = this.deps;
    const owner = config.instanceId;
    let result: DeliveryResult | 'failed' = 'failed';
    try {
      const { state } = await aggregateStream(events, streams.message(doc.messageId), evolveMessage, initialMessageState);
      if (state.status !== 'sent') {
        log(`dispatcher: due delivery ${doc.id} refers to unknown message ${doc.messageId}`);
        result = 'skipped';
        return;
      }
      const ref = state.message.outbound.find((o) => o.outboundId === doc.id);
      result = await pipeline.deliver({
        ref: { outboundId: doc.id, messageId: doc.messageId, endpointId: doc.endpointId, applicationId: doc.applicationId },
        attemptNumber: doc.attemptNumber,
        maxAttempts: ref?.maxAttempts ?? maxAttemptsFor(config.retryScheduleMs),
        message: state.message,
        fresh: false,
        renewLease: (ms) => renewLease(reads, doc.id, owner, doc.attemptNumber, Date.now() + ms + config.leaseMs),
      });
    } catch (error) {
      log(`dispatcher: due delivery ${doc.id} (attempt ${doc.attemptNumber}) failed: ${message(error)}`);
    } finally {
      // A skipped entry is stale (its attempt is recorded; the read model has not caught up), and one that failed
      // may fail again: keeping the lease until it expires stops this instance from claiming it again meanwhile.
      if (result !== 'skipped' && result !== 'failed') await releaseLease(reads, doc.id, owner, doc.attemptNumber).catch(() => {});
    }
  }
}
