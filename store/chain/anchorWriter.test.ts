import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anchorHash, anchorHeaderOf, verifyAnchor } from '../../sdk/src/audit/anchor.js';
import type { AnchorData } from '../../sdk/src/audit/anchor.js';
import { SqliteEventStore } from '../embedded/sqliteEventStore';
import { loadOrCreateAnchorKey, readAnchorKeyEvent } from './anchorKey';
import { AnchorWriter } from './anchorWriter';
import { anchorsOf, append, until } from './anchorTestSupport';
import { withHashChain } from './hashChainedEventStore';
import { verifyLog } from './verifyLog';

// The anchor writer on the real embedded store: schedule, restart, two writers, the key.

const dirs: string[] = [];
const newStore = (): { file: string; open: () => SqliteEventStore } => {
  const dir = mkdtempSync(join(tmpdir(), 'hookbase-anchors-'));
  dirs.push(dir);
  const file = join(dir, 'events.db');
  return { file, open: () => withHashChain(SqliteEventStore.open(file)) };
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('AnchorWriter', () => {
  const masterKey = randomBytes(32);

  it('creates the key once, sealed: the log holds the public key and AES-256-GCM ciphertext, never the secret in clear', async () => {
    const { open } = newStore();
    const [one, two] = [open(), open()];
    // Two processes creating it at once: one key.
    const [a, b] = await Promise.all([loadOrCreateAnchorKey(one, masterKey), loadOrCreateAnchorKey(two, masterKey)]);
    expect(a.keyId).toBe(b.keyId);
    expect(Buffer.from(a.secretKey).equals(Buffer.from(b.secretKey))).toBe(true);
    const event = await readAnchorKeyEvent(one);
    expect(event).toMatchObject({ keyId: a.keyId, algorithm: 'Ed25519', publicKey: Buffer.from(a.publicKey).toString('hex'), secretKey: { alg: 'A256GCM' } });
    const stored = JSON.stringify(event);
    expect(stored).not.toContain(Buffer.from(a.secretKey).toString('hex'));
    expect(stored).not.toContain(Buffer.from(a.secretKey).toString('base64'));
    // Another master key cannot open it.
    await expect(loadOrCreateAnchorKey(one, randomBytes(32))).rejects.toThrow();
    await one.close();
    await two.close();
  });

  it('anchors every N events and after the interval, chained, signed, over the heads changed since the last anchor', async () => {
    const { open } = newStore();
    const events = open();
    const key = await loadOrCreateAnchorKey(events, masterKey);
    const writer = new AnchorWriter({ events, key: async () => key, schedule: { every: 5, intervalMs: 60_000 } });
    await writer.start();
    for (let s = 0; s < 12; s++) await append(events, `thing-${s}`, 1);
    // The key's event and 12 more, 5 per anchor: two anchors now, the last 3 wait for the interval (a minute) or a flush.
    const two = await until(async () => ((await anchorsOf(events)).length === 2 ? anchorsOf(events) : false));
    expect(two.map((a) => a.size)).toEqual([5, 5]);
    expect(two[1]?.prev).toBe(anchorHash(anchorHeaderOf(two[0] as AnchorData)));
    await writer.flush();
    const anchors = await anchorsOf(events);
    expect(anchors.map((a) => a.pinned.map((h) => h.stream))).toEqual([
      ['auditkey-deployment', 'thing-0', 'thing-1', 'thing-2', 'thing-3'],
      ['thing-4', 'thing-5', 'thing-6', 'thing-7', 'thing-8'],
      // In stream-id order (UTF-16 code units).
      ['thing-10', 'thing-11', 'thing-9'],
    ]);
    for (const anchor of anchors) expect(verifyAnchor(anchor, key.publicKey)).toBeNull();
    // Version 2: the heads stored compactly (docs/audit.md "Anchors"), the stream ids front-coded.
    expect(anchors.map((a) => a.format)).toEqual(['hookbase-anchor/2', 'hookbase-anchor/2', 'hookbase-anchor/2']);
    expect(anchors[2]).toMatchObject({ streams: ['0 0 thing-10', '0 7 1', '0 6 9'], hashes: expect.stringMatching(/^[A-Za-z0-9+/]{128}$/) as unknown });
    // One stream changed three times between anchors: one head, its last revision.
    await append(events, 'thing-0', 3);
    await writer.flush();
    expect((await anchorsOf(events))[3]?.pinned).toEqual([expect.objectContaining({ stream: 'thing-0', revision: '3' })]);
    // Nothing changed: no anchor.
    await writer.flush();
    expect(await anchorsOf(events)).toHaveLength(4);
    expect(await verifyLog(events)).toMatchObject({ clean: true, anchors: 4, anchoredHeads: 14, eventsAfterLastAnchor: 0, keyId: key.keyId });
    await writer.stop();
    await events.close();
  });

  it('does not pin a link whose hash is not hex (audit verify --log names it), and goes on anchoring the rest', async () => {
    const { file, open } = newStore();
    const events = open();
    const key = await loadOrCreateAnchorKey(events, masterKey);
    const writer = new AnchorWriter({ events, key: async () => key, schedule: { every: 1000, intervalMs: 60_000 } });
    await writer.start();
    await append(events, 'fine-1', 1);
    // Written past the chaining wrapper: 64 characters, not hex.
    const raw = SqliteEventStore.open(file);
    await raw.appendToStream('odd-1', [{ type: 'Thing', data: {}, metadata: { chain: { prev: '0'.repeat(64), hash: 'z'.repeat(64) } } }], { expectedRevision: 'no_stream' });
    await append(events, 'fine-2', 1);
    await until(async () => writer.pendingHeads === 4);
    await writer.flush();
    const [anchor] = await anchorsOf(events);
    expect(anchor?.pinned.map((h) => h.stream)).toEqual(['auditkey-deployment', 'fine-1', 'fine-2']);
    expect(verifyAnchor(anchor as AnchorData, key.publicKey)).toBeNull();
    expect((await verifyLog(events)).firstBreak).toMatchObject({ stream: 'odd-1', reason: 'malformed' });
    await writer.stop();
    await raw.close();
    await events.close();
  });

  it('resumes from the last anchor after a restart: the next anchor continues the chain over what changed meanwhile', async () => {
    const { open } = newStore();
    const events = open();
    const key = await loadOrCreateAnchorKey(events, masterKey);
    const first = new AnchorWriter({ events, key: async () => key, schedule: { every: 1000, intervalMs: 60_000 } });
    await first.start();
    await append(events, 'before-1', 2);
    await until(async () => (await verifyLog(events)).chainedEvents === 3 || false);
    await until(async () => {
      await first.flush();
      return (await anchorsOf(events)).length === 1 || false;
    });
    await first.stop();
    await append(events, 'while-down-1', 1);
    await append(events, 'before-1', 1);

    const second = new AnchorWriter({ events, key: async () => key, schedule: { every: 1000, intervalMs: 50 } });
    await second.start();
    const anchors = await until(async () => {
      const found = await anchorsOf(events);
      return found.length === 2 && found;
    });
    expect(anchors[1]).toMatchObject({ sequence: '1', prev: anchorHash(anchorHeaderOf(anchors[0] as AnchorData)) });
    expect(anchors[1]?.pinned.map((h) => `${h.stream}@${h.revision}`)).toEqual(['before-1@2', 'while-down-1@0']);
    expect(await verifyLog(events)).toMatchObject({ clean: true, anchors: 2, eventsAfterLastAnchor: 0 });
    await second.stop();
    await events.close();
  });

  it('two writers at once never fork the anchor chain: the loser continues from the winner', async () => {
    const { open } = newStore();
    const [one, two] = [open(), open()];
    const key = await loadOrCreateAnchorKey(one, masterKey);
    const writers = [one, two].map((events) => new AnchorWriter({ events, key: async () => key, schedule: { every: 3, intervalMs: 30 } }));
    await Promise.all(writers.map((w) => w.start()));
    await Promise.all(Array.from({ length: 8 }, (_, s) => append(s % 2 === 0 ? one : two, `shared-${s}`, 5)));
    // Both wake on the other's commits (in one process, a store's subscriptions hear only their own appends).
    const settled = await until(async () => {
      one.notifyCommitted();
      two.notifyCommitted();
      const report = await verifyLog(one);
      return report.eventsAfterLastAnchor === 0 && report.anchors > 0 && report;
    });
    expect(settled).toMatchObject({ clean: true, firstBreak: null });
    const anchors = await anchorsOf(one);
    anchors.forEach((anchor, i) => {
      expect(anchor.sequence).toBe(String(i));
      if (i > 0) expect(anchor.prev).toBe(anchorHash(anchorHeaderOf(anchors[i - 1] as AnchorData)));
    });
    // Every event of every stream is pinned by some anchor, at its last revision at least.
    const pinned = new Map(anchors.flatMap((a) => a.pinned).map((h) => [h.stream, h.revision]));
    for (let s = 0; s < 8; s++) expect(pinned.get(`shared-${s}`)).toBe('4');
    expect(writers[0]!.anchorsWritten + writers[1]!.anchorsWritten).toBe(anchors.length);
    await Promise.all(writers.map((w) => w.stop()));
    await one.close();
    await two.close();
  });

  it('of two writers holding the same heads, one appends the anchor and the other is refused, then follows it', async () => {
    const { open } = newStore();
    const [one, two] = [open(), open()];
    const key = await loadOrCreateAnchorKey(one, masterKey);
    const lines: string[] = [];
    const [a, b] = [one, two].map((events) => new AnchorWriter({ events, key: async () => key, schedule: { every: 1000, intervalMs: 60_000 }, log: (l) => lines.push(l) })) as [AnchorWriter, AnchorWriter];
    await a.start();
    await b.start();
    await append(one, 'contested-1', 1);
    two.notifyCommitted();
    // Both saw the key's event and the new one.
    await until(async () => a.pendingHeads === 2 && b.pendingHeads === 2);
    await Promise.all([a.flush(), b.flush()]);
    expect(await anchorsOf(one)).toHaveLength(1);
    expect(a.anchorsWritten + b.anchorsWritten).toBe(1);
    expect(lines.filter((l) => l.includes('anchor 0 was written by another process'))).toHaveLength(1);
    // The loser started again from the winner's anchor: nothing left to anchor twice.
    await until(async () => a.pendingHeads === 0 && b.pendingHeads === 0);
    await append(two, 'contested-1', 1);
    one.notifyCommitted();
    await until(async () => a.pendingHeads === 1 && b.pendingHeads === 1);
    const loser = a.anchorsWritten === 0 ? a : b;
    await loser.flush();
    const anchors = await anchorsOf(one);
    expect(anchors.map((x) => x.sequence)).toEqual(['0', '1']);
    expect(anchors[1]?.prev).toBe(anchorHash(anchorHeaderOf(anchors[0] as AnchorData)));
    expect(await verifyLog(one)).toMatchObject({ clean: true, anchors: 2, eventsAfterLastAnchor: 0 });
    await a.stop();
    await b.stop();
    await one.close();
    await two.close();
  });
});
