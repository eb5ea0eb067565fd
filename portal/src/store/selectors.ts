import type { PortalAttempt, PortalEventType, PortalMessage, PortalSubscription } from '../api/types';

/** Derived values: computed from the store's data where they are read, never stored. */

export interface EventTypeGroup {
  category: string;
  eventTypes: PortalEventType[];
}

/** Event types by category (uncategorised last), each group and its members sorted by name. */
export const groupEventTypes = (eventTypes: PortalEventType[]): EventTypeGroup[] => {
  const groups = new Map<string, PortalEventType[]>();
  for (const et of eventTypes) {
    const category = et.category?.trim() || 'Other';
    groups.set(category, [...(groups.get(category) ?? []), et]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === 'Other' ? 1 : b === 'Other' ? -1 : a.localeCompare(b)))
    .map(([category, list]) => ({ category, eventTypes: list.sort((a, b) => a.name.localeCompare(b.name)) }));
};

/** The event type ids an endpoint is subscribed to (enabled subscriptions only). */
export const subscribedEventTypeIds = (subscriptions: PortalSubscription[] | undefined): string[] =>
  (subscriptions ?? []).filter((s) => s.isEnabled).map((s) => s.eventTypeId);

/** Share of finished deliveries that succeeded, or null when none finished. */
export const successRate = (totalSuccesses: number, totalFailures: number): number | null => {
  const finished = totalSuccesses + totalFailures;
  return finished === 0 ? null : totalSuccesses / finished;
};

export interface HealthBucket {
  start: number;
  delivered: number;
  failed: number;
  /** Share delivered among finished messages in the bucket; null when none finished. */
  rate: number | null;
  /** Mean latency of the attempts in the bucket, ms; null when none is known. */
  latencyMs: number | null;
}

/** Messages and attempts binned by time into `count` equal buckets ending now. */
export const healthBuckets = (messages: PortalMessage[], attempts: PortalAttempt[], now: number, spanMs: number, count: number): HealthBucket[] => {
  const width = spanMs / count;
  const start = now - spanMs;
  const buckets = Array.from({ length: count }, (_, i) => ({ start: start + i * width, delivered: 0, failed: 0, latencies: [] as number[] }));
  const indexOf = (iso: string | null): number | null => {
    if (!iso) return null;
    const i = Math.floor((Date.parse(iso) - start) / width);
    return i >= 0 && i < count ? i : i === count ? count - 1 : null;
  };
  for (const m of messages) {
    const i = indexOf(m.lastAttemptAt ?? m.createdAt);
    const bucket = i === null ? undefined : buckets[i];
    if (!bucket) continue;
    if (m.status === 'success') bucket.delivered += 1;
    else if (m.status === 'failed' || m.status === 'exhausted') bucket.failed += 1;
  }
  for (const a of attempts) {
    const i = indexOf(a.attemptedAt);
    const bucket = i === null ? undefined : buckets[i];
    if (bucket && a.latencyMs !== null) bucket.latencies.push(a.latencyMs);
  }
  return buckets.map(({ latencies, ...b }) => ({
    ...b,
    rate: b.delivered + b.failed === 0 ? null : b.delivered / (b.delivered + b.failed),
    latencyMs: latencies.length === 0 ? null : latencies.reduce((s, l) => s + l, 0) / latencies.length,
  }));
};
