import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, runCli } from './cliRun';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver, TestHookbase } from './harness';
import { startEsdbTestServer } from './esdb-server/server';
import type { EsdbTestServer } from './esdb-server/server';
import type { LoggedEvent } from './esdb-server/log';
import { anchorFormatOf, anchorHeadsOf, encodeAnchorHeads, generateAnchorKeyPair, anchorPublicKey, keyIdOf, signAnchor } from '../sdk/src/audit/anchor';
import type { AnchorData } from '../sdk/src/audit/anchor';
import { eventHash } from '../store/chain/encoding';
import { openSecret } from '../domain/secretBox';
import type { SealedSecret } from '../domain/secretBox';
import { loadMasterKey } from '../cli/masterKey';
import { streams } from '../domain/streams';
import { verifyLog } from '../store/chain/verifyLog';
import type { LogVerification } from '../store/chain/verifyLog';

// Issue 18 item 2: signed anchors, and what they let `hookbase audit verify --log` see that the chain alone cannot:
// a stream's tail removed, a whole stream removed, a stream rewritten with its hashes recomputed; and anchors
// forged with another key or edited. On the embedded store (its SQLite file edited directly) and on the EventStoreDB
// wire test server (its in-memory log edited), each through the real CLI.

const ANCHORS = streams.auditAnchors();
type Row = { position: number; stream_id: string; revision: number; event_id: string; type: string; data: string; metadata: string; created: number };
type KeyAnswer = { algorithm: string; keyId: string; publicKey: string; publicKeyPem: string; createdAt: string };

const verifyByCli = async (hb: TestHookbase, args: readonly string[] = []): Promise<{ code: number | null; stdout: string; stderr: string; report: LogVerification }> => {
  const result = await runCli(['audit', 'verify', '--log', '--json', ...args], { HOOKBASE_URL: hb.url, HOOKBASE_API_KEY: hb.apiKey });
  return { ...result, report: json<LogVerification>(result) };
};

/** Sends and deliveries done, and every event pinned by an anchor (the writer runs every 100 ms here). */
const settle = async (hb: TestHookbase, receiver: Receiver, sends: number): Promise<LogVerification> => {
  await receiver.waitFor(sends);
  await eventually(async () => {
    let attempts = 0;
    for await (const e of hb.events.readAll()) if (e.type === 'AttemptSucceeded') attempts++;
    return attempts === sends;
  });
  return eventually(async () => {
    const report = await verifyLog(hb.events);
    return report.clean && report.anchors > 0 && report.eventsAfterLastAnchor === 0 && report;
  }, 20_000);
};

/** An application with four events (created, renamed three times), an endpoint, and three messages delivered. */
const scenario = async (hb: TestHookbase, receiver: Receiver): Promise<string> => {
  await hb.sdk.eventTypes.create({ name: 'anchor.event' });
  const app = await hb.sdk.applications.create({ name: 'Anchored' });
  for (const name of ['Anchored 2', 'Anchored 3', 'Anchored 4']) await hb.sdk.applications.update(app.id, { name });
  await hb.sdk.endpoints.create(app.id, { url: receiver.url });
  for (let i = 0; i < 3; i++) await hb.sdk.messages.send(app.id, { eventType: 'anchor.event', payload: { i } });
  return `application-${app.id}`;
};

/** The same anchor signed by another key (its key id then names that key), or keeping ours (a bad signature). */
const forgeries = (anchor: AnchorData): { otherKey: AnchorData; ourKeyIdOnly: AnchorData } => {
  const other = generateAnchorKeyPair();
  const forged = signAnchor({ sequence: BigInt(anchor.sequence), prev: anchor.prev, heads: anchorHeadsOf(anchor), upTo: anchor.upTo, at: new Date(anchor.at) }, other.secretKey, anchorFormatOf(anchor));
  return { otherKey: forged, ourKeyIdOnly: { ...forged, keyId: anchor.keyId } };
};

