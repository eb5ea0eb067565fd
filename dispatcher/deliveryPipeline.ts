import type { Endpoint } from '../domain/endpoint/endpoint';
import type { EndpointCommand } from '../domain/endpoint/decide';
import { endpointDecider } from '../domain/endpoint/decide';
import { DomainError } from '../domain/errors';
import { newId } from '../domain/ids';
import type { Message } from '../domain/message/message';
import { webhookBody } from '../domain/message/message';
import type { AttemptOutcome, OutboundCommand } from '../domain/outbound/decide';
import { outboundDecider } from '../domain/outbound/decide';
import type { DeliveryRef, OutboundState } from '../domain/outbound/outbound';
import { evolveOutbound, initialOutboundState } from '../domain/outbound/outbound';
import { streams } from '../domain/streams';
import { aggregateStream, handleCommand } from '../store/commandHandler';
import type { EventStore } from '../store/eventStore';
import type { CircuitBreakers, Transition } from './circuitBreaker';
import type { DispatcherConfig } from './config';
import type { EndpointQueues } from './endpointQueue';
import type { EndpointViews } from './endpointView';
import { signingSecrets, unusableReason } from './endpointView';
import type { HttpDelivery } from './httpDelivery';
import { toAttemptOutcome } from './httpDelivery';
import { nextRetryDelayMs, scheduleFor } from './retrySchedule';
import { signatureHeader } from './signing';

export type WebhookMessage = Pick<Message, 'id' | 'eventType' | 'payload' | 'timestamp'>;

