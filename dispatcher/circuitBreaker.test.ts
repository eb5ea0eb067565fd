import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuitBreaker';

const config = { failureThreshold: 3, cooldownMs: 1_000, maxCooldownMs: 3_000, disableAfterMs: 60_000 };
const T = 1_700_000_000_000;

const failTimes = (b: CircuitBreaker, n: number, at = T) => Array.from({ length: n }, (_, i) => b.onFailure(at + i, 'HTTP 500')).flat();

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures, and a success resets the count', () => {
    const b = new CircuitBreaker(config);
    expect(failTimes(b, 2)).toEqual([]);
    expect(b.onSuccess(T + 5)).toEqual([]);
    expect(failTimes(b, 2, T + 10)).toEqual([]);
    expect(b.onFailure(T + 20, 'HTTP 502')).toEqual([{ kind: 'open', consecutiveFailures: 3, lastError: 'HTTP 502', probeAt: T + 1_020 }]);
    expect(b.peek(T + 21)).toEqual({ kind: 'wait', until: T + 1_020, probing: false });
  });

  it('lets one probe through after the cooldown; the others wait for it', () => {
    const b = new CircuitBreaker(config);
    failTimes(b, 3);
    expect(b.admit(T + 1_002)).toEqual({ kind: 'probe' });
    expect(b.state).toBe('half_open');
    expect(b.admit(T + 1_003)).toEqual({ kind: 'wait', until: T + 1_003, probing: true });
    expect(b.onSuccess(T + 1_010)).toEqual([{ kind: 'close' }]);
    expect(b.admit(T + 1_011)).toEqual({ kind: 'go' });
  });

  it('opens again after a failed probe, with a doubled cooldown up to the max', () => {
    const b = new CircuitBreaker(config);
    failTimes(b, 3);
    b.admit(T + 1_002);
    expect(b.onFailure(T + 1_100, 'timeout')).toMatchObject([{ kind: 'open', probeAt: T + 3_100 }]);
    b.admit(T + 3_100);
    expect(b.onFailure(T + 3_200, 'timeout')).toMatchObject([{ kind: 'open', probeAt: T + 6_200 }]);
    b.admit(T + 6_200);
    expect(b.onFailure(T + 6_300, 'timeout')).toMatchObject([{ kind: 'open', probeAt: T + 9_300 }]);
  });

  it('gives the probe back when it could not run', () => {
    const b = new CircuitBreaker(config);
    failTimes(b, 3);
    expect(b.admit(T + 1_500)).toEqual({ kind: 'probe' });
    b.abandon();
    expect(b.admit(T + 1_501)).toEqual({ kind: 'probe' });
  });

  it('asks to disable an endpoint whose attempts all failed for disableAfterMs', () => {
    const b = new CircuitBreaker({ ...config, failureThreshold: 1_000 });
    b.onFailure(T, 'HTTP 500');
    expect(b.onFailure(T + 59_999, 'HTTP 500')).toEqual([]);
    expect(b.onFailure(T + 60_000, 'HTTP 503')).toEqual([{ kind: 'disable', reason: 'Every attempt failed for 1 minute (last error: HTTP 503)' }]);
  });

  it('adopts a newer circuit from the endpoint stream, and the failure streak it tells', () => {
    const b = new CircuitBreaker(config);
    b.sync({ circuit: 'open', changedAt: T, probeAt: T + 500, halfOpenedAt: null, failingSince: T - 10_000 });
    expect(b.peek(T + 100)).toEqual({ kind: 'wait', until: T + 500, probing: false });
    expect(b.failingSince).toBe(T - 10_000);
    // Something older than what this breaker did is ignored.
    b.admit(T + 600);
    b.onSuccess(T + 700);
    b.sync({ circuit: 'open', changedAt: T, probeAt: T + 500, halfOpenedAt: null, failingSince: null });
    expect(b.state).toBe('closed');
    // Another instance probing: wait a cooldown from its start.
    b.sync({ circuit: 'half_open', changedAt: T + 800, probeAt: T + 500, halfOpenedAt: T + 800, failingSince: null });
    expect(b.peek(T + 900)).toEqual({ kind: 'wait', until: T + 1_800, probing: false });
    // Enabled or closed elsewhere.
    b.sync({ circuit: 'closed', changedAt: T + 900, probeAt: null, halfOpenedAt: null, failingSince: null });
    expect(b.peek(T + 901)).toEqual({ kind: 'go' });
  });
});
