import type { CircuitState } from '../domain/endpoint/endpoint';

/**
 * Per-endpoint circuit breaker. It lives in memory and is announced as endpoint events by the dispatcher
 * (OpenCircuit, HalfOpenCircuit, CloseCircuit, DisableEndpoint); `sync` adopts what the endpoint stream says,
 * so another instance, or this one after a restart, picks up an open circuit and a failure streak.
 * Time is passed in (ms since the epoch): the class reads no clock.
 */

export type CircuitConfig = Readonly<{
  failureThreshold: number;
  cooldownMs: number;
  maxCooldownMs: number;
  disableAfterMs: number;
}>;

/** Whether an attempt may run now. `wait.until` is when the delivery should be tried again. */
export type Admission =
  | Readonly<{ kind: 'go' }>
  | Readonly<{ kind: 'probe' }>
  /** Open: deliveries wait (no attempt is burned) until the probe time. */
  | Readonly<{ kind: 'wait'; until: number; probing: false }>
  /** Half-open with a probe in flight here: the others wait for its answer. */
  | Readonly<{ kind: 'wait'; until: number; probing: true }>;

export type Transition =
  | Readonly<{ kind: 'open'; consecutiveFailures: number; lastError: string; probeAt: number }>
  | Readonly<{ kind: 'close' }>
  | Readonly<{ kind: 'disable'; reason: string }>;

/** What the endpoint stream says about the circuit (see endpointView.ts); times in ms since the epoch. */
export type CircuitView = Readonly<{
  circuit: CircuitState;
  /** When the circuit last changed (opened, half-opened, closed, or the endpoint was enabled). */
  changedAt: number | null;
  probeAt: number | null;
  halfOpenedAt: number | null;
  /** When the current failure streak began, as far as the stream tells (its first opening). */
  failingSince: number | null;
}>;

const describeDuration = (ms: number): string => {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size) {
      const n = Math.round(ms / size);
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
};

export class CircuitBreaker {
  state: CircuitState = 'closed';
  consecutiveFailures = 0;
  failingSince: number | null = null;
  probeAt = 0;
  private probing = false;
  /** Failed probes in a row: each doubles the cooldown, up to the max. */
  private reopenings = 0;
  /** When this breaker last changed state, to tell whether the stream knows something newer. */
  private changedAt = 0;

  constructor(private readonly config: CircuitConfig) {}

  /** Side-effect free: what `admit` would say. */
  peek(now: number): Admission {
    if (this.state === 'closed') return { kind: 'go' };
    if (this.probing) return { kind: 'wait', until: now, probing: true };
    if (now < this.probeAt) return { kind: 'wait', until: this.probeAt, probing: false };
    return { kind: 'probe' };
  }

  /** Like `peek`, but a `probe` answer reserves the one half-open attempt: report it with onSuccess/onFailure/abandon. */
  admit(now: number): Admission {
    const admission = this.peek(now);
    if (admission.kind === 'probe') {
      this.probing = true;
      this.state = 'half_open';
      this.changedAt = now;
    }
    return admission;
  }

  /**
   * Another dispatcher half-opened the circuit first (our HalfOpenCircuit decided nothing): its probe decides, and
   * this one waits a cooldown before it may probe in turn (if that one died probing). Returns when to try again.
   */
  yieldProbe(now: number): number {
    this.probing = false;
    this.state = 'open';
    this.probeAt = now + this.config.cooldownMs;
    return this.probeAt;
  }

  /** The probe did not run (the dispatcher stopped, the lease was lost): another may. */
  abandon(): void {
    if (!this.probing) return;
    this.probing = false;
    this.state = 'open';
  }

  onSuccess(now: number): Transition[] {
    const wasClosed = this.state === 'closed';
    this.reset();
    if (!wasClosed) this.changedAt = now;
    // A success proves the endpoint works, whether it came from the probe or from an attempt started earlier.
    return wasClosed ? [] : [{ kind: 'close' }];
  }

  /**
   * `streak`: the endpoint's failure streak as every dispatcher counted it (circuitFailures.ts), this failure
   * included; without it, this breaker's own count.
   */
  onFailure(now: number, error: string, streak?: Readonly<{ consecutive: number; failingSince: number }>): Transition[] {
    this.consecutiveFailures = Math.max(this.consecutiveFailures + 1, streak?.consecutive ?? 0);
    if (streak && (this.failingSince === null || streak.failingSince < this.failingSince)) this.failingSince = streak.failingSince;
    this.failingSince ??= now;
    if (now - this.failingSince >= this.config.disableAfterMs) {
      const reason = `Every attempt failed for ${describeDuration(now - this.failingSince)} (last error: ${error})`;
      this.reset();
      return [{ kind: 'disable', reason }];
    }
    const wasProbe = this.probing;
    this.probing = false;
    if (wasProbe) this.reopenings++;
    else if (this.state !== 'closed' || this.consecutiveFailures < this.config.failureThreshold) return [];
    const cooldown = Math.min(this.config.cooldownMs * 2 ** this.reopenings, this.config.maxCooldownMs);
    this.state = 'open';
    this.changedAt = now;
    this.probeAt = now + cooldown;
    return [{ kind: 'open', consecutiveFailures: this.consecutiveFailures, lastError: error, probeAt: this.probeAt }];
  }

  /** Adopts the circuit as the endpoint stream tells it when the stream knows something newer than this breaker. */
  sync(view: CircuitView): void {
    if (!this.probing && view.changedAt !== null && view.changedAt > this.changedAt) {
      this.changedAt = view.changedAt;
      switch (view.circuit) {
        case 'closed': // closed elsewhere, or the endpoint was enabled again
          this.reset();
          break;
        case 'open':
          this.state = 'open';
          this.probeAt = view.probeAt ?? 0;
          this.consecutiveFailures = Math.max(this.consecutiveFailures, this.config.failureThreshold);
          break;
        case 'half_open':
          // Another instance is probing (or died probing): wait a cooldown from its start, then probe here.
          this.state = 'open';
          this.probeAt = (view.halfOpenedAt ?? 0) + this.config.cooldownMs;
          break;
        default: {
          const never: never = view.circuit;
          return never;
        }
      }
    }
    if (view.failingSince !== null && (this.failingSince === null || view.failingSince < this.failingSince)) this.failingSince = view.failingSince;
  }

  private reset(): void {
    this.state = 'closed';
    this.probing = false;
    this.consecutiveFailures = 0;
    this.failingSince = null;
    this.reopenings = 0;
  }
}

export class CircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly config: CircuitConfig) {}

  get(endpointId: string): CircuitBreaker {
    let b = this.breakers.get(endpointId);
    if (!b) {
      b = new CircuitBreaker(this.config);
      this.breakers.set(endpointId, b);
    }
    return b;
  }

  peek(endpointId: string, now: number): Admission {
    return this.breakers.get(endpointId)?.peek(now) ?? { kind: 'go' };
  }
}
