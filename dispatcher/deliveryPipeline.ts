import { createHash } from 'node:crypto';
import type { Endpoint } from '../domain/endpoint/endpoint';
import type { EndpointCommand } from '../domain/endpoint/decide';
import { endpointDecider } from '../domain/endpoint/decide';
import { DomainError } from '../domain/errors';
import { eventMetadata } from '../domain/events';
import { newId } from '../domain/ids';
import type { Message } from '../domain/message/message';
import { webhookBody } from '../domain/message/message';
import type { AttemptOutcome, OutboundCommand } from '../domain/outbound/decide';
import { outboundDecider } from '../domain/outbound/decide';
import type { DeliveryRef, OutboundState, SentRequest } from '../domain/outbound/outbound';
import { evolveOutbound, initialOutboundState } from '../domain/outbound/outbound';
import { streams } from '../domain/streams';
import type { Aggregate } from '../store/commandHandler';
import { aggregateStream, handleCommand } from '../store/commandHandler';
import type { EventStore } from '../store/eventStore';
import { WrongExpectedVersionError } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import type { CircuitBreaker, CircuitBreakers, Transition } from './circuitBreaker';
import { addFailure, endStreak } from './circuitFailures';
import type { FailureStreak } from './circuitFailures';
import type { DispatcherConfig } from './config';
import type { EndpointQueue, EndpointQueues } from './endpointQueue';
import type { EndpointViews } from './endpointView';
import { cachedOpener, signingSecrets, unusableReason } from './endpointView';
import type { HttpDelivery } from './httpDelivery';
import { toAttemptOutcome } from './httpDelivery';
import { nextRetryDelayMs, scheduleFor } from './retrySchedule';
import { signatureHeader } from './signing';
import { threadMetrics } from '../observability/metrics';
import { activeTracing } from '../observability/tracing';
import type { TraceMetadata } from '../observability/tracing';

export type WebhookMessage = Pick<Message, 'id' | 'eventType' | 'payload' | 'timestamp'>;

/** One delivery waiting for one attempt, from the persistent subscription (attempt 1) or the due-queue. */
export type PendingDelivery = Readonly<{
  ref: DeliveryRef;
  attemptNumber: number;
  maxAttempts: number;
  message: WebhookMessage;
  /**
   * A first attempt from the subscription: it holds a subscription event while it waits or runs, so it is handed to
   * the due-queue instead when its endpoint would hold more than its fair share of the subscription buffer.
   */
  fresh: boolean;
  /** A due delivery renews its lease to cover `ms` more before its request; false when the lease was lost. */
  renewLease?: (ms: number) => Promise<boolean>;
  /** The W3C trace context the delivery was created in (its message event's metadata), when tracing is on. */
  traceparent?: string;
}>;

/**
 * - recorded: the attempt ran and its outcome is appended
 * - deferred: handed to the due-queue (RetryScheduled) without an attempt
 * - skipped: nothing to do (already recorded, already handed on, lease lost)
 * - cancelled: the dispatcher is stopping; nothing appended
 */
export type DeliveryResult = 'recorded' | 'deferred' | 'skipped' | 'cancelled';

export type PipelineDeps = Readonly<{
  events: EventStore;
  masterKey: Buffer;
  config: DispatcherConfig;
  http: HttpDelivery;
  queues: EndpointQueues;
  breakers: CircuitBreakers;
  endpoints: EndpointViews;
  /** Where failure streaks are shared with the other dispatchers (the operational store); none: this one's only. */
  ops?: ReadStore;
  /** Aborted when the dispatcher stops waiting for attempts in flight. */
  cancel: AbortSignal;
  log: (line: string) => void;
}>;

const iso = (ms: number): string => new Date(ms).toISOString();
const ALREADY = new Set(['attempt_already_recorded', 'already_delivered']);
const isAlready = (error: unknown): boolean => error instanceof DomainError && ALREADY.has(error.code);

