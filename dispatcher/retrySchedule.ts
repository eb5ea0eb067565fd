/**
 * The retry schedule: delays after the immediate first attempt (API.md, HOOKBASE_RETRY_SCHEDULE). Pure: the
 * random source is passed in, so the jitter and the Retry-After clamp are tested exactly.
 */

export const DEFAULT_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';

/** ±20% around each scheduled delay, so that many deliveries failing together do not retry together. */
export const JITTER = 0.2;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "5s,5m,30m,2h" → [5000, 300000, 1800000, 7200000]. */
export const parseRetrySchedule = (text: string, name = 'HOOKBASE_RETRY_SCHEDULE'): number[] => {
  const entries = text.split(',').map((s) => s.trim());
  if (text.trim() === '') throw new Error(`${name} is empty: list the delays between attempts, e.g. ${DEFAULT_RETRY_SCHEDULE}`);
  return entries.map((entry) => {
    const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(entry);
    if (!match) {
      throw new Error(`${name}: "${entry}" is not a delay; write a number and a unit (ms, s, m or h), comma-separated, e.g. ${DEFAULT_RETRY_SCHEDULE}`);
    }
    return Math.round(Number(match[1]) * UNIT_MS[match[2] as string]!);
  });
};

/** One attempt now, then one per scheduled delay. */
export const maxAttemptsFor = (scheduleMs: readonly number[]): number => scheduleMs.length + 1;

/** An endpoint's own `retryDelays` (seconds) replace the configured schedule. */
export const scheduleFor = (endpointRetryDelays: readonly number[] | null, defaultScheduleMs: readonly number[]): readonly number[] =>
  endpointRetryDelays === null ? defaultScheduleMs : endpointRetryDelays.map((s) => s * 1000);

export type NextRetryInput = Readonly<{
  scheduleMs: readonly number[];
  /** The attempt that just failed, 1-based. */
  attemptNumber: number;
  /** From a 429 or 503 answer; null or absent otherwise. */
  retryAfterSeconds?: number | null;
  /** Uniform in [0, 1), like Math.random. */
  random: () => number;
}>;

/**
 * Milliseconds until the next attempt, or null when the schedule has no step left.
 *
 * - The scheduled delay gets ±20% jitter.
 * - Retry-After may only push the retry later, never earlier: the jittered scheduled delay is the floor.
 * - It is clamped to the schedule's next two steps: at most the sum of the delay due now and the one after it
 *   (just this delay when it is the last), so a receiver cannot park a delivery for days with one header.
 */
export const nextRetryDelayMs = ({ scheduleMs, attemptNumber, retryAfterSeconds, random }: NextRetryInput): number | null => {
  const step = attemptNumber - 1;
  const base = scheduleMs[step];
  if (base === undefined || step < 0) return null;
  const jittered = Math.round(base * (1 + (random() * 2 - 1) * JITTER));
  if (retryAfterSeconds === null || retryAfterSeconds === undefined || !Number.isFinite(retryAfterSeconds)) return jittered;
  const ceiling = Math.max(jittered, base + (scheduleMs[step + 1] ?? 0));
  return Math.min(Math.max(Math.round(retryAfterSeconds * 1000), jittered), ceiling);
};

/** `Retry-After` is either delta-seconds or an HTTP date; null when absent or unreadable. */
export const parseRetryAfter = (value: string | undefined, nowMs: number): number | null => {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^[A-Za-z]{3}, /.test(text)) return null; // HTTP dates start with the day: "Wed, 21 Oct 2015 07:28:00 GMT"
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
};
