import { describe, expect, it } from 'vitest';
import { maxAttemptsFor, nextRetryDelayMs, parseRetryAfter, parseRetrySchedule, scheduleFor } from './retrySchedule';

const fixed = (value: number) => () => value;
const mid = fixed(0.5); // no jitter
const low = fixed(0); // -20%
const high = fixed(0.999999); // ~+20%

describe('parseRetrySchedule', () => {
  it('reads the default schedule', () => {
    expect(parseRetrySchedule('5s,5m,30m,2h,5h,10h,10h')).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  });

  it('accepts ms, decimals and spaces', () => {
    expect(parseRetrySchedule(' 50ms, 1.5s ,2m')).toEqual([50, 1_500, 120_000]);
  });

  it.each(['', '5', '5x', '5s,,5m', '-1s', 's', '5 minutes'])('refuses %j naming the variable', (text) => {
    expect(() => parseRetrySchedule(text)).toThrow(/HOOKBASE_RETRY_SCHEDULE/);
  });

  it('counts the first attempt plus one per delay', () => {
    expect(maxAttemptsFor(parseRetrySchedule('5s,5m,30m,2h,5h,10h,10h'))).toBe(8);
  });

  it("lets an endpoint's retryDelays (seconds) replace the schedule", () => {
    expect(scheduleFor([1, 60], [5_000])).toEqual([1_000, 60_000]);
    expect(scheduleFor(null, [5_000])).toEqual([5_000]);
  });
});

describe('nextRetryDelayMs', () => {
  const scheduleMs = [1_000, 10_000, 100_000];

  it('follows the schedule with ±20% jitter', () => {
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 1, random: mid })).toBe(1_000);
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 2, random: low })).toBe(8_000);
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 3, random: high })).toBe(120_000);
    for (let i = 0; i < 200; i++) {
      const d = nextRetryDelayMs({ scheduleMs, attemptNumber: 2, random: Math.random })!;
      expect(d).toBeGreaterThanOrEqual(8_000);
      expect(d).toBeLessThanOrEqual(12_000);
    }
  });

  it('gives null when no step is left', () => {
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 4, random: mid })).toBeNull();
    expect(nextRetryDelayMs({ scheduleMs: [], attemptNumber: 1, random: mid })).toBeNull();
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 0, random: mid })).toBeNull();
  });

  it('honours Retry-After within the next two steps', () => {
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 1, retryAfterSeconds: 7, random: mid })).toBe(7_000);
  });

  it('clamps Retry-After to the sum of the next two steps', () => {
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 1, retryAfterSeconds: 86_400, random: mid })).toBe(11_000);
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 3, retryAfterSeconds: 86_400, random: mid })).toBe(100_000);
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 3, retryAfterSeconds: 86_400, random: high })).toBe(120_000);
  });

  it('never lets Retry-After bring a retry forward of the jittered schedule', () => {
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 2, retryAfterSeconds: 0, random: low })).toBe(8_000);
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 2, retryAfterSeconds: 1, random: mid })).toBe(10_000);
  });

  it('ignores a missing or unreadable Retry-After', () => {
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 1, retryAfterSeconds: null, random: mid })).toBe(1_000);
    expect(nextRetryDelayMs({ scheduleMs, attemptNumber: 1, retryAfterSeconds: Number.NaN, random: mid })).toBe(1_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');

  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now)).toBe(0);
  });

  it('gives null for nothing or nonsense', () => {
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
  });
});