/** Whether this attempt of the delivery is still to be made (a redelivered or stale request finds it made). */
const stillDue = (state: OutboundState, p: PendingDelivery): boolean => {
  if (p.attemptNumber !== state.attempts + 1) return false;
  if (state.status === 'success' && state.nextAttemptAt === null) return false;
  // A first attempt already handed to the due-queue runs from there.
  return !(p.fresh && state.nextAttemptAt !== null);
};

/** A delivery's stages: check → endpoint → circuit → queue → request → record → announce. */
export class DeliveryPipeline {
  private readonly openSecret = cachedOpener();
  /**
   * The request body of a message, serialised once for all its deliveries: the endpoints of one message event share
   * its `message` object (dispatcher.ts), and the body is the same bytes for each, signed as sent.
   */
  private readonly bodies = new WeakMap<WebhookMessage, { body: string; sha256: string }>();
  /**
   * Endpoints whose shared failure streak this dispatcher has ended or taken part in. Until then a success ends
   * whatever streak is there: one left by a dispatcher that died mid-streak (its successes would have ended it)
   * would otherwise go on counting, and open the circuit on failures that were never consecutive.
   */
  private readonly streakKnown = new Set<string>();
  /** Failures being counted in the shared streak now, by endpoint: a success meanwhile must end the streak too. */
  private readonly failuresCounting = new Map<string, number>();

  constructor(private readonly deps: PipelineDeps) {}

  async deliver(p: PendingDelivery): Promise<DeliveryResult> {
    const { events, queues, breakers } = this.deps;
    // 1. the delivery's own stream, read for every attempt: it alone says whether this attempt was made (a
    // redelivered or replayed subscription event, a stale due entry), since the subscription's retry count and
    // position cannot (subscriptionConsumer.ts). For a new delivery the stream is absent, the cheapest read there is.
    // What it says is what the outcome is appended against (expected revision): a change meanwhile makes us decide again.
    const outbound = await aggregateStream(events, streams.outbound(p.ref.outboundId), evolveOutbound, initialOutboundState);
    if (!stillDue(outbound.state, p)) return 'skipped';
    // 2. the endpoint, from its stream; a disabled or deleted endpoint gets nothing
    const view = await this.deps.endpoints.get(p.ref.endpointId);
    const unusable = unusableReason(view.state);
    if (unusable !== null || view.state.status !== 'active') {
      const outcome: AttemptOutcome = { kind: 'failed', responseStatus: null, responseBody: '', latencyMs: 0, error: unusable ?? 'Endpoint not found', final: true };
      return this.record(p, outbound, outcome, null, null);
    }
    const endpoint = view.state.endpoint;
    const breaker = breakers.get(endpoint.id);
    breaker.sync(view.circuit);
    // 3. an open circuit: the delivery waits in the due-queue, no attempt burned
    const admission = breaker.peek(Date.now());
    if (admission.kind === 'wait') return this.defer(p, outbound, admission.until);
    const queue = queues.get(endpoint.id);
    // 4. a first attempt holds its subscription event: not beyond the endpoint's fair share unless it keeps up
    if (p.fresh && !this.mayHoldMore(queue)) return this.defer(p, outbound, Date.now());
    // 5. this endpoint's queue: its concurrency and rate limit, nobody else's
    queue.setRateLimit(endpoint.rateLimitPerSecond);
    return queue.run(() => this.attempt(p, outbound, endpoint), p.fresh ? { fresh: true, onShed: () => this.defer(p, outbound, Date.now()) } : {});
  }

  /**
   * The subscription's buffer is shared by every endpoint (invariant 3). An endpoint's fair share is half of what
   * the other endpoints leave free: one slow endpoint leaves at least half the buffer to the others, a second one
   * a quarter, and so on. An endpoint that keeps up (its attempts finish quickly, nothing waits long) may hold
   * more, as it gives the events back at HTTP speed; if it stops keeping up, `shed` hands its excess on.
   */
  private fairShare(queue: EndpointQueue): number {
    const others = this.deps.queues.held - queue.held;
    return Math.max(1, Math.floor((this.deps.config.subscriptionBufferSize - others) / 2));
  }

