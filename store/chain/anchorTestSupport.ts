// Helpers shared by the anchor writer's tests (anchorWriter.test.ts, anchorWriterFed.test.ts).
import { streams } from '../../domain/streams';
import { anchorHeadsOf } from '../../sdk/src/audit/anchor.js';
import type { AnchorData, AnchoredHead } from '../../sdk/src/audit/anchor.js';
import type { EventStore } from '../eventStore';

/** An anchor as stored, with the heads it pins decoded (whatever its version). */
export type PinnedAnchor = AnchorData & Readonly<{ pinned: readonly AnchoredHead[] }>;

/** The anchors in the log, oldest first (none yet: an empty list). */
export const anchorsOf = async (events: EventStore): Promise<PinnedAnchor[]> => {
  const found: PinnedAnchor[] = [];
  try {
    for await (const e of events.readStream(streams.auditAnchors())) {
      const data = e.data as unknown as AnchorData;
      found.push({ ...data, pinned: anchorHeadsOf(data) });
    }
  } catch {
    // no anchors yet
  }
  return found;
};

/** Polls `probe` every 25 ms until it gives something other than false. */
export const until = async <T>(probe: () => Promise<T | false>, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== false) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

/** Appends `n` small events to `stream`, one at a time. */
export const append = async (events: EventStore, stream: string, n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await events.appendToStream(stream, [{ type: 'Thing', data: { i } }], { expectedRevision: 'any' });
};
