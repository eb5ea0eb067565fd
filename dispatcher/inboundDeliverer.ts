import type { AuthCredentials } from '../domain/destination/rules';
import { DomainError } from '../domain/errors';
import { newId } from '../domain/ids';
import type { InboundDeliveryCreated } from '../domain/inbound/delivery';
import { evolveInboundDelivery, initialInboundDeliveryState } from '../domain/inbound/delivery';
import type { InboundDeliveryEvent, InboundDeliveryState } from '../domain/inbound/delivery';
import { inboundDeliveryDecider } from '../domain/inbound/deliveryDecide';
import type { InboundAttemptOutcome } from '../domain/inbound/deliveryDecide';
import { openSecret } from '../domain/secretBox';
import { streams } from '../domain/streams';
import { loadPayloadKey } from '../inbound/payloadKeys';
import { purgeIfDelivered, routeInboundEvent } from '../inbound/routing';
import { openBody } from '../inbound/storedBody';
import { collections } from '../projections/readModels';
import type { DestinationDoc, InboundDueDoc, InboundUnroutedDoc } from '../projections/readModels';
import { aggregateStream, handleCommand } from '../store/commandHandler';
import type { EventStore } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import type { CircuitBreakers } from './circuitBreaker';
import type { DispatcherConfig } from './config';
import type { EndpointQueues } from './endpointQueue';
import type { HttpDelivery } from './httpDelivery';
import { InboundFeed } from './inboundFeed';
import { LeaseReleaser, claimDueDeliveries } from './leases';

export type InboundDelivererDeps = Readonly<{
  events: EventStore;
  reads: ReadStore;
  ops: ReadStore;
  masterKey: Buffer;
  config: DispatcherConfig;
  /** The dispatcher's own machinery, shared with outbound: one HTTP client (SSRF guard), queues and breakers by target id. */
  http: HttpDelivery;
  queues: EndpointQueues;
  breakers: CircuitBreakers;
  cancel: AbortSignal;
  log: (line: string) => void;
}>;

const iso = (ms: number): string => new Date(ms).toISOString();
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
/** Longest wait between two attempts on one destination. */
const MAX_RETRY_DELAY_MS = 3_600_000;
const ROUTE_BATCH = 50;
/** Pages of `inbound_unrouted` a poll reads past events being routed here already. */
const MAX_ROUTE_PAGES = 10;

/** The request's headers: the destination's, its credentials (opened only here), and which event and delivery it is. */
export const requestHeaders = (masterKey: Buffer, d: DestinationDoc, created: Pick<InboundDeliveryCreated['data'], 'contentType' | 'inboundEventId' | 'deliveryId' | 'headersOverride'>, attemptNumber: number, userAgent: string): Record<string, string> => {
  const headers: Record<string, string> = {
    'content-type': created.contentType,
    'user-agent': `Hookbase/${userAgent}`,
    ...d.headers,
    ...created.headersOverride,
    'x-hookbase-event-id': created.inboundEventId,
    'x-hookbase-delivery-id': created.deliveryId,
    'x-hookbase-attempt': String(attemptNumber),
  };
  if (d.auth !== null) {
    const creds = JSON.parse(openSecret(masterKey, d.auth)) as AuthCredentials;
    switch (creds.type) {
      case 'basic':
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
        break;
      case 'bearer':
        headers.authorization = `Bearer ${creds.token}`;
        break;
      case 'api_key':
        headers[creds.headerName.toLowerCase()] = creds.key;
        break;
      case 'custom_header':
        headers[creds.headerName.toLowerCase()] = creds.value;
        break;
    }
  }
  return headers;
};

/**
 * The dispatcher's inbound role: routes received events and delivers inbound deliveries (leased as outbound retries
 * are) through the dispatcher's per-target queues, circuit breakers and SSRF-guarded HTTP client, keyed by
 * destination id. Work starts as soon as the log has it (`InboundFeed`: a receipt is routed, a created delivery
 * claimed and attempted at once); the work lists `inbound_unrouted` and `inbound_due` are polled every `duePollMs`
 * (again at once while a poll took a full batch) for what the feed did not start: retries coming due, work left by a
 * dispatcher that died, events appended while the feed was down. Every attempt is an event on the delivery's stream;
 * a delivery with no attempt left is exhausted (the dead-letter queue).
 */
