import { upcast } from '../domain/events';
import type { EventStore, Position, RecordedEvent } from '../store/eventStore';
import { comparePositions, START } from '../store/eventStore';
import type { CollectionDef, Document, ReadCollection, ReadStore } from '../store/readStore';
import { progressPosition, readProgress } from './progress';
import type { Projection } from './projection';
import { RETIRED_FIELDS } from './readModels';

export type Difference = Readonly<{ collection: string; id: string; field: string; expected: unknown; found: unknown }>;

export type VerifyReport = Readonly<{ clean: boolean; checkedDocuments: number; differences: Difference[] }>;

/** The field named when a whole document is missing on one side. */
export const WHOLE_DOCUMENT = '*';

const FOLD_BATCH = 500;
/** How long differences are looked at again while the live read models keep moving on (under load). */
const RECHECK_MS = 10_000;
const PAGE = 1000;

/** JSON with keys in order: two documents written in different key orders are still equal. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  ) ?? 'undefined';

/**
 * Field by field (top level): what the fold says, what the read model holds. A retired field (RETIRED_FIELDS) that
 * only the read model holds is what an earlier version wrote, not drift.
 */
export const compareDocuments = (collection: string, id: string, expected: Document | null, found: Document | null): Difference[] => {
  if (expected === null && found === null) return [];
  if (expected === null || found === null) return [{ collection, id, field: WHOLE_DOCUMENT, expected, found }];
  const retired = RETIRED_FIELDS[collection] ?? [];
  const fields = [...new Set([...Object.keys(expected), ...Object.keys(found)])].sort();
  return fields
    .filter((field) => !(retired.includes(field) && !(field in expected)))
    .filter((field) => canonical(expected[field]) !== canonical(found[field]))
    .map((field) => ({ collection, id, field, expected: expected[field] ?? null, found: found[field] ?? null }));
};

/** Applies the events of `$all` after `from` up to `to` (inclusive) to `scratch`. */
const fold = async (events: EventStore, scratch: ReadStore, projections: readonly Projection[], from: Position, to: Position): Promise<void> => {
  let batch: RecordedEvent[] = [];
  const flush = async (): Promise<void> => {
    const recorded = batch;
    batch = [];
    if (recorded.length === 0) return;
    await scratch.transaction(async (tx) => {
      for (const r of recorded) {
        const event = upcast(r.type, r.data, r.metadata);
        if (!event) continue;
        for (const p of projections) if (p.handles.has(event.type)) await p.apply(event, tx, r);
      }
      for (const p of projections) await p.endBatch?.(tx);
    });
  };
  const fromPosition = comparePositions(from, START) === 0 ? undefined : from;
  for await (const recorded of events.readAll({ fromPosition })) {
    if (comparePositions(recorded.position, to) > 0) break;
    batch.push(recorded);
    if (batch.length >= FOLD_BATCH) await flush();
  }
  await flush();
};

async function* everyDocument(collection: ReadCollection<Document>): AsyncIterable<Document> {
  let cursor: string | undefined;
  do {
    const page = await collection.find({ limit: PAGE, cursor });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/**
 * Folds `$all` afresh into `scratch` (an empty store of its own) and compares every document of the projections'
 * collections in `live` with it. The fold stops at the position the live read models had reached (their progress
 * document); documents that differ are looked at again, the fold moved on to the live position, until the live
 * position stood still from the fold to the look: a difference then is drift, not a batch committed meanwhile.
 */
export const verifyReadModels = async (
  events: EventStore,
  live: ReadStore,
  scratch: ReadStore,
  projections: readonly Projection[],
): Promise<VerifyReport> => {
  const collections: CollectionDef[] = projections.flatMap((p) => p.collections);
  let folded = progressPosition(await readProgress(live));
  await fold(events, scratch, projections, START, folded);
  let differences: Difference[] = [];
  let checkedDocuments = 0;
  for (const def of collections) {
    const expected = scratch.collection<Document>(def);
    const found = live.collection<Document>(def);
    const seen = new Set<string>();
    for await (const doc of everyDocument(found)) {
      seen.add(doc.id);
      checkedDocuments++;
      differences.push(...compareDocuments(def.name, doc.id, await expected.get(doc.id), doc));
    }
    for await (const doc of everyDocument(expected)) {
      if (seen.has(doc.id)) continue;
      checkedDocuments++;
      differences.push(...compareDocuments(def.name, doc.id, doc, await found.get(doc.id)));
    }
  }
  const recheckUntil = Date.now() + RECHECK_MS;
  while (differences.length > 0 && Date.now() < recheckUntil) {
    const before = progressPosition(await readProgress(live));
    if (comparePositions(before, folded) > 0) {
      await fold(events, scratch, projections, folded, before);
      folded = before;
    }
    const suspects = new Map<string, { def: CollectionDef; id: string }>();
    for (const d of differences) {
      const def = collections.find((c) => c.name === d.collection);
      if (def) suspects.set(`${d.collection}\n${d.id}`, { def, id: d.id });
    }
    const again: Difference[] = [];
    for (const { def, id } of suspects.values()) {
      const expected = await scratch.collection<Document>(def).get(id);
      again.push(...compareDocuments(def.name, id, expected, await live.collection<Document>(def).get(id)));
    }
    differences = again;
    const after = progressPosition(await readProgress(live));
    // The live read models stood still at the folded position while we looked: what differs now, differs.
    if (comparePositions(after, folded) === 0) break;
  }
  return { clean: differences.length === 0, checkedDocuments, differences };
};
