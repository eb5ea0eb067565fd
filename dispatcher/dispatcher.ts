import { setMaxListeners } from 'node:events';
import { upcast } from '../domain/events';
import type { OutboundRef } from '../domain/message/message';
import { evolveMessage, initialMessageState } from '../domain/message/message';
import { streams } from '../domain/streams';
import { aggregateStream } from '../store/commandHandler';
import type { EventStore, RecordedEvent } from '../store/eventStore';
import { START, countEventsBehind } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import { CircuitBreakers } from './circuitBreaker';
import type { DispatcherConfig } from './config';
import { endpointConcurrency } from './config';
import type { DeliveryResult, WebhookMessage } from './deliveryPipeline';
import { DeliveryPipeline } from './deliveryPipeline';
import { DuePoller } from './duePoller';
import { EndpointQueues } from './endpointQueue';
import { EndpointViews } from './endpointView';
import { HttpDelivery } from './httpDelivery';
import { InboundDeliverer } from './inboundDeliverer';
import type { Settlement } from './subscriptionConsumer';
import { DISPATCHER_GROUP, SubscriptionConsumer, ensureDispatcherGroup } from './subscriptionConsumer';
import { threadMetrics } from '../observability/metrics';
import { activeTracing, traceparentOf } from '../observability/tracing';
import { collections } from '../projections/readModels';

export type DispatcherDeps = Readonly<{
  events: EventStore;
  reads: ReadStore;
  /** Operational state (delivery leases): apart from the read models, so a rebuild never drops a lease. */
  ops: ReadStore;
  masterKey: Buffer;
  config: DispatcherConfig;
  log?: (line: string) => void;
}>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Delivers webhooks: first attempts from the `dispatcher` persistent subscription (message streams), retries
 * from the due-queue read model (which needs the projections running somewhere). Every attempt goes through its
 * endpoint's own queue and circuit breaker, and its outcome is appended before its subscription event is acked.
 */
export class Dispatcher {
  private readonly events: EventStore;
  private readonly reads: ReadStore;
  private readonly config: DispatcherConfig;
  private readonly log: (line: string) => void;
  private readonly http: HttpDelivery;
  private readonly queues: EndpointQueues;
  private readonly cancel = new AbortController();
  private readonly pipeline: DeliveryPipeline;
  private readonly consumer: SubscriptionConsumer;
  private readonly poller: DuePoller;
  /** Inbound: routes received events and delivers to destinations with the same queues, breakers and HTTP client. */
  private readonly inbound: InboundDeliverer;
  /** First attempts running here, by outbound id: a redelivered event joins the running attempt. */
  private readonly firstAttempts = new Map<string, Promise<DeliveryResult>>();
  private sweeper: NodeJS.Timeout | null = null;
  private shedder: NodeJS.Timeout | null = null;
  private state: 'new' | 'running' | 'stopped' = 'new';
  /** Unregisters this dispatcher's gauges (observability/metrics.ts). */
  private readonly unregisterGauges: Array<() => void> = [];

  constructor(deps: DispatcherDeps) {
    const { events, reads, masterKey, config } = deps;
    this.events = events;
    this.reads = reads;
    this.config = config;
    this.log = deps.log ?? (() => {});
    // Every attempt in flight listens to it: as many as the endpoints' concurrency allows.
    setMaxListeners(0, this.cancel.signal);
    this.http = new HttpDelivery({ allowPrivateNetworks: config.allowPrivateNetworks, connectTimeoutMs: config.connectTimeoutMs, lookup: config.lookup });
    this.queues = new EndpointQueues(endpointConcurrency(config));
    const breakers = new CircuitBreakers({
      failureThreshold: config.circuitFailureThreshold,
      cooldownMs: config.circuitCooldownMs,
      maxCooldownMs: config.circuitMaxCooldownMs,
      disableAfterMs: config.disableAfterMs,
    });
    this.pipeline = new DeliveryPipeline({
      events,
      ops: deps.ops,
      masterKey,
      config,
      http: this.http,
      queues: this.queues,
      breakers,
      endpoints: new EndpointViews(events),
      cancel: this.cancel.signal,
      log: this.log,
    });
    this.consumer = new SubscriptionConsumer(events, (e) => this.onMessageEvent(e), config.subscriptionBufferSize, this.log);
    this.poller = new DuePoller({ events, reads, ops: deps.ops, config, pipeline: this.pipeline, queues: this.queues, breakers, log: this.log });
    this.queues.onRoom = () => this.poller.wake();
    this.inbound = new InboundDeliverer({ events, reads, ops: deps.ops, masterKey, config, http: this.http, queues: this.queues, breakers, cancel: this.cancel.signal, log: this.log });
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('A Dispatcher starts once; create a new one to start again.');
    this.state = 'running';
    await ensureDispatcherGroup(this.events, this.config.subscriptionMessageTimeoutMs);
    await this.consumer.start();
    this.poller.start();
    await this.inbound.start();
    this.sweeper = setInterval(() => this.queues.sweep(), 30_000);
    this.sweeper.unref();
    this.shedder = setInterval(() => this.pipeline.shed(), Math.max(25, Math.floor(this.config.maxQueueWaitMs / 4)));
    this.shedder.unref();
    this.registerGauges(this.reads);
  }

