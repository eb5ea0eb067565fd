import type { AuthCredentials } from '../domain/destination/rules';
import { DomainError } from '../domain/errors';
import { newId } from '../domain/ids';
import type { InboundDeliveryCreated } from '../domain/inbound/delivery';
import { evolveInboundDelivery, initialInboundDeliveryState } from '../domain/inbound/delivery';
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
import { StreamNotFoundError } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import type { CircuitBreakers } from './circuitBreaker';
import type { DispatcherConfig } from './config';
import type { EndpointQueues } from './endpointQueue';
import type { HttpDelivery } from './httpDelivery';
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
 * The dispatcher's inbound role: routes received events (the `inbound_unrouted` work list) and delivers inbound
 * deliveries (the `inbound_due` list, leased as outbound retries are) through the dispatcher's per-target queues,
 * circuit breakers and SSRF-guarded HTTP client, keyed by destination id. Every attempt is an event on the delivery's
 * stream; a delivery with no attempt left is exhausted (the dead-letter queue).
 */
export class InboundDeliverer {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private polling: Promise<void> | null = null;
  private readonly releaser: LeaseReleaser;
  private readonly routing = new Set<string>();
  readonly running = new Map<string, Promise<void>>();
  /** Attempt numbers recorded here until the read model shows them (their due entries are stale). */
  private readonly recorded = new Map<string, number>();

  constructor(private readonly deps: InboundDelivererDeps) {
    this.releaser = new LeaseReleaser(deps.ops, (error) => deps.log(`dispatcher: releasing inbound leases failed: ${message(error)}`));
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
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
      this.polling = this.poll()
        .catch((error: unknown) => this.deps.log(`dispatcher: inbound poll failed: ${message(error)}`))
        .finally(() => {
          this.polling = null;
          this.schedule(this.deps.config.duePollMs);
        });
    }, ms);
  }

  async poll(): Promise<void> {
    await this.routeReceived();
    await this.deliverDue();
  }

  /** Received events not routed yet: routed here (derived delivery ids make a race with another dispatcher harmless). */
  private async routeReceived(): Promise<void> {
    const page = await this.deps.reads.collection<InboundUnroutedDoc>(collections.inboundUnrouted).find({ orderBy: { key: 'receivedAt', direction: 'asc' }, limit: ROUTE_BATCH });
    await Promise.all(
      page.items
        .filter((doc) => !this.routing.has(doc.id))
        .map(async (doc) => {
          this.routing.add(doc.id);
          try {
            await routeInboundEvent({ ...this.deps, now: () => new Date() }, doc.id, 'first');
          } catch (error) {
            this.deps.log(`dispatcher: routing inbound event ${doc.id} failed: ${message(error)}`);
          } finally {
            // Kept as routed until the read model drops it from the list: the next poll would route it again for nothing.
            setTimeout(() => this.routing.delete(doc.id), 5_000).unref();
          }
        }),
    );
  }

  private async deliverDue(): Promise<void> {
    const { reads, config, breakers, ops } = this.deps;
    const now = Date.now();
    const found = await reads.collection<InboundDueDoc>(collections.inboundDue).find({ range: { key: 'dueAt', lte: iso(now) }, orderBy: { key: 'dueAt', direction: 'asc' }, limit: config.dueBatchSize });
    const picked = found.items.filter((doc) => !this.running.has(doc.id) && (this.recorded.get(doc.id) ?? 0) < doc.attemptNumber && breakers.peek(doc.destinationId, now).kind !== 'wait');
    const claimed = await claimDueDeliveries(ops, picked, config.instanceId, config.leaseMs, now);
    for (const doc of claimed) {
      const run = this.run(doc).finally(() => this.running.delete(doc.id));
      this.running.set(doc.id, run);
    }
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

  private async created(deliveryId: string): Promise<InboundDeliveryCreated['data'] | null> {
    try {
      for await (const recorded of this.deps.events.readStream(streams.inboundDelivery(deliveryId))) {
        if (recorded.type === 'InboundDeliveryCreated') return recorded.data as InboundDeliveryCreated['data'];
      }
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    return null;
  }

  private async deliver(doc: InboundDueDoc): Promise<'recorded' | 'skipped' | 'waiting' | 'cancelled'> {
    const { events, reads, breakers, queues } = this.deps;
    const { state } = await aggregateStream(events, streams.inboundDelivery(doc.id), evolveInboundDelivery, initialInboundDeliveryState);
    if (state.status !== 'created') return 'skipped';
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
    return queue.run(() => this.attempt(doc, destination, delivery.attempts, delivery.attemptsOnDestination));
  }

  private async attempt(doc: InboundDueDoc, destination: DestinationDoc, attemptsSoFar: number, onDestination: number): Promise<'recorded' | 'skipped' | 'waiting' | 'cancelled'> {
    const { http, breakers, config, masterKey, ops, cancel } = this.deps;
    if (cancel.aborted) return 'cancelled';
    const breaker = breakers.get(destination.id);
    if (breaker.admit(Date.now()).kind === 'wait') return 'waiting';
    try {
      const created = await this.created(doc.id);
      if (created === null) return 'skipped';
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
      return await this.record(doc, outcome, delay, created.inboundEventId);
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