  private mayHoldMore(queue: EndpointQueue): boolean {
    const { config } = this.deps;
    if (queue.keepingUp(config.maxQueueWaitMs)) return true;
    return queue.queuedFresh < config.maxQueuedPerEndpoint && queue.held < this.fairShare(queue);
  }

  /**
   * Hands to the due-queue the first attempts waiting in the queue of an endpoint that holds more than its fair
   * share and no longer keeps up (it turned slow or started hanging), newest first, down to its share. Called
   * periodically by the dispatcher.
   */
  shed(): void {
    const { queues, config } = this.deps;
    if (queues.held === 0) return;
    for (const queue of queues.all()) {
      if (queue.queuedFresh === 0) continue;
      const excess = queue.held - this.fairShare(queue);
      if (excess > 0 && !queue.keepingUp(config.maxQueueWaitMs)) queue.shed(excess);
    }
  }

  private async attempt(p: PendingDelivery, outbound: Aggregate<OutboundState>, endpoint: Endpoint): Promise<DeliveryResult> {
    if (this.deps.cancel.aborted) return 'cancelled';
    const breaker = this.deps.breakers.get(endpoint.id);
    const admission = breaker.admit(Date.now());
    if (admission.kind === 'wait') return this.defer(p, outbound, admission.until);
    try {
      return await this.request(p, outbound, endpoint, admission.kind === 'probe');
    } catch (error) {
      // Whatever broke, a reserved probe must not stay reserved: the endpoint's deliveries would wait forever.
      breaker.abandon();
      throw error;
    }
  }

  private async request(p: PendingDelivery, outbound: Aggregate<OutboundState>, endpoint: Endpoint, probe: boolean): Promise<DeliveryResult> {
    const { http, breakers, masterKey, config, cancel } = this.deps;
    const breaker = breakers.get(endpoint.id);
    const timeoutMs = endpoint.timeoutSeconds * 1000;
    if (p.renewLease && !(await p.renewLease(timeoutMs + 5_000))) {
      breaker.abandon();
      return 'skipped';
    }
    // Of dispatchers that would probe at once, one appends the half-opening (against the stream's revision; the
    // decider has nothing to say to a circuit already half-open): the others wait for its answer.
    if (probe && !(await this.announce(endpoint.id, { type: 'HalfOpenCircuit', data: { endpointId: endpoint.id }, metadata: { now: iso(Date.now()) } }))) {
      return this.defer(p, outbound, breaker.yieldProbe(Date.now()));
    }

    // 5. the request: signed with every valid secret, webhook-id = message id on every attempt
    let serialised = this.bodies.get(p.message);
    if (serialised === undefined) {
      const text = webhookBody(p.message);
      // The body's hash for the delivery receipt: of the UTF-8 bytes undici sends for a string body.
      this.bodies.set(p.message, (serialised = { body: text, sha256: createHash('sha256').update(text, 'utf8').digest('hex') }));
    }
    const body = serialised.body;
    const sentMs = Date.now();
    const timestamp = Math.floor(sentMs / 1000);
    const signature = signatureHeader(signingSecrets(masterKey, endpoint, sentMs, this.openSecret), p.message.id, timestamp, body);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `Hookbase/${config.userAgentVersion}`,
      ...endpoint.headers,
      'webhook-id': p.message.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    };
    // Tracing on: the attempt's span, whose context the receiver gets in `traceparent` (observability/tracing.ts).
    const span = activeTracing === null ? null : activeTracing.attempt(p.traceparent, endpoint.url, p.ref, p.attemptNumber);
    if (span !== null) Object.assign(headers, span.headers);
    const result = await http.send({ url: endpoint.url, headers, body, timeoutMs, signal: cancel });
    span?.end(result);
    if (result.kind === 'cancelled') {
      breaker.abandon();
      return 'cancelled';
    }
    if (result.kind === 'succeeded' || (result.kind === 'failed' && result.responseStatus !== null)) this.deps.queues.get(endpoint.id).answered();

