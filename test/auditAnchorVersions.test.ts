import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchoringFor, readChained } from '../api/commands/auditProofs';
import { eventMetadata } from '../domain/events';
import type { JsonObject } from '../domain/json';
import { streams } from '../domain/streams';
import { ANCHOR_GENESIS_HASH, ANCHOR_TAG, anchorHeadsOf, signAnchor } from '../sdk/src/audit/anchor.js';
import type { AnchorData, AnchoredHead } from '../sdk/src/audit/anchor.js';
import { checkAnchoring } from '../sdk/src/audit/anchoring.js';
import { verifyStreams } from '../sdk/src/audit/streams.js';
import { loadOrCreateAnchorKey } from '../store/chain/anchorKey';
import type { AnchorSigningKey } from '../store/chain/anchorKey';
import { AnchorWriter } from '../store/chain/anchorWriter';
import { CHAIN_KEY } from '../store/chain/encoding';
import { withHashChain } from '../store/chain/hashChainedEventStore';
import { verifyLog } from '../store/chain/verifyLog';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import type { EventStore } from '../store/eventStore';
import { positionToString } from '../store/eventStore';

// Anchors written before version 2 (docs/audit.md "Anchors": `hookbase-anchor/1`, one object per head) stay in the
// log: the writer continues their chain with version 2 anchors, and `audit verify --log`, the receipts' and bundles'
// proofs and the SDK verify both, naming what was removed under either.

const ANCHORS = streams.auditAnchors();
type Row = { position: number; stream_id: string; revision: number; event_id: string; type: string; data: string; metadata: string; created: number };

/** Writes a version 1 anchor, as Hookbase did before, over the last chained event of every stream so far. */
const writeV1Anchor = async (events: EventStore, key: AnchorSigningKey): Promise<AnchorData> => {
  const last = new Map<string, AnchoredHead>();
  let upTo = '';
  for await (const e of events.readAll()) {
    upTo = positionToString(e.position);
    const link = e.metadata[CHAIN_KEY] as { hash: string };
    last.set(e.streamId, { stream: e.streamId, revision: e.revision.toString(), hash: link.hash });
  }
  const anchor = signAnchor({ sequence: 0n, prev: ANCHOR_GENESIS_HASH, heads: [...last.values()], upTo, at: new Date() }, key.secretKey, ANCHOR_TAG);
  await events.appendToStream(ANCHORS, [{ type: 'AuditAnchor', data: anchor as unknown as JsonObject, metadata: eventMetadata('AuditAnchor', { now: anchor.at }) }], { expectedRevision: 'no_stream' });
  return anchor;
};

