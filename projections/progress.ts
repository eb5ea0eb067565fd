import type { Position } from '../store/eventStore';
import { comparePositions, positionFromString, positionToString, START } from '../store/eventStore';
import type { CollectionDef, ReadStore, ReadStoreTransaction } from '../store/readStore';

/**
 * How far the projections got, as one document in the read store, written in every projection batch's transaction:
 * the position every projection has passed, and per collection the position of the last batch that changed it.
 * Every process watches this one document (not each projection's checkpoint): commands wait on its position, and
 * a process that keeps answers in memory (ReadCache) forgets the collections whose position moved.
 * It also holds the fence of the projections' lease: the owner whose batches may commit (see leadership.ts).
 */
export const projectionProgress = { name: 'projection_progress', indexes: [] } as const satisfies CollectionDef;

const PROGRESS_ID = 'progress';

export type ProgressDoc = {
  id: string;
  /** Every projection has processed `$all` up to here (decimal string, see positionToString). */
  position: string;
  /** Collection name → the position of the last batch that wrote it. */
  changed: Record<string, string>;
  /** The projections process allowed to commit batches (null: any; a single runner without a lease). */
  owner: string | null;
};

/** A batch of another owner than the one the progress document names: this runner lost its lease. */
export class FencedOutError extends Error {
  constructor(
    readonly owner: string,
    readonly holder: string | null,
  ) {
    super(`Projections: ${owner} no longer holds the lease (${holder ?? 'nobody'} does); its batch is not committed`);
    this.name = 'FencedOutError';
  }
}

export const readProgress = (reads: ReadStore): Promise<ProgressDoc | null> => reads.collection<ProgressDoc>(projectionProgress).get(PROGRESS_ID);

/**
 * In a batch's transaction: refuses the batch if `owner` is not the one the document names (a lease that ran out
 * while this process was paused), then records the batch. One document read and written per batch.
 */
export const recordBatch = async (tx: ReadStoreTransaction, owner: string | null, position: Position, touched: ReadonlySet<string>): Promise<void> => {
  const docs = tx.collection<ProgressDoc>(projectionProgress);
  const doc = (await docs.get(PROGRESS_ID)) ?? { id: PROGRESS_ID, position: positionToString(START), changed: {}, owner: null };
  if (owner !== null && doc.owner !== owner) throw new FencedOutError(owner, doc.owner);
  const at = positionToString(position);
  const changed = { ...doc.changed };
  for (const name of touched) changed[name] = at;
  await docs.put({ ...doc, position: at, changed });
};

/**
 * Makes `owner` the only one whose batches commit from now on (a runner that takes over the lease). `position`
 * is where the read models stand (the runner's checkpoints), recorded for those who wait.
 */
export const claimProgress = async (reads: ReadStore, owner: string): Promise<void> => {
  await reads.transaction(async (tx) => {
    const docs = tx.collection<ProgressDoc>(projectionProgress);
    const doc = (await docs.get(PROGRESS_ID)) ?? { id: PROGRESS_ID, position: positionToString(START), changed: {}, owner: null };
    await docs.put({ ...doc, owner });
  });
};

/** Records where the read models stand (a runner starting over checkpoints that already cover what was appended). */
export const recordPosition = async (reads: ReadStore, owner: string | null, position: Position): Promise<void> => {
  await reads.transaction(async (tx) => {
    const docs = tx.collection<ProgressDoc>(projectionProgress);
    const doc = (await docs.get(PROGRESS_ID)) ?? { id: PROGRESS_ID, position: positionToString(START), changed: {}, owner };
    if (owner !== null && doc.owner !== owner) throw new FencedOutError(owner, doc.owner);
    if (comparePositions(position, positionFromString(doc.position)) <= 0) return;
    await docs.put({ ...doc, position: positionToString(position) });
  });
};

export const progressPosition = (doc: ProgressDoc | null): Position => (doc ? positionFromString(doc.position) : START);

/**
 * In a rebuild's swap transaction: marks `swapped` collections as changed (every process's ReadCache forgets them)
 * without moving the position; refused like a batch if `owner` lost the lease. `marker` is new each swap: a
 * watcher compares the values, and a rebuilt collection may end where the old one did.
 */
export const recordSwap = async (tx: ReadStoreTransaction, owner: string | null, swapped: readonly string[], marker: string): Promise<void> => {
  const docs = tx.collection<ProgressDoc>(projectionProgress);
  const doc = (await docs.get(PROGRESS_ID)) ?? { id: PROGRESS_ID, position: positionToString(START), changed: {}, owner: null };
  if (owner !== null && doc.owner !== owner) throw new FencedOutError(owner, doc.owner);
  const changed = { ...doc.changed };
  for (const name of swapped) changed[name] = marker;
  await docs.put({ ...doc, changed });
};
