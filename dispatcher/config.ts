import { randomBytes } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { hostname } from 'node:os';
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
  /** Attempts in flight at once per endpoint. */
  perEndpointConcurrency: number;
  /**
   * First attempts waiting in one endpoint's queue beyond which new ones are handed to the due-queue instead,
   * so that a slow endpoint never holds the persistent subscription's buffer.
   */
  maxQueuedPerEndpoint: number;
  /** Consecutive failed attempts that open an endpoint's circuit. */
  circuitFailureThreshold: number;
  /** How long an open circuit waits before its half-open probe; doubles after each failed probe, up to the max. */
  circuitCooldownMs: number;
  circuitMaxCooldownMs: number;
  /** An endpoint whose attempts have all failed for this long is disabled (5 days). */
  disableAfterMs: number;
  /** How long a claimed due delivery stays ours without renewal (renewed before the request, by its timeout). */
  leaseMs: number;
  /** How often the due-queue is polled. */
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

export const defaultDispatcherConfig = (): DispatcherConfig => ({
  instanceId: `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
  userAgentVersion: process.env.npm_package_version ?? '0.1.0',
  retryScheduleMs: parseRetrySchedule(DEFAULT_RETRY_SCHEDULE),
  allowPrivateNetworks: false,
  perEndpointConcurrency: 4,
  maxQueuedPerEndpoint: 64,
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
