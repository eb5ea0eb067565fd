import { describe, expect, it } from 'vitest';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { CircuitBreaker } from './circuitBreaker';
import { addFailure, endStreak } from './circuitFailures';

const config = { failureThreshold: 4, cooldownMs: 1_000, maxCooldownMs: 10_000, disableAfterMs: 3_600_000 };

describe('a failure streak shared by two dispatchers', () => {
  it('opens the circuit at the threshold counted across both, and a success in either ends it for both', async () => {
    const ops = SqliteReadStore.open(':memory:');
    const [a, b] = [new CircuitBreaker(config), new CircuitBreaker(config)];
    try {
      const fail = async (breaker: CircuitBreaker, now: number) => breaker.onFailure(now, 'HTTP 500', await addFailure(ops, 'ep_1', now));
      // Failures alternate between the two: neither saw four, together they did.
      expect(await fail(a, 1_000)).toEqual([]);
      expect(await fail(b, 1_001)).toEqual([]);
      expect(await fail(a, 1_002)).toEqual([]);
      const opened = await fail(b, 1_003);
      expect(opened).toEqual([{ kind: 'open', consecutiveFailures: 4, lastError: 'HTTP 500', probeAt: 2_003 }]);
      expect(b.failingSince).toBe(1_000);

      // A success (here in a) ends the streak: b's next failure starts a new one.
      await endStreak(ops, 'ep_1');
      a.onSuccess(1_100);
      expect((await addFailure(ops, 'ep_1', 1_200)).consecutive).toBe(1);

      // Without the shared streak, the same alternation opens nothing.
      const [c, d] = [new CircuitBreaker(config), new CircuitBreaker(config)];
      for (let i = 0; i < 3; i++) {
        expect(c.onFailure(2_000 + i, 'HTTP 500')).toEqual([]);
        expect(d.onFailure(2_000 + i, 'HTTP 500')).toEqual([]);
      }
    } finally {
      await ops.close();
    }
  });
});
