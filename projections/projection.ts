import type { HookbaseEvent, HookbaseEventType } from '../domain/events';
import type { RecordedEvent } from '../store/eventStore';
import type { CollectionDef, ReadStoreTransaction } from '../store/readStore';

/** A read model: which events it reads and what it writes. Handlers run inside the runner's transaction. */
export type Projection = Readonly<{
  name: string;
  collections: readonly CollectionDef[];
  handles: ReadonlySet<HookbaseEventType>;
  apply: (event: HookbaseEvent, tx: ReadStoreTransaction, recorded: RecordedEvent) => Promise<void>;
}>;

export const projection = (
  name: string,
  collections: readonly CollectionDef[],
  handles: readonly HookbaseEventType[],
  apply: Projection['apply'],
): Projection => ({ name, collections, handles: new Set(handles), apply });
