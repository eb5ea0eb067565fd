import { randomBytes } from 'node:crypto';
import { newInstanceId } from './instanceLiveness';
import type { LookupFunction } from 'node:net';
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from './retrySchedule';

export type DispatcherConfig = Readonly<{
  /** Owner name written on delivery leases; unique per process. */
  instanceId: string;
  /** `user-agent: Hookbase/<version>`. */
  userAgentVersion: string;
  /** Delays after the immediate first attempt (HOOKBASE_RETRY_SCHEDULE); an endpoint's retryDelays replace it. */
  retryScheduleMs: readonly number[];
  /** HOOKBASE_ALLOW_PRIVATE_NETWORKS: deliver to loopback, private, link-local and metadata addresses. */
  allowPrivateNetworks: boolean;
  /**
   * Attempts in flight at once per endpoint. Isolation comes from each endpoint having its own queue, timeouts and
   * circuit, and from the fair share of the subscription buffer (below), not from a small limit: a fast endpoint
   * needs many requests in flight to be served at HTTP speed. At most half of `subscriptionBufferSize`; an endpoint
   * that has not answered lately runs only a few (UNPROVEN_CONCURRENCY in endpointQueue.ts).
   */
  perEndpointConcurrency: number;
  /**
   * How many deliveries may wait in one endpoint's queue beyond its concurrency: the due poller fills a queue up
   * to this, and first attempts from the subscription of an endpoint that does not keep up (see `maxQueueWaitMs`)
   * are handed to the due-queue beyond it.
   */
  maxQueuedPerEndpoint: number;
  /**
   * An endpoint keeps up while its attempts finish within this and none of its deliveries has waited longer. An
   * endpoint that keeps up may hold as many subscription events as the buffer lets it; one that does not holds at
   * most its fair share (half of what the other endpoints leave free): its first attempts beyond that are handed
   * to the due-queue, on arrival or, once they have waited this long, from its queue. So a slow or hanging
   * endpoint never holds the persistent subscription's buffer.
   */
  maxQueueWaitMs: number;
  /** Consecutive failed attempts that open an endpoint's circuit. */
  circuitFailureThreshold: number;
  /** How long an open circuit waits before its half-open probe; doubles after each failed probe, up to the max. */
  circuitCooldownMs: number;
  circuitMaxCooldownMs: number;
  /** An endpoint whose attempts have all failed for this long is disabled (5 days). */
  disableAfterMs: number;
  /**
   * How long a claimed due delivery stays ours without renewal; it is renewed before the request only when what is
   * left of it does not cover the request's timeout with a margin.
   */
  leaseMs: number;
  /** How often the due-queue is polled (at once again after a full batch, or when a queue it filled has room). */
  duePollMs: number;
  /** Due deliveries read per poll. */
  dueBatchSize: number;
  /** Persistent-subscription events in flight at once. */
  subscriptionBufferSize: number;
  /** Set when the `dispatcher` group is created: unacked events are redelivered after this. */
  subscriptionMessageTimeoutMs: number;
  connectTimeoutMs: number;
  /** `stop()` waits this long for attempts in flight; those still running are abandoned, unrecorded and unacked. */
  stopTimeoutMs: number;
  /** DNS resolution (tests map names to addresses); default dns.lookup. */
  lookup?: LookupFunction;
  /** Jitter source; default Math.random. */
  random?: () => number;
}>;

/**
 * The concurrency an endpoint runs at: `perEndpointConcurrency`, but never more than half the subscription buffer,
 * since first attempts that have started cannot be handed on: an endpoint that starts hanging holds at most half.
 */
export const endpointConcurrency = (config: Pick<DispatcherConfig, 'perEndpointConcurrency' | 'subscriptionBufferSize'>): number =>
  Math.max(1, Math.min(config.perEndpointConcurrency, Math.floor(config.subscriptionBufferSize / 2)));

export const defaultDispatcherConfig = (): DispatcherConfig => ({
  instanceId: newInstanceId(randomBytes(4).toString('hex')),
  userAgentVersion: process.env.npm_package_version ?? '0.1.0',
  retryScheduleMs: parseRetrySchedule(DEFAULT_RETRY_SCHEDULE),
  allowPrivateNetworks: false,
  perEndpointConcurrency: 32,
  maxQueuedPerEndpoint: 64,
  maxQueueWaitMs: 1_000,
  circuitFailureThreshold: 5,
  circuitCooldownMs: 30_000,
  circuitMaxCooldownMs: 15 * 60_000,
  disableAfterMs: 5 * 24 * 3_600_000,
  leaseMs: 60_000,
  duePollMs: 200,
  dueBatchSize: 100,
  subscriptionBufferSize: 128,
  subscriptionMessageTimeoutMs: 120_000,
  connectTimeoutMs: 10_000,
  stopTimeoutMs: 10_000,
});
