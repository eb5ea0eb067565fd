import type { Summary } from './stats';

/**
 * The messages between bench/run.ts (the process under test: Hookbase and the baselines' servers) and
 * bench/loadgen.ts (a child process: the clients and the webhook receiver), so that the two never share an event
 * loop. Times measured in the child are in the child's clock, and only differences are sent back.
 */

/** `idempotencyKeys`: each request carries an `Idempotency-Key` of its own, as the SDK sends every POST. */
export type Target = Readonly<{ origin: string; path: string; headers: Record<string, string>; body: string; idempotencyKeys?: boolean }>;

export type Commands = {
  'receiver:start': { args: Record<string, never>; result: { url: string; origin: string } };
  'receiver:reset': { args: Record<string, never>; result: null };
  'receiver:count': { args: Record<string, never>; result: { distinct: number; requests: number } };
  /** Closed loop of sends; only answers of the measured window count (after `warmupMs` of the same load). */
  accept: {
    args: { target: Target; concurrency: number; warmupMs: number; durationMs: number; maxRequests: number };
    result: WithCpu<{ ok: number; failed: number; statuses: Record<string, number>; firstError: string | null; elapsedMs: number; answerMs: Summary }>;
  };
  /** `count` sends in a closed loop, then waits until the receiver saw `count` distinct webhook-ids. */
  e2e: {
    /** `also`: more APIs to send to (the multi-process layout): clients and messages are split evenly among them all. */
    args: { target: Target; count: number; concurrency: number; timeoutMs: number; also?: readonly Target[] };
    result: WithCpu<{
      ok: number;
      failed: number;
      firstError: string | null;
      /** First send → last 202. */
      acceptedMs: number;
      /** First send → the count-th distinct webhook-id at the receiver; null when it did not happen in time. */
      deliveredMs: number | null;
      /** Distinct webhook-ids at the receiver when the last send was answered. */
      distinctWhenAccepted: number;
      distinct: number;
      requests: number;
      answerMs: Summary;
    }>;
  };
  /** Open loop at a steady rate; latency = receiver arrival − send start, matched by the message id of the 202. */
  latency: {
    args: { target: Target; ratePerSecond: number; durationMs: number; drainTimeoutMs: number };
    result: WithCpu<{
      issued: number;
      ok: number;
      failed: number;
      firstError: string | null;
      sendElapsedMs: number;
      maxLateMs: number;
      delivered: number;
      missing: number;
      latencyMs: Summary;
      answerMs: Summary;
      /** Arrival − 202 answer, per message (negative when the webhook arrived before the answer). */
      afterAnswerMs: Summary;
    }>;
  };
  exit: { args: Record<string, never>; result: null };
};

export type CommandName = keyof Commands;

export type Request<K extends CommandName = CommandName> = Readonly<{ id: number; cmd: K; args: Commands[K]['args'] }>;

export type Reply = Readonly<{ id: number; ok: true; result: unknown } | { id: number; ok: false; error: string }>;

/** Added to the result of `accept`, `e2e` and `latency`: the load generator's own CPU (percent of one core). */
export type WithCpu<T> = T & { clientCpuPct: number };