export class InboundDeliverer {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private polling: Promise<void> | null = null;
  private readonly releaser: LeaseReleaser;
  private readonly routing = new Set<string>();
  private readonly feed: InboundFeed;
  /** Routings started from the feed and not finished (route() never rejects: it logs). */
  private readonly feedRouting = new Set<Promise<void>>();
  readonly running = new Map<string, Promise<void>>();
  /** Attempt numbers recorded here until the read model shows them (their due entries are stale). */
  private readonly recorded = new Map<string, number>();

  constructor(private readonly deps: InboundDelivererDeps) {
    this.releaser = new LeaseReleaser(deps.ops, (error) => deps.log(`dispatcher: releasing inbound leases failed: ${message(error)}`));
    this.feed = new InboundFeed(deps.events, { received: (ids) => this.routeFromFeed(ids), created: (due) => this.claimFromFeed(due) }, deps.log);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.feed.start();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.feed.stop();
    await Promise.allSettled(this.feedRouting);
    await this.polling;
  }

  inFlight(): Promise<unknown>[] {
    return [...this.running.values()];
  }

  flush(): Promise<void> {
    return this.releaser.flush();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      let more = false;
      this.polling = this.poll()
        .then((result) => {
          more = result === 'more';
        })
        .catch((error: unknown) => this.deps.log(`dispatcher: inbound poll failed: ${message(error)}`))
        .finally(() => {
          this.polling = null;
          this.schedule(more ? 0 : this.deps.config.duePollMs);
        });
    }, ms);
  }

  /** One round over both work lists; 'more' when either gave a full batch of which some work was taken. */
  async poll(): Promise<'more' | 'done'> {
    const routed = await this.routeReceived();
    const delivered = await this.deliverDue();
    return routed === 'more' || delivered === 'more' ? 'more' : 'done';
  }

  /** Routes one event here unless it is being routed here already; a failure is logged (the work list keeps the event). */
  private async route(id: string): Promise<void> {
    if (this.routing.has(id)) return;
    this.routing.add(id);
    try {
      await routeInboundEvent({ ...this.deps, now: () => new Date() }, id, 'first');
    } catch (error) {
      this.deps.log(`dispatcher: routing inbound event ${id} failed: ${message(error)}`);
    } finally {
      // Kept as routed until the read model drops it from the list: the next poll would route it again for nothing.
      setTimeout(() => this.routing.delete(id), 5_000).unref();
    }
  }

  /**
   * Events the feed heard of, routed at once, up to ROUTE_BATCH at a time: the feed reads on meanwhile (the deliveries a
   * routing creates come through it) and waits only when that many are being routed (it cannot run away).
   */
  private async routeFromFeed(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      if (this.stopped) return;
      while (this.feedRouting.size >= ROUTE_BATCH) await Promise.race(this.feedRouting);
      const routing: Promise<void> = this.route(id).finally(() => this.feedRouting.delete(routing));
      this.feedRouting.add(routing);
    }
  }

  /** Deliveries the feed heard of: claimed (the same leases as the poll's) and attempted at once, unless too much runs here already. */
  private async claimFromFeed(due: readonly InboundDueDoc[]): Promise<void> {
    if (this.stopped || this.running.size >= this.maxRunning()) return; // the poll takes them when there is room
    await this.claimAndRun(due, Date.now());
  }

  /** Deliveries claimed here and not finished: beyond this, what is due waits in the work list, not in memory under a lease. */
  private maxRunning(): number {
    return this.deps.config.dueBatchSize * 4;
  }

  private async claimAndRun(due: readonly InboundDueDoc[], now: number): Promise<number> {
    const { breakers, ops, config } = this.deps;
    const picked = due.filter((doc) => !this.running.has(doc.id) && (this.recorded.get(doc.id) ?? 0) < doc.attemptNumber && breakers.peek(doc.destinationId, now).kind !== 'wait');
    const claimed = await claimDueDeliveries(ops, picked, config.instanceId, config.leaseMs, now);
    for (const doc of claimed) {
      if (this.running.has(doc.id)) continue; // claimed by the poll and the feed at once: one run
      const run = this.run(doc).finally(() => this.running.delete(doc.id));
      this.running.set(doc.id, run);
    }
    return claimed.length;
  }

  /**
   * Received events not routed yet: routed here (derived delivery ids make a race with another dispatcher harmless).
   * Those being routed here are skipped, so a full page of them reads the next one.
   */
  private async routeReceived(): Promise<'more' | 'done'> {
    const unrouted = this.deps.reads.collection<InboundUnroutedDoc>(collections.inboundUnrouted);
    let cursor: string | undefined;
    for (let pages = 0; pages < MAX_ROUTE_PAGES; pages++) {
      const page = await unrouted.find({ orderBy: { key: 'receivedAt', direction: 'asc' }, limit: ROUTE_BATCH, ...(cursor ? { cursor } : {}) });
      const fresh = page.items.filter((doc) => !this.routing.has(doc.id));
      if (fresh.length > 0) {
        await Promise.all(fresh.map((doc) => this.route(doc.id)));
        return page.nextCursor === null ? 'done' : 'more';
      }
      if (page.nextCursor === null) return 'done';
      cursor = page.nextCursor;
    }
    return 'done';
  }

  private async deliverDue(): Promise<'more' | 'done'> {
    const { reads, config } = this.deps;
    if (this.running.size >= this.maxRunning()) return 'done';
    const now = Date.now();
    const found = await reads.collection<InboundDueDoc>(collections.inboundDue).find({ range: { key: 'dueAt', lte: iso(now) }, orderBy: { key: 'dueAt', direction: 'asc' }, limit: config.dueBatchSize });
    const claimed = await this.claimAndRun(found.items, now);
    return claimed > 0 && found.nextCursor !== null ? 'more' : 'done';
  }

  private async run(doc: InboundDueDoc): Promise<void> {
    const owner = this.deps.config.instanceId;
    let release = true;
    try {
      const outcome = await this.deliver(doc);
      if (outcome === 'recorded') {
        this.recorded.set(doc.id, doc.attemptNumber);
        if (this.recorded.size > 4096) this.recorded.delete(this.recorded.keys().next().value as string);
      }
      if (outcome === 'skipped') release = false; // stale entry: keep the lease until the read model catches up
    } catch (error) {
      release = false;
      this.deps.log(`dispatcher: inbound delivery ${doc.id} (attempt ${doc.attemptNumber}) failed: ${message(error)}`);
    } finally {
      if (release) this.releaser.release({ id: doc.id, owner, attemptNumber: doc.attemptNumber });
    }
  }

  private async deliver(doc: InboundDueDoc): Promise<'recorded' | 'skipped' | 'waiting' | 'cancelled'> {
    const { events, reads, breakers, queues } = this.deps;
    // One read of the stream: the state, and what the delivery was created with (its body and headers).
    const read: { created: InboundDeliveryCreated['data'] | null } = { created: null };
    const evolve = (s: InboundDeliveryState, event: InboundDeliveryEvent): InboundDeliveryState => {
      if (event.type === 'InboundDeliveryCreated') read.created = event.data;
      return evolveInboundDelivery(s, event);
    };
    const { state } = await aggregateStream(events, streams.inboundDelivery(doc.id), evolve, initialInboundDeliveryState);
    const created = read.created;
    if (state.status !== 'created' || created === null) return 'skipped';
    const delivery = state.delivery;
    const due = delivery.status === 'pending' || (delivery.status === 'failed' && delivery.nextAttemptAt !== null);
    if (!due || delivery.attempts + 1 !== doc.attemptNumber) return 'skipped';
    const destinationId = delivery.destinationIds[delivery.destinationIndex]!;
    const destination = await reads.collection<DestinationDoc>(collections.destinations).get(destinationId);
    if (!destination || !destination.isActive) {
      const why = destination ? `Destination ${destinationId} is inactive` : `Destination ${destinationId} does not exist`;
      return this.record(doc, { kind: 'failed', responseStatus: null, responseBody: '', latencyMs: 0, error: why, final: true }, null);
    }
    const breaker = breakers.get(destinationId);
    if (breaker.peek(Date.now()).kind === 'wait') return 'waiting';
    const queue = queues.get(destinationId);
    queue.setRateLimit(destination.rateLimit === null ? null : destination.rateLimit / destination.rateLimitWindow);
    return queue.run(() => this.attempt(doc, created, destination, delivery.attempts, delivery.attemptsOnDestination));
  }

  private async attempt(
    doc: InboundDueDoc,
    created: InboundDeliveryCreated['data'],
    destination: DestinationDoc,
    attemptsSoFar: number,
    onDestination: number,
  ): Promise<'recorded' | 'skipped' | 'waiting' | 'cancelled'> {
    const { http, breakers, config, masterKey, ops, cancel } = this.deps;
    if (cancel.aborted) return 'cancelled';
    const breaker = breakers.get(destination.id);
    if (breaker.admit(Date.now()).kind === 'wait') return 'waiting';
    try {
      const key = created.body.kind === 'sealed' ? await loadPayloadKey(ops, masterKey, created.body.keyId) : null;
      const bytes = openBody(created.body, () => key);
      if (bytes === null) {
        breaker.abandon();
        return this.record(doc, { kind: 'failed', responseStatus: null, responseBody: '', latencyMs: 0, error: 'The payload was purged (transient source): nothing to deliver', final: true }, null);
      }
      const result = await http.send({
        url: destination.url,
        method: destination.method,
        headers: requestHeaders(masterKey, destination, created, attemptsSoFar + 1, config.userAgentVersion),
        body: Buffer.from(bytes).toString('utf8'),
        timeoutMs: destination.timeoutMs,
        signal: cancel,
      });
      if (result.kind === 'cancelled') {
        breaker.abandon();
        return 'cancelled';
      }
      // The destination answered (any status): its queue runs its full concurrency, as an endpoint's does. Without it,
      // a destination's queue stayed at UNPROVEN_CONCURRENCY (4) attempts in flight for good.
      if (result.kind === 'succeeded' || (result.kind === 'failed' && result.responseStatus !== null)) this.deps.queues.get(destination.id).answered();
      const now = Date.now();
      const outcome: InboundAttemptOutcome =
        result.kind === 'succeeded'
          ? { kind: 'succeeded', responseStatus: result.responseStatus, responseBody: result.responseBody, latencyMs: result.latencyMs }
          : {
              kind: 'failed',
              responseStatus: result.kind === 'failed' ? result.responseStatus : null,
              responseBody: result.kind === 'failed' ? result.responseBody : '',
              latencyMs: result.latencyMs,
              error: result.error,
              final: result.kind === 'failed' && result.gone,
            };
      const transitions = outcome.kind === 'succeeded' ? breaker.onSuccess(now) : breaker.onFailure(now, outcome.error);
      for (const t of transitions) this.deps.log(`dispatcher: circuit of destination ${destination.id}: ${t.kind}`);
      // The destination's schedule: retryInterval, doubling per failed attempt there; a Retry-After is honoured.
      const retryAfterMs = result.kind === 'failed' && result.retryAfterSeconds !== null ? result.retryAfterSeconds * 1000 : 0;
      const delay = Math.min(MAX_RETRY_DELAY_MS, Math.max(retryAfterMs, destination.retryInterval * 1000 * 2 ** onDestination));
      // Only a transient event's deliveries are sealed (inbound/routing.ts, api/commands/inboundRecovery.ts): only they may end with a purge.
      return await this.record(doc, outcome, delay, created.body.kind === 'sealed' ? created.inboundEventId : undefined);
    } catch (error) {
      breaker.abandon();
      throw error;
    }
  }

  private async record(doc: InboundDueDoc, outcome: InboundAttemptOutcome, retryDelayMs: number | null, inboundEventId?: string): Promise<'recorded' | 'skipped'> {
    try {
      await handleCommand(this.deps.events, streams.inboundDelivery(doc.id), inboundDeliveryDecider, {
        type: 'RecordInboundAttempt',
        data: { deliveryId: doc.id, attemptId: newId('att'), attemptNumber: doc.attemptNumber, outcome, retryDelayMs },
        metadata: { now: iso(Date.now()) },
      });
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'attempt_already_recorded' || error.code === 'delivery_ended')) return 'skipped';
      throw error;
    }
    if (outcome.kind === 'succeeded' && inboundEventId !== undefined) {
      await purgeIfDelivered({ ...this.deps, now: () => new Date() }, inboundEventId).catch((error: unknown) => this.deps.log(`dispatcher: purging ${inboundEventId} failed: ${message(error)}`));
    }
    return 'recorded';
  }
}
