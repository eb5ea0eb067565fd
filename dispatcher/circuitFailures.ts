import type { CollectionDef, ReadStore } from '../store/readStore';

/**
 * An endpoint's current failure streak, shared by every dispatcher through the operational store: with several
 * dispatchers taking turns on an endpoint, each one's own count would see only its share of the failures, and the
 * circuit would open only after the threshold times the number of dispatchers. Written on a failure, and on the
 * first success after failures (which ends the streak); a success on a healthy endpoint costs nothing.
 */
export const circuitFailures = { name: 'circuit_failures', indexes: [] } as const satisfies CollectionDef;

export type FailureStreak = { id: string; consecutive: number; failingSince: number };

/** Counts one more failure of `endpointId`; returns the streak it is part of. */
export const addFailure = (ops: ReadStore, endpointId: string, nowMs: number): Promise<FailureStreak> =>
  ops.transaction(async (tx) => {
    const streaks = tx.collection<FailureStreak>(circuitFailures);
    const current = await streaks.get(endpointId);
    const next: FailureStreak = { id: endpointId, consecutive: (current?.consecutive ?? 0) + 1, failingSince: current?.failingSince ?? nowMs };
    await streaks.put(next);
    return next;
  });

/** A success: the streak is over, for every dispatcher. */
export const endStreak = async (ops: ReadStore, endpointId: string): Promise<void> => {
  await ops.transaction(async (tx) => tx.collection<FailureStreak>(circuitFailures).delete(endpointId));
};