    // 6. record the outcome first (invariant 2), then announce what it changed for the endpoint
    const now = Date.now();
    // What the receipt proves (issue 18): the request as put on the wire; a blocked address was never contacted.
    const request: SentRequest = { url: endpoint.url, webhookId: p.message.id, webhookTimestamp: String(timestamp), webhookSignature: signature, bodySha256: serialised.sha256, sentAt: iso(sentMs) };
    const outcome: AttemptOutcome = result.kind === 'blocked' ? toAttemptOutcome(result) : { ...toAttemptOutcome(result), request };
    const transitions = outcome.kind === 'succeeded' ? await this.succeeded(endpoint.id, breaker, now) : breaker.onFailure(now, outcome.error, await this.sharedStreak(endpoint.id, now));
    const retryAfter = result.kind === 'failed' ? result.retryAfterSeconds : null;
    const recorded = await this.record(p, outbound, outcome, endpoint.retryDelays, retryAfter, span?.headers);
    if (result.kind === 'failed' && result.gone) {
      await this.announce(endpoint.id, { type: 'DisableEndpoint', data: { endpointId: endpoint.id, reason: 'Endpoint answered 410 Gone' }, metadata: { now: iso(now) } });
    }
    for (const t of transitions) await this.announceTransition(endpoint.id, t, now);
    return recorded;
  }

  private async record(
    p: PendingDelivery,
    outbound: Aggregate<OutboundState>,
    outcome: AttemptOutcome,
    retryDelays: readonly number[] | null,
    retryAfterSeconds: number | null,
    trace?: TraceMetadata,
  ): Promise<DeliveryResult> {
    const { config } = this.deps;
    const retryDelayMs =
      outcome.kind === 'failed' && !outcome.final
        ? nextRetryDelayMs({ scheduleMs: scheduleFor(retryDelays, config.retryScheduleMs), attemptNumber: p.attemptNumber, retryAfterSeconds, random: config.random ?? Math.random })
        : null;
    const recorded = await this.appendOutbound(p, outbound, 'recorded', {
      type: 'RecordAttempt',
      // Written out rather than `{ ...p.ref, … }`: see decideOutbound on what that costs per attempt.
      data: { outboundId: p.ref.outboundId, messageId: p.ref.messageId, endpointId: p.ref.endpointId, applicationId: p.ref.applicationId, attemptId: newId('att'), attemptNumber: p.attemptNumber, maxAttempts: p.maxAttempts, outcome, retryDelayMs },
      metadata: { now: iso(Date.now()) },
    }, trace);
    if (recorded === 'recorded') {
      // The last attempt allowed (or a final failure) exhausts the delivery; otherwise another one is scheduled.
      const label = outcome.kind === 'succeeded' ? 'succeeded' : retryDelayMs === null || p.attemptNumber >= p.maxAttempts ? 'exhausted' : 'retrying';
      threadMetrics.deliveries.inc({ outcome: label });
      threadMetrics.attemptSeconds.observe({ outcome: label }, outcome.latencyMs / 1000);
    }
    return recorded;
  }

  private defer(p: PendingDelivery, outbound: Aggregate<OutboundState>, untilMs: number): Promise<DeliveryResult> {
    return this.appendOutbound(p, outbound, 'deferred', {
      type: 'ScheduleAttempt',
      data: { outboundId: p.ref.outboundId, messageId: p.ref.messageId, endpointId: p.ref.endpointId, applicationId: p.ref.applicationId, attemptNumber: p.attemptNumber, dueAt: iso(Math.max(untilMs, Date.now())) },
      metadata: { now: iso(Date.now()) },
    });
  }

  /**
   * Decides on the delivery's stream as step 1 read it and appends expecting that revision: no second read in the
   * usual case. If the stream changed meanwhile, the append fails and the command is handled again on a fresh read
   * (a redelivered event or another instance that recorded this attempt makes the decider refuse it).
   */
  private async appendOutbound(p: PendingDelivery, outbound: Aggregate<OutboundState>, result: DeliveryResult, command: OutboundCommand, trace?: TraceMetadata): Promise<DeliveryResult> {
    const { events } = this.deps;
    const streamId = streams.outbound(p.ref.outboundId);
    try {
      const decided = outboundDecider.decide(command, outbound.state);
      if (decided.length === 0) return result;
      try {
        await events.appendToStream(
          streamId,
          // An attempt's outcome keeps its span's trace context (tracing on), as the message event keeps the send's.
          decided.map((e) => ({ type: e.type, data: e.data, metadata: eventMetadata(e.type, trace) })),
          { expectedRevision: outbound.revision ?? 'no_stream' },
        );
        return result;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
      }
      await handleCommand(events, streamId, outboundDecider, command, { metadata: trace });
      return result;
    } catch (error) {
      // Recorded meanwhile (a redelivered event, a second instance): nothing more to do.
      if (isAlready(error)) return 'skipped';
      throw error;
    }
  }

  private announceTransition(endpointId: string, t: Transition, nowMs: number): Promise<boolean> {
    const metadata = { now: iso(nowMs) };
    switch (t.kind) {
      case 'open':
        this.deps.log(`dispatcher: circuit of ${endpointId} opened after ${t.consecutiveFailures} failures; probing at ${iso(t.probeAt)}`);
        return this.announce(endpointId, {
          type: 'OpenCircuit',
          data: { endpointId, consecutiveFailures: t.consecutiveFailures, lastError: t.lastError, probeAt: iso(t.probeAt) },
          metadata,
        });
      case 'close':
        this.deps.log(`dispatcher: circuit of ${endpointId} closed`);
        return this.announce(endpointId, { type: 'CloseCircuit', data: { endpointId }, metadata });
      case 'disable':
        this.deps.log(`dispatcher: disabling ${endpointId}: ${t.reason}`);
        return this.announce(endpointId, { type: 'DisableEndpoint', data: { endpointId, reason: t.reason }, metadata });
      default: {
        const never: never = t;
        return never;
      }
    }
  }

  /** Counts a failure in the streak every dispatcher shares; undefined (this breaker's count) if that fails. */
  private async sharedStreak(endpointId: string, now: number): Promise<FailureStreak | undefined> {
    if (!this.deps.ops) return undefined;
    this.streakKnown.add(endpointId);
    this.failuresCounting.set(endpointId, (this.failuresCounting.get(endpointId) ?? 0) + 1);
    try {
      return await addFailure(this.deps.ops, endpointId, now);
    } catch (error) {
      this.deps.log(`dispatcher: could not share a failure of ${endpointId}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    } finally {
      const left = (this.failuresCounting.get(endpointId) ?? 1) - 1;
      if (left > 0) this.failuresCounting.set(endpointId, left);
      else this.failuresCounting.delete(endpointId);
    }
  }

  /** A success ends the shared streak too, when this dispatcher knew of one. */
  private async succeeded(endpointId: string, breaker: CircuitBreaker, now: number): Promise<Transition[]> {
    // A success on a healthy endpoint costs nothing; one after a failure (known here, being counted, or left by a
    // dispatcher before this one) ends the streak for every dispatcher.
    const hadFailures = breaker.consecutiveFailures > 0 || breaker.state !== 'closed' || this.failuresCounting.has(endpointId) || !this.streakKnown.has(endpointId);
    if (hadFailures && this.deps.ops) {
      this.streakKnown.add(endpointId);
      await endStreak(this.deps.ops, endpointId).catch(() => {});
    }
    return breaker.onSuccess(now);
  }

  /** Endpoint events are announcements: a failure to append one is logged, never fails the delivery. True when it appended an event (false: the stream already said so, or the append failed). */
  private async announce(endpointId: string, command: EndpointCommand): Promise<boolean> {
    try {
      const result = await handleCommand(this.deps.events, streams.endpoint(endpointId), endpointDecider, command);
      return result.events.length > 0;
    } catch (error) {
      this.deps.log(`dispatcher: could not record ${command.type} for ${endpointId}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }
}
