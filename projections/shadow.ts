import type { CollectionDef, Document, ReadCollection, ReadStore, ReadStoreTransaction, WriteCollection } from '../store/readStore';

/** Where a rebuild writes: the live names with this prefix, collections and checkpoints alike. */
export const SHADOW_PREFIX = 'shadow__';

export const shadowName = (name: string): string => `${SHADOW_PREFIX}${name}`;

/**
 * A shadow collection is new and empty, and nobody reads it but its projection until the swap: it is a bulk load,
 * its indexes built once when it is swapped in (CollectionDef.indexesDeferred).
 */
const shadowDef = (def: CollectionDef): CollectionDef => ({ ...def, name: shadowName(def.name), indexesDeferred: true });

/**
 * The read store as a rebuild sees it: every collection and checkpoint under the shadow prefix, so that the
 * projections write their usual code into collections no reader of the live names sees, on any adapter.
 */
export const shadowReadStore = (live: ReadStore): ReadStore => {
  // One definition object per live one: adapters cache per definition.
  const defs = new WeakMap<CollectionDef, CollectionDef>();
  const shadowOf = (def: CollectionDef): CollectionDef => {
    let shadow = defs.get(def);
    if (!shadow) {
      shadow = shadowDef(def);
      defs.set(def, shadow);
    }
    return shadow;
  };
  const wrap = (tx: ReadStoreTransaction): ReadStoreTransaction => ({
    collection: <T extends Document>(def: CollectionDef): WriteCollection<T> => tx.collection<T>(shadowOf(def)),
    setCheckpoint: (projection, position) => tx.setCheckpoint(shadowName(projection), position),
    getCheckpoint: (projection) => tx.getCheckpoint(shadowName(projection)),
  });
  return {
    collection: <T extends Document>(def: CollectionDef): ReadCollection<T> => live.collection<T>(shadowOf(def)),
    transaction: (work) => live.transaction((tx) => work(wrap(tx))),
    getCheckpoint: (projection) => live.getCheckpoint(shadowName(projection)),
    dropCollection: (name) => live.dropCollection(shadowName(name)),
    deleteCheckpoint: (projection) => live.deleteCheckpoint(shadowName(projection)),
    replaceCollections: () => Promise.reject(new Error('A shadow read store is swapped in from the live one')),
    close: () => Promise.resolve(),
  };
};