  private registerGauges(reads: ReadStore): void {
    const depths = (): number[] => [...this.queues.all()].map((q) => q.queued);
    this.unregisterGauges.push(
      threadMetrics.queueDepth.add(() => ({ '': depths().reduce((a, b) => a + b, 0) })),
      threadMetrics.queueDepthMax.add(() => ({ '': Math.max(0, ...depths()) })),
      threadMetrics.dueQueueSize.add(async () => ({ '': await reads.collection(collections.dueDeliveries).count() })),
      threadMetrics.subscriptionLag.add(async () => {
        const [head, info] = await Promise.all([this.events.headPosition(), this.events.getPersistentSubscriptionToAllInfo(DISPATCHER_GROUP)]);
        // Counted, not subtracted: EventStoreDB's positions are byte offsets.
        return { '': await countEventsBehind(this.events, info.checkpoint ?? START, head) };
      }),
    );
  }

  /**
   * Stops taking work, waits up to `stopTimeoutMs` for attempts in flight, then abandons the rest: an abandoned
   * attempt records nothing and its subscription event stays unacked, so it runs again after a restart.
   */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    for (const unregister of this.unregisterGauges.splice(0)) unregister();
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.shedder) clearInterval(this.shedder);
    this.consumer.drain();
    await this.poller.stop();
    await this.inbound.stop();
    const inFlight = () => Promise.allSettled([...this.consumer.inFlight, ...this.poller.running.values(), ...this.inbound.inFlight()]);
    await Promise.race([inFlight(), sleep(this.config.stopTimeoutMs)]);
    this.cancel.abort();
    await Promise.race([inFlight(), sleep(2_000)]);
    await this.poller.flush();
    await this.inbound.flush();
    await this.consumer.stop();
    this.queues.dispose();
    await this.http.close(true);
  }

  /** A message event from the subscription: attempt 1 of each of its deliveries, then ack. */
  private async onMessageEvent(recorded: RecordedEvent): Promise<Settlement> {
    const event = upcast(recorded.type, recorded.data, recorded.metadata);
    let message: WebhookMessage;
    let applicationId: string;
    let refs: readonly OutboundRef[];
    if (event?.type === 'MessageSent') {
      const d = event.data;
      message = { id: d.messageId, eventType: d.eventType, payload: d.payload, timestamp: d.timestamp };
      applicationId = d.applicationId;
      refs = d.outbound;
    } else if (event?.type === 'MessageResent') {
      // A resend carries no payload: the message stream has it.
      const { state } = await aggregateStream(this.events, streams.message(event.data.messageId), evolveMessage, initialMessageState);
      if (state.status !== 'sent') throw new Error(`MessageResent for unknown message ${event.data.messageId}`);
      message = state.message;
      applicationId = event.data.applicationId;
      refs = event.data.outbound;
    } else {
      return 'ack';
    }
    // Tracing on: the attempts continue the trace of the send (or resend) that created them.
    const traceparent = activeTracing === null ? undefined : traceparentOf(recorded.metadata);
    const results = await Promise.all(refs.map((ref) => this.firstAttempt(ref, message, applicationId, traceparent)));
    return results.includes('cancelled') ? 'leave' : 'ack';
  }

  private firstAttempt(ref: OutboundRef, message: WebhookMessage, applicationId: string, traceparent: string | undefined): Promise<DeliveryResult> {
    const running = this.firstAttempts.get(ref.outboundId);
    if (running) return running;
    const attempt = this.pipeline
      .deliver({
        ref: { outboundId: ref.outboundId, messageId: message.id, endpointId: ref.endpointId, applicationId },
        attemptNumber: 1,
        maxAttempts: ref.maxAttempts,
        message,
        fresh: true,
        traceparent,
      })
      .finally(() => this.firstAttempts.delete(ref.outboundId));
    this.firstAttempts.set(ref.outboundId, attempt);
    return attempt;
  }
}
