import type { HookbaseEvent, HookbaseEventType } from '../domain/events';
import type { RecordedEvent } from '../store/eventStore';
import type { CollectionDef, ReadStoreTransaction } from '../store/readStore';

/** A read model: which events it reads and what it writes. Handlers run inside the runner's transaction. */
export type Projection = Readonly<{
  name: string;
  collections: readonly CollectionDef[];
  handles: ReadonlySet<HookbaseEventType>;
  apply: (event: HookbaseEvent, tx: ReadStoreTransaction, recorded: RecordedEvent) => Promise<void>;
  /**
   * Called once after a batch's events were applied in `tx`, before its checkpoints: a projection that gathers
   * changes across the batch (the delivery statistics) writes them here, one write per document per batch.
   */
  endBatch?: (tx: ReadStoreTransaction) => Promise<void>;
}>;

export const projection = (
  name: string,
  collections: readonly CollectionDef[],
  handles: readonly HookbaseEventType[],
  apply: Projection['apply'],
  endBatch?: Projection['endBatch'],
): Projection => ({ name, collections, handles: new Set(handles), apply, ...(endBatch ? { endBatch } : {}) });