describe('version 1 anchors, then version 2 anchors, in one log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookbase-anchor-versions-'));
  let events: EventStore;
  let db: Database.Database;
  let key: AnchorSigningKey;

  const append = async (stream: string, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await events.appendToStream(stream, [{ type: 'Thing', data: { i } }], { expectedRevision: 'any' });
  };
  const rows = (stream: string): Row[] => db.prepare('SELECT * FROM events WHERE stream_id = ? ORDER BY revision').all(stream) as Row[];
  const put = (saved: Row[]): void => {
    const insert = db.prepare('INSERT INTO events (position, stream_id, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (const r of saved) insert.run(r.position, r.stream_id, r.revision, r.event_id, r.type, r.data, r.metadata, r.created);
  };
  const removed = async <T>(stream: string, check: () => Promise<T>): Promise<T> => {
    const saved = rows(stream);
    db.prepare('DELETE FROM events WHERE stream_id = ?').run(stream);
    try {
      return await check();
    } finally {
      put(saved);
    }
  };

  beforeAll(async () => {
    events = withHashChain(SqliteEventStore.open(join(dir, 'events.db')));
    key = await loadOrCreateAnchorKey(events, randomBytes(32));
    await append('message-old', 2);
    await append('outbound-old', 1);
    await writeV1Anchor(events, key);
    // After the upgrade: a new stream, and an old one changed again.
    await append('message-new', 1);
    await append('outbound-old', 1);
    const writer = new AnchorWriter({ events, key: async () => key, schedule: { every: 1000, intervalMs: 60_000 } });
    await writer.start();
    await writer.flush();
    await writer.stop();
    db = new Database(join(dir, 'events.db'));
  });
  afterAll(async () => {
    db?.close();
    await events?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the writer continues the version 1 chain with a version 2 anchor; `audit verify --log` checks both', async () => {
    const [v1, v2] = rows(ANCHORS).map((r) => JSON.parse(r.data) as AnchorData);
    expect(v1?.format).toBeUndefined();
    expect(v2).toMatchObject({ format: 'hookbase-anchor/2', sequence: '1' });
    expect(anchorHeadsOf(v2 as AnchorData).map((h) => `${h.stream}@${h.revision}`)).toEqual(['message-new@0', 'outbound-old@1']);
    expect(await verifyLog(events)).toMatchObject({ clean: true, anchors: 2, anchoredHeads: 3 + 2, eventsAfterLastAnchor: 0, firstBreak: null });
  });

  it('names a stream removed whichever version pins it', async () => {
    const v1Pinned = await removed('message-old', () => verifyLog(events));
    expect(v1Pinned.firstBreak).toMatchObject({ stream: 'message-old', revision: '1', reason: 'missing', anchor: '0', found: 'missing' });
    const v2Pinned = await removed('message-new', () => verifyLog(events));
    expect(v2Pinned.firstBreak).toMatchObject({ stream: 'message-new', revision: '0', reason: 'missing', anchor: '1', found: 'missing' });
    // outbound-old is pinned by both: at revision 0 by anchor 0, at revision 1 by anchor 1.
    const both = await removed('outbound-old', () => verifyLog(events));
    expect(both.firstBreak).toMatchObject({ stream: 'outbound-old', reason: 'missing', found: 'missing' });
    expect(await verifyLog(events)).toMatchObject({ clean: true });
  });

  it("a receipt's or bundle's proofs against version 1 and version 2 anchors verify with the SDK", async () => {
    const wanted = new Map<string, bigint>();
    const carried = [];
    for (const stream of ['message-old', 'message-new', 'outbound-old']) {
      const chain = await readChained(events, stream);
      carried.push(...chain);
      wanted.set(stream, BigInt(chain[0]?.position ?? '0'));
    }
    const anchoring = await anchoringFor(events, wanted);
    // The latest anchor pinning each: message-old by anchor 0 (version 1), the others by anchor 1 (version 2).
    expect(anchoring.proofs.map((p) => [p.head.stream, p.anchor])).toEqual([
      ['message-new', '1'],
      ['message-old', '0'],
      ['outbound-old', '1'],
    ]);
    expect(anchoring.anchors.map((a) => a.format ?? 'v1')).toEqual(['v1', 'hookbase-anchor/2']);
    const { heads } = verifyStreams(carried, (i) => `events[${i}]`);
    const hashAt = (stream: string, revision: bigint): string | undefined => heads.get(stream)?.hashes[Number(revision)] ?? undefined;
    const checked = checkAnchoring(anchoring, key.publicKey, hashAt, 'anchoring');
    expect(checked.problems).toEqual([]);
    expect(Object.fromEntries(checked.anchoredUpTo)).toEqual({ 'message-new': 0n, 'message-old': 1n, 'outbound-old': 1n });
    // A proof whose size is not its anchor's signed size is refused (RFC 9162 2.1.3.2), whatever the version.
    for (const i of [0, 1]) {
      const proofs = anchoring.proofs.map((p, j) => (j === i ? { ...p, proof: { ...p.proof, size: p.proof.size + 1 } } : p));
      expect(checkAnchoring({ ...anchoring, proofs }, key.publicKey, hashAt, 'anchoring').problems).toEqual([expect.objectContaining({ reason: 'proof' })]);
    }
  });
});