/** One delivery waiting for one attempt, from the persistent subscription (attempt 1) or the due-queue. */
export type PendingDelivery = Readonly<{
  ref: DeliveryRef;
  attemptNumber: number;
  maxAttempts: number;
  message: WebhookMessage;
  /** A first attempt from the subscription: handed to the due-queue instead when its endpoint's queue is full. */
  fresh: boolean;
  /** A due delivery renews its lease to cover `ms` more before its request; false when the lease was lost. */
  renewLease?: (ms: number) => Promise<boolean>;
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
  constructor(private readonly deps: PipelineDeps) {}

  async deliver(p: PendingDelivery): Promise<DeliveryResult> {
    const { events, queues, breakers, config } = this.deps;
    // 1. the delivery's own stream: a redelivered event or a stale due entry finds its attempt made
    const outbound = await aggregateStream(events, streams.outbound(p.ref.outboundId), evolveOutbound, initialOutboundState);
    if (!stillDue(outbound.state, p)) return 'skipped';
    // 2. the endpoint, from its stream; a disabled or deleted endpoint gets nothing
    const view = await this.deps.endpoints.get(p.ref.endpointId);
    const unusable = unusableReason(view.state);
    if (unusable !== null || view.state.status !== 'active') {
      const outcome: AttemptOutcome = { kind: 'failed', responseStatus: null, responseBody: '', latencyMs: 0, error: unusable ?? 'Endpoint not found', final: true };
      return this.record(p, outcome, null, null);
    }
    const endpoint = view.state.endpoint;
    const breaker = breakers.get(endpoint.id);
    breaker.sync(view.circuit);
    // 3. an open circuit: the delivery waits in the due-queue, no attempt burned
    const admission = breaker.peek(Date.now());
    if (admission.kind === 'wait') return this.defer(p, admission.until);
    const queue = queues.get(endpoint.id);
    if (p.fresh && queue.queued >= config.maxQueuedPerEndpoint) return this.defer(p, Date.now());
    // 4. this endpoint's queue: its concurrency and rate limit, nobody else's
    queue.setRateLimit(endpoint.rateLimitPerSecond);
    return queue.run(() => this.attempt(p, endpoint));
  }

  private async attempt(p: PendingDelivery, endpoint: Endpoint): Promise<DeliveryResult> {
    if (this.deps.cancel.aborted) return 'cancelled';
    const breaker = this.deps.breakers.get(endpoint.id);
    const admission = breaker.admit(Date.now());
    if (admission.kind === 'wait') return this.defer(p, admission.until);
    try {
      return await this.request(p, endpoint, admission.kind === 'probe');
    } catch (error) {
      // Whatever broke, a reserved probe must not stay reserved: the endpoint's deliveries would wait forever.
      breaker.abandon();
      throw error;
    }
  }

  private async request(p: PendingDelivery, endpoint: Endpoint, probe: boolean): Promise<DeliveryResult> {
    const { http, breakers, masterKey, config, cancel } = this.deps;
    const breaker = breakers.get(endpoint.id);
    const timeoutMs = endpoint.timeoutSeconds * 1000;
    if (p.renewLease && !(await p.renewLease(timeoutMs + 5_000))) {
      breaker.abandon();
      return 'skipped';
    }
    if (probe) await this.announce(endpoint.id, { type: 'HalfOpenCircuit', data: { endpointId: endpoint.id }, metadata: { now: iso(Date.now()) } });

    // 5. the request: signed with every valid secret, webhook-id = message id on every attempt
    const body = webhookBody(p.message);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `Hookbase/${config.userAgentVersion}`,
      ...endpoint.headers,
      'webhook-id': p.message.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(signingSecrets(masterKey, endpoint, Date.now()), p.message.id, timestamp, body),
    };
    const result = await http.send({ url: endpoint.url, headers, body, timeoutMs, signal: cancel });
    if (result.kind === 'cancelled') {
      breaker.abandon();
      return 'cancelled';
    }

    // 6. record the outcome first (invariant 2), then announce what it changed for the endpoint
    const now = Date.now();
    const outcome = toAttemptOutcome(result);
    const transitions = outcome.kind === 'succeeded' ? breaker.onSuccess(now) : breaker.onFailure(now, outcome.error);
    const retryAfter = result.kind === 'failed' ? result.retryAfterSeconds : null;
    const recorded = await this.record(p, outcome, endpoint.retryDelays, retryAfter);
    if (result.kind === 'failed' && result.gone) {
      await this.announce(endpoint.id, { type: 'DisableEndpoint', data: { endpointId: endpoint.id, reason: 'Endpoint answered 410 Gone' }, metadata: { now: iso(now) } });
    }
    for (const t of transitions) await this.announceTransition(endpoint.id, t, now);
    return recorded;
  }

  private async record(p: PendingDelivery, outcome: AttemptOutcome, retryDelays: readonly number[] | null, retryAfterSeconds: number | null): Promise<DeliveryResult> {
    const { config } = this.deps;
    const retryDelayMs =
      outcome.kind === 'failed' && !outcome.final
        ? nextRetryDelayMs({ scheduleMs: scheduleFor(retryDelays, config.retryScheduleMs), attemptNumber: p.attemptNumber, retryAfterSeconds, random: config.random ?? Math.random })
        : null;
    return this.appendOutbound(p, 'recorded', {
      type: 'RecordAttempt',
      data: { ...p.ref, attemptId: newId('att'), attemptNumber: p.attemptNumber, maxAttempts: p.maxAttempts, outcome, retryDelayMs },
      metadata: { now: iso(Date.now()) },
    });
  }

  private defer(p: PendingDelivery, untilMs: number): Promise<DeliveryResult> {
    return this.appendOutbound(p, 'deferred', {
      type: 'ScheduleAttempt',
      data: { ...p.ref, attemptNumber: p.attemptNumber, dueAt: iso(Math.max(untilMs, Date.now())) },
      metadata: { now: iso(Date.now()) },
    });
  }

  private async appendOutbound(p: PendingDelivery, result: DeliveryResult, command: OutboundCommand): Promise<DeliveryResult> {
    try {
      await handleCommand(this.deps.events, streams.outbound(p.ref.outboundId), outboundDecider, command);
      return result;
    } catch (error) {
      // Recorded meanwhile (a redelivered event, a second instance): nothing more to do.
      if (isAlready(error)) return 'skipped';
      throw error;
    }
  }

  private announceTransition(endpointId: string, t: Transition, nowMs: number): Promise<void> {
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

  /** Endpoint events are announcements: a failure to append one is logged, never fails the delivery. */
  private async announce(endpointId: string, command: EndpointCommand): Promise<void> {
    try {
      await handleCommand(this.deps.events, streams.endpoint(endpointId), endpointDecider, command);
    } catch (error) {
      this.deps.log(`dispatcher: could not record ${command.type} for ${endpointId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