describe('signed anchors on the embedded store', () => {
  let hb: TestHookbase;
  let receiver: Receiver;
  let db: Database.Database;
  let stream = '';
  let key: KeyAnswer;
  const dir = mkdtempSync(join(tmpdir(), 'hookbase-anchor-keys-'));

  beforeAll(async () => {
    hb = await startTestHookbase({ env: { HOOKBASE_AUDIT_ANCHOR_INTERVAL: '0.1' } });
    receiver = await startReceiver();
    stream = await scenario(hb, receiver);
    await settle(hb, receiver, 3);
    db = new Database(join(hb.dataDir, 'events.db'));
    db.pragma('busy_timeout = 5000');
    key = (await (await fetch(`${hb.url}/v1/audit/public-key`)).json()) as KeyAnswer;
  }, 60_000);
  afterAll(async () => {
    db?.close();
    await hb?.stop();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = (streamId: string): Row[] => db.prepare('SELECT * FROM events WHERE stream_id = ? ORDER BY revision').all(streamId) as Row[];
  const hashOf = (row: Row | undefined): string => (JSON.parse(row?.metadata ?? '{}') as { chain: { hash: string } }).chain.hash;
  const restore = (...saved: Row[]): void => {
    const put = db.prepare('INSERT OR REPLACE INTO events (position, stream_id, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (const r of saved) put.run(r.position, r.stream_id, r.revision, r.event_id, r.type, r.data, r.metadata, r.created);
  };
  const setData = (row: Row, data: unknown): void => void db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify(data), row.position);

  it('serves the public key without credentials, prints it with `hookbase audit key`, and keeps the secret key sealed in the log', async () => {
    expect(key).toMatchObject({ algorithm: 'Ed25519', keyId: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown, publicKey: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
    expect(keyIdOf(Buffer.from(key.publicKey, 'hex'))).toBe(key.keyId);
    const env = { HOOKBASE_URL: hb.url, HOOKBASE_API_KEY: hb.apiKey };
    expect(json<KeyAnswer>(await runCli(['audit', 'key', '--json'], env))).toEqual(key);
    const text = await runCli(['audit', 'key'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Key id      ${key.keyId}`);
    expect((await runCli(['audit', 'key', '--pem'], env)).stdout).toBe(key.publicKeyPem);
    // The log holds ciphertext; the master key opens it to the secret half of the key served.
    const [keyRow] = rows(streams.auditKey());
    const data = JSON.parse(keyRow?.data ?? '{}') as { publicKey: string; secretKey: SealedSecret };
    expect(data.secretKey.alg).toBe('A256GCM');
    const secret = openSecret(loadMasterKey({ masterKey: null, dataDir: hb.dataDir }), data.secretKey);
    expect(Buffer.from(anchorPublicKey(Buffer.from(secret, 'hex'))).toString('hex')).toBe(key.publicKey);
    expect(keyRow?.data).not.toContain(secret);
    // Every anchor of the log is signed by it.
    for (const anchor of rows(ANCHORS)) expect((JSON.parse(anchor.data) as AnchorData).keyId).toBe(key.keyId);
  });

  it('an untouched log verifies clean against the log\'s key and against the key given (hex, PEM file); another key is named', async () => {
    const { code, report, stdout } = await verifyByCli(hb);
    expect(code).toBe(0);
    expect(report).toMatchObject({ clean: true, keyId: key.keyId, eventsAfterLastAnchor: 0, firstBreak: null });
    expect(report.anchors).toBe(rows(ANCHORS).length);
    expect(report.anchoredHeads).toBeGreaterThanOrEqual(1 + 1 + 1 + 3 + 3 + 1); // key, event type, app, messages, outbounds, endpoint
    expect(stdout).not.toContain('"secretKey"');
    const text = await runCli(['audit', 'verify', '--log'], { HOOKBASE_URL: hb.url, HOOKBASE_API_KEY: hb.apiKey });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`anchors signed by key ${key.keyId}`);

    expect((await verifyByCli(hb, ['--public-key', key.publicKey])).report).toMatchObject({ clean: true, keyId: key.keyId });
    const pemFile = join(dir, 'anchor-key.pem');
    writeFileSync(pemFile, key.publicKeyPem);
    expect((await verifyByCli(hb, ['--public-key', `@${pemFile}`])).report).toMatchObject({ clean: true, keyId: key.keyId });

    const stranger = Buffer.from(generateAnchorKeyPair().publicKey).toString('hex');
    const other = await verifyByCli(hb, ['--public-key', stranger]);
    expect(other.code).toBe(1);
    expect(other.report.firstBreak).toMatchObject({ stream: ANCHORS, revision: '0', anchor: '0', reason: 'anchor-key', expected: keyIdOf(Buffer.from(stranger, 'hex')), found: key.keyId });

    const bad = await runCli(['audit', 'verify', '--log', '--public-key', 'not-a-key'], { HOOKBASE_URL: hb.url, HOOKBASE_API_KEY: hb.apiKey });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('publicKey must be an Ed25519 public key');
  });

  it('names an event removed from the tail of a stream: the stream, its revision, the anchored hash, found missing', async () => {
    const tail = rows(stream).at(-1) as Row;
    expect(tail.revision).toBe(3);
    db.prepare('DELETE FROM events WHERE position = ?').run(tail.position);
    try {
      const { code, report } = await verifyByCli(hb);
      expect(code).toBe(1);
      expect(report.firstBreak).toMatchObject({ stream, revision: '3', position: null, type: null, reason: 'missing', expected: hashOf(tail), found: 'missing' });
      expect(report.firstBreak?.message).toContain('the stream now ends at revision 2');
      const text = await runCli(['audit', 'verify', '--log'], { HOOKBASE_URL: hb.url, HOOKBASE_API_KEY: hb.apiKey });
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(`stream    ${stream}`);
      expect(text.stdout).toContain('found     missing');
    } finally {
      restore(tail);
    }
    expect((await verifyByCli(hb)).code).toBe(0);
  });

  it('names a whole stream removed', async () => {
    const saved = rows(stream);
    db.prepare('DELETE FROM events WHERE stream_id = ?').run(stream);
    try {
      const { code, report } = await verifyByCli(hb);
      expect(code).toBe(1);
      expect(report.firstBreak).toMatchObject({ stream, reason: 'missing', found: 'missing' });
      const revision = Number(report.firstBreak?.revision);
      expect(report.firstBreak?.expected).toBe(hashOf(saved[revision]));
      expect(report.firstBreak?.message).toContain('the stream is not in the log');
    } finally {
      restore(...saved);
    }
    expect((await verifyByCli(hb)).code).toBe(0);
  });

  it('names a stream rewritten with its hash recomputed (the chain holds, the anchor does not move)', async () => {
    const tail = rows(stream).at(-1) as Row;
    const metadata = JSON.parse(tail.metadata) as { chain: { prev: string; hash: string } } & Record<string, unknown>;
    const data = { ...(JSON.parse(tail.data) as Record<string, unknown>), name: 'Rewritten' };
    const hash = eventHash({ streamId: stream, revision: BigInt(tail.revision), type: tail.type, data, metadata }, metadata.chain.prev);
    db.prepare('UPDATE events SET data = ?, metadata = ? WHERE position = ?').run(JSON.stringify(data), JSON.stringify({ ...metadata, chain: { prev: metadata.chain.prev, hash } }), tail.position);
    try {
      const { code, report } = await verifyByCli(hb);
      expect(code).toBe(1);
      expect(report.firstBreak).toMatchObject({ stream, revision: '3', reason: 'anchored', expected: metadata.chain.hash, found: hash });
    } finally {
      restore(tail);
    }
  });

  it('names an anchor forged with another key, or with ours named but not signed by it', async () => {
    const [first] = rows(ANCHORS) as [Row];
    const { otherKey, ourKeyIdOnly } = forgeries(JSON.parse(first.data) as AnchorData);
    setData(first, otherKey);
    try {
      const { code, report } = await verifyByCli(hb);
      expect(code).toBe(1);
      expect(report.firstBreak).toMatchObject({ stream: ANCHORS, revision: '0', anchor: '0', reason: 'anchor-key', expected: key.keyId, found: otherKey.keyId });
      setData(first, ourKeyIdOnly);
      const again = await verifyByCli(hb);
      expect(again.code).toBe(1);
      expect(again.report.firstBreak).toMatchObject({ stream: ANCHORS, revision: '0', reason: 'anchor-signature', found: ourKeyIdOnly.signature });
    } finally {
      restore(first);
    }
    expect((await verifyByCli(hb)).code).toBe(0);
  });

  it("names an anchor whose root was edited (its signature fails) and one whose listed head was edited (its root fails)", async () => {
    const last = rows(ANCHORS).at(-1) as Row;
    const anchor = JSON.parse(last.data) as AnchorData;
    expect(anchor.format).toBe('hookbase-anchor/2');
    const pinned = anchorHeadsOf(anchor);
    setData(last, { ...anchor, root: 'e'.repeat(64) });
    try {
      const { code, report } = await verifyByCli(hb);
      expect(code).toBe(1);
      expect(report.firstBreak).toMatchObject({ stream: ANCHORS, revision: String(last.revision), reason: 'anchor-signature' });
      setData(last, { ...anchor, ...encodeAnchorHeads(pinned.map((h, i) => (i === 0 ? { ...h, hash: 'a'.repeat(64) } : h))) });
      const again = await verifyByCli(hb);
      expect(again.code).toBe(1);
      expect(again.report.firstBreak).toMatchObject({ stream: ANCHORS, revision: String(last.revision), reason: 'anchor-root', found: anchor.root });
      // A listed stream id or revision edited: the stream list no longer hashes to the digest the anchor signs.
      setData(last, { ...anchor, ...encodeAnchorHeads(pinned.map((h, i) => (i === 0 ? { ...h, revision: String(Number(h.revision) + 1) } : h))) });
      const renamed = await verifyByCli(hb);
      expect(renamed.code).toBe(1);
      expect(renamed.report.firstBreak).toMatchObject({ stream: ANCHORS, revision: String(last.revision), reason: 'anchor-root', found: anchor.streamsSha256 });
    } finally {
      restore(last);
    }
    expect((await verifyByCli(hb)).code).toBe(0);
  });

  it('names an anchor removed from the middle of the anchor chain', async () => {
    const anchors = rows(ANCHORS);
    if (anchors.length < 2) {
      // One anchor covered the whole scenario: add one by sending again, then wait for it.
      await hb.sdk.messages.send((await hb.sdk.applications.list()).data[0]?.id ?? '', { eventType: 'anchor.event', payload: { more: true } });
      await settle(hb, receiver, 4);
    }
    const [first, second] = rows(ANCHORS) as [Row, Row];
    db.prepare('DELETE FROM events WHERE position = ?').run(first.position);
    try {
      const { code, report } = await verifyByCli(hb);
      expect(code).toBe(1);
      // Anchor 1 now comes first: its previous-anchor hash is not the genesis hash.
      expect(report.firstBreak).toMatchObject({ stream: ANCHORS, reason: 'anchor-chain', found: (JSON.parse(second.data) as AnchorData).prev });
    } finally {
      restore(first);
    }
    expect((await verifyByCli(hb)).code).toBe(0);
  });
});

describe('signed anchors on EventStoreDB (our wire test server, its log edited in memory, and the real client)', () => {
  let server: EsdbTestServer;
  let hb: TestHookbase;
  let receiver: Receiver;
  let stream = '';

  beforeAll(async () => {
    server = await startEsdbTestServer();
    hb = await startTestHookbase({
      env: { HOOKBASE_EVENTS: 'esdb', HOOKBASE_ESDB_URL: server.url, HOOKBASE_MASTER_KEY: randomBytes(32).toString('base64'), HOOKBASE_AUDIT_ANCHOR_INTERVAL: '0.1' },
    });
    receiver = await startReceiver();
    stream = await scenario(hb, receiver);
    await settle(hb, receiver, 3);
  }, 60_000);
  afterAll(async () => {
    await hb?.stop();
    await receiver?.close();
    await server?.stop();
  });

  const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
  const hashOf = (e: LoggedEvent | undefined): string => (JSON.parse(text(e?.metadata ?? new Uint8Array())) as { chain: { hash: string } }).chain.hash;
  /** Runs `edit` on a copy of `$all`, verifies, then puts the log back as it was. */
  const tampered = async (edit: (events: LoggedEvent[]) => void): Promise<{ code: number | null; report: LogVerification }> => {
    const original = [...server.log.events];
    server.log.tamper(edit);
    try {
      const { code, report } = await verifyByCli(hb);
      return { code, report };
    } finally {
      server.log.tamper((events) => events.splice(0, events.length, ...original));
    }
  };
  const withData = (e: LoggedEvent, data: unknown): LoggedEvent => ({ ...e, data: Buffer.from(JSON.stringify(data)) });

  it('an untouched log verifies clean, with its anchors', async () => {
    const { code, report } = await verifyByCli(hb);
    expect(code).toBe(0);
    expect(report).toMatchObject({ clean: true, eventsAfterLastAnchor: 0 });
    expect(report.anchors).toBeGreaterThan(0);
  });

  it('names the tail removed and the whole stream removed', async () => {
    const ofStream = server.log.events.filter((e) => e.streamId === stream);
    const tail = ofStream.at(-1) as LoggedEvent;
    let { code, report } = await tampered((events) => events.splice(events.indexOf(tail), 1));
    expect(code).toBe(1);
    expect(report.firstBreak).toMatchObject({ stream, revision: '3', reason: 'missing', expected: hashOf(tail), found: 'missing' });

    ({ code, report } = await tampered((events) => events.splice(0, events.length, ...events.filter((e) => e.streamId !== stream))));
    expect(code).toBe(1);
    expect(report.firstBreak).toMatchObject({ stream, reason: 'missing', found: 'missing' });
    expect(report.firstBreak?.expected).toBe(hashOf(ofStream[Number(report.firstBreak?.revision)]));
    expect((await verifyByCli(hb)).code).toBe(0);
  });

  it('names an anchor forged with another key and an anchor whose root was edited', async () => {
    const first = server.log.events.find((e) => e.streamId === ANCHORS) as LoggedEvent;
    const anchor = JSON.parse(text(first.data)) as AnchorData;
    const { otherKey } = forgeries(anchor);
    const swap = (replacement: LoggedEvent) => (events: LoggedEvent[]) => void events.splice(events.indexOf(first), 1, replacement);

    let { code, report } = await tampered(swap(withData(first, otherKey)));
    expect(code).toBe(1);
    expect(report.firstBreak).toMatchObject({ stream: ANCHORS, revision: '0', reason: 'anchor-key', found: otherKey.keyId });

    ({ code, report } = await tampered(swap(withData(first, { ...anchor, root: 'e'.repeat(64) }))));
    expect(code).toBe(1);
    expect(report.firstBreak).toMatchObject({ stream: ANCHORS, revision: '0', reason: 'anchor-signature' });
    expect((await verifyByCli(hb)).code).toBe(0);
  });
});
