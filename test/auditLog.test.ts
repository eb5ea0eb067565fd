import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
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
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { canonicalJson, chainEncoding, eventHash, GENESIS_HASH, UNCHAINED_PREDECESSOR_HASH } from '../store/chain/encoding';
import { withHashChain } from '../store/chain/hashChainedEventStore';
import { verifyLog } from '../store/chain/verifyLog';
import type { LogVerification } from '../store/chain/verifyLog';
import { WrongExpectedVersionError } from '../store/eventStore';

// Issue 18 items 1 and 5: every append hash-chained, and `hookbase audit verify --log` naming the first break.

type Row = { position: number; stream_id: string; revision: number; event_id: string; type: string; data: string; metadata: string; created: number };
const chainOf = (row: Row): { prev: string; hash: string } => (JSON.parse(row.metadata) as { chain: { prev: string; hash: string } }).chain;

const verifyByCli = async (hb: TestHookbase, args: readonly string[] = ['--json']): Promise<{ code: number | null; stdout: string; report: LogVerification | null }> => {
  const result = await runCli(['audit', 'verify', '--log', ...args], { HOOKBASE_URL: hb.url, HOOKBASE_API_KEY: hb.apiKey });
  return { code: result.code, stdout: result.stdout, report: args.includes('--json') ? json<LogVerification>(result) : null };
};

describe('the encoding (docs/audit.md)', () => {
  it('is canonical JSON: keys sorted by UTF-16 code units, what JSON.stringify drops dropped, numbers as it writes them', () => {
    expect(canonicalJson({ b: 1, a: [1, undefined, 'x'], c: undefined, é: 1e21, B: { z: null, y: -0 } })).toBe('{"B":{"y":0,"z":null},"a":[1,null,"x"],"b":1,"é":1e+21}');
    expect(canonicalJson({ at: new Date('2026-12-07T00:00:00.000Z') })).toBe('{"at":"2026-12-07T00:00:00.000Z"}');
  });

  it('hashes the documented seven lines, and equals the worked example of docs/audit.md', () => {
    const event = { streamId: 'application-app_1', revision: 0n, type: 'ApplicationCreated', data: { name: 'Acme', appId: 'app_1' }, metadata: { now: '2026-12-07T00:00:00.000Z' } };
    expect(chainEncoding(event, GENESIS_HASH)).toBe(
      ['hookbase-chain/1', '"application-app_1"', '0', '"ApplicationCreated"', '{"appId":"app_1","name":"Acme"}', `{"chain":{"prev":"${GENESIS_HASH}"},"now":"2026-12-07T00:00:00.000Z"}`, GENESIS_HASH].join('\n'),
    );
    // node:crypto over those bytes, independently of @noble/hashes; the same value is printed in docs/audit.md.
    expect(eventHash(event, GENESIS_HASH)).toBe(createHash('sha256').update(chainEncoding(event, GENESIS_HASH), 'utf8').digest('hex'));
    expect(eventHash(event, GENESIS_HASH)).toBe('e260c422d13f218e2b5c412558c0306e736f78ccf2bd112fa907417f95159555');
  });
});

describe('chained appends at the store (embedded)', () => {
  const dirs: string[] = [];
  const newFile = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'hookbase-chain-'));
    dirs.push(dir);
    return join(dir, 'events.db');
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('starts the chain of a stream written before chaining at its first new event, and verifies it', async () => {
    const file = newFile();
    const legacy = SqliteEventStore.open(file);
    await legacy.appendToStream('legacy-1', [{ type: 'Old', data: { n: 0 } }, { type: 'Old', data: { n: 1 } }], { expectedRevision: 'no_stream' });
    await legacy.close();

    const store = withHashChain(SqliteEventStore.open(file));
    expect(store).toBeInstanceOf(SqliteEventStore);
    await store.appendToStream('legacy-1', [{ type: 'New', data: { n: 2 } }], { expectedRevision: 1n });
    await store.appendToStream('legacy-1', [{ type: 'New', data: { n: 3 } }], { expectedRevision: 2n });
    await store.appendToStream('fresh-1', [{ type: 'New', data: {} }, { type: 'New', data: {} }]);
    const legacyEvents = [];
    for await (const e of store.readStream('legacy-1')) legacyEvents.push(e);
    expect(legacyEvents.map((e) => (e.metadata.chain as { prev: string } | undefined)?.prev ?? null)).toEqual([null, null, UNCHAINED_PREDECESSOR_HASH, (legacyEvents[2]?.metadata.chain as { hash: string }).hash]);
    expect(await verifyLog(store)).toMatchObject({ clean: true, streams: 2, events: 6, chainedEvents: 4, unchainedEvents: 2, firstBreak: null });

    // An unchained event after chaining began was not written by Hookbase.
    const raw = SqliteEventStore.open(file);
    await raw.appendToStream('intruder-1', [{ type: 'Forged', data: {} }], { expectedRevision: 'no_stream' });
    await raw.close();
    expect((await verifyLog(store)).firstBreak).toMatchObject({ stream: 'intruder-1', revision: '0', reason: 'unchained' });

    // A link that is not {prev, hash} of 64 hex digits each is named as such (in a fresh file: the intruder comes first otherwise).
    const other = SqliteEventStore.open(newFile());
    await other.appendToStream('odd-1', [{ type: 'Odd', data: {}, metadata: { chain: { prev: GENESIS_HASH, hash: 'not-a-hash' } } }], { expectedRevision: 'no_stream' });
    expect((await verifyLog(other)).firstBreak).toMatchObject({ stream: 'odd-1', revision: '0', reason: 'malformed' });
    await other.close();
    await store.close();
  });

  it('keeps each chain whole with two writers whose cached heads go stale: exact revisions conflict, `any` is made exact', async () => {
    const file = newFile();
    const one = withHashChain(SqliteEventStore.open(file));
    const two = withHashChain(SqliteEventStore.open(file));
    await one.appendToStream('shared-1', [{ type: 'A', data: { by: 1 } }], { expectedRevision: 'no_stream' });
    await two.appendToStream('shared-1', [{ type: 'A', data: { by: 2 } }], { expectedRevision: 0n }); // `two` reads the head
    // `one` remembers revision 0 as the head: its append expecting 0 is refused, not chained to a stale hash.
    await expect(one.appendToStream('shared-1', [{ type: 'A', data: { by: 1 } }], { expectedRevision: 0n })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => one.appendToStream('shared-1', [{ type: 'B', data: { i } }], { expectedRevision: 'any' })),
      ...Array.from({ length: 10 }, (_, i) => two.appendToStream('shared-1', [{ type: 'B', data: { i } }], { expectedRevision: 'stream_exists' })),
    ]);
    await expect(one.appendToStream('missing-1', [{ type: 'A', data: {} }], { expectedRevision: 'stream_exists' })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(await verifyLog(one)).toMatchObject({ clean: true, events: 22, chainedEvents: 22 });
    await one.close();
    await two.close();
  });
});

describe('hookbase audit verify --log on the embedded store', () => {
  let hb: TestHookbase;
  let receiver: Receiver;
  let db: Database.Database;
  let stream = '';

  beforeAll(async () => {
    // An anchor after every event, so that the tail removal below is pinned (test/auditAnchors.test.ts has the rest).
    hb = await startTestHookbase({ env: { HOOKBASE_AUDIT_ANCHOR_EVERY: '1' } });
    receiver = await startReceiver();
    await hb.sdk.eventTypes.create({ name: 'chain.event' });
    const app = await hb.sdk.applications.create({ name: 'Chained' });
    stream = `application-${app.id}`;
    for (const name of ['Chained 2', 'Chained 3', 'Chained 4']) await hb.sdk.applications.update(app.id, { name });
    await hb.sdk.endpoints.create(app.id, { url: receiver.url });
    for (let i = 0; i < 3; i++) await hb.sdk.messages.send(app.id, { eventType: 'chain.event', payload: { i } });
    await receiver.waitFor(3);
    db = new Database(join(hb.dataDir, 'events.db'));
    db.pragma('busy_timeout = 5000');
  });
  afterAll(async () => {
    db?.close();
    await hb?.stop();
    await receiver?.close();
  });

  const row = (revision: number): Row => db.prepare('SELECT * FROM events WHERE stream_id = ? AND revision = ?').get(stream, revision) as Row;
  const restore = (r: Row): void => {
    db.prepare('INSERT OR REPLACE INTO events (position, stream_id, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      r.position, r.stream_id, r.revision, r.event_id, r.type, r.data, r.metadata, r.created,
    );
  };

  it('an untouched log verifies clean: exit 0 with counts; every event Hookbase wrote is chained', async () => {
    // The attempts too, appended by the dispatcher on its worker thread (cli/backgroundWorker.ts opens its own store).
    const attempts = await eventually(async () => {
      const found = [];
      for await (const e of hb.events.readAll()) if (e.type === 'AttemptSucceeded') found.push(e);
      return found.length === 3 && found;
    });
    for (const attempt of attempts) expect(attempt.metadata.chain).toMatchObject({ prev: GENESIS_HASH });
    const { code, report } = await verifyByCli(hb);
    expect(code).toBe(0);
    expect(report).toMatchObject({ clean: true, unchainedEvents: 0, firstBreak: null });
    expect(report?.events).toBeGreaterThanOrEqual(4 + 3 * 2);
    expect(report?.chainedEvents).toBe(report?.events);
    const text = await verifyByCli(hb, []);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Clean: ${report?.events} events`);
    // The history answer shows data, not the chain.
    const sent = await hb.sdk.messages.list((await hb.sdk.applications.list()).data[0]?.id ?? '');
    expect(JSON.stringify(sent)).not.toContain('"chain"');
  });

  it("names an event whose data was edited in place: its stream, revision, the recomputed and the carried hash", async () => {
    const original = row(1);
    db.prepare("UPDATE events SET data = json_set(data, '$.name', 'Forged') WHERE position = ?").run(original.position);
    try {
      const { code, report } = await verifyByCli(hb);
      expect(code).toBe(1);
      expect(report?.firstBreak).toMatchObject({ stream, revision: '1', reason: 'hash', found: chainOf(original).hash });
      expect(report?.firstBreak?.expected).not.toBe(chainOf(original).hash);
      const text = await verifyByCli(hb, []);
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(stream);
      expect(text.stdout).toContain(`found     ${chainOf(original).hash}`);
    } finally {
      restore(original);
    }
    expect((await verifyByCli(hb)).code).toBe(0);
  });

  it('names the event after one removed from the middle of a stream: its previous hash is not the hash before it', async () => {
    const removed = row(2);
    db.prepare('DELETE FROM events WHERE position = ?').run(removed.position);
    try {
      const { code, report } = await verifyByCli(hb);
      expect(code).toBe(1);
      expect(report?.firstBreak).toMatchObject({ stream, revision: '3', reason: 'prev', expected: chainOf(row(1)).hash, found: chainOf(removed).hash });
    } finally {
      restore(removed);
    }
  });

  it('names two swapped events', async () => {
    const [first, second] = [row(1), row(2)];
    const swap = db.prepare('UPDATE events SET type = ?, data = ?, metadata = ? WHERE position = ?');
    db.transaction(() => {
      swap.run(second.type, second.data, second.metadata, first.position);
      swap.run(first.type, first.data, first.metadata, second.position);
    })();
    try {
      const { code, report } = await verifyByCli(hb);
      expect(code).toBe(1);
      // Revision 1 now carries revision 2's link, whose previous hash is revision 1's own.
      expect(report?.firstBreak).toMatchObject({ stream, revision: '1', reason: 'prev', expected: chainOf(row(0)).hash, found: chainOf(first).hash });
    } finally {
      restore(first);
      restore(second);
    }
  });

  it('sees an event removed from the tail of a stream only through the anchor that pins it: the chain left is whole', async () => {
    await eventually(async () => (await verifyLog(hb.events)).eventsAfterLastAnchor === 0, 20_000);
    const tail = row(3);
    db.prepare('DELETE FROM events WHERE position = ?').run(tail.position);
    try {
      const { code, report } = await verifyByCli(hb);
      expect(code).toBe(1);
      // No chain reason (hash, prev, revision): every chain left holds. The anchor names what is gone.
      expect(report?.firstBreak).toMatchObject({ stream, revision: '3', reason: 'missing', expected: chainOf(tail).hash, found: 'missing' });
    } finally {
      restore(tail);
    }
    expect((await verifyByCli(hb)).code).toBe(0);
  });
});

describe('chained appends on EventStoreDB (our wire test server, in this process, and the real client)', () => {
  let server: EsdbTestServer;
  let hb: TestHookbase;
  let receiver: Receiver;
  let stream = '';
  afterAll(async () => {
    await hb?.stop();
    await receiver?.close();
    await server?.stop();
  });

  beforeAll(async () => {
    // In this process (not the run's shared server) so that the test can edit its in-memory log, as an operator with
    // access to the EventStoreDB volume could edit the real one.
    server = await startEsdbTestServer();
    hb = await startTestHookbase({ env: { HOOKBASE_EVENTS: 'esdb', HOOKBASE_ESDB_URL: server.url, HOOKBASE_MASTER_KEY: randomBytes(32).toString('base64') } });
    receiver = await startReceiver();
    await hb.sdk.eventTypes.create({ name: 'chain.event' });
    const app = await hb.sdk.applications.create({ name: 'Chained on ESDB' });
    stream = `application-${app.id}`;
    for (const name of ['Renamed 2', 'Renamed 3', 'Renamed 4']) await hb.sdk.applications.update(app.id, { name });
    await hb.sdk.endpoints.create(app.id, { url: receiver.url });
    for (let i = 0; i < 3; i++) await hb.sdk.messages.send(app.id, { eventType: 'chain.event', payload: { i } });
    await receiver.waitFor(3);
  }, 60_000);

  it('every event Hookbase appends is chained, and the log verifies clean through the CLI', async () => {
    const appEvents = [];
    for await (const e of hb.events.readStream(stream)) appEvents.push(e);
    expect(appEvents).toHaveLength(4);
    expect((appEvents[1]?.metadata.chain as { prev: string }).prev).toBe((appEvents[0]?.metadata.chain as { hash: string }).hash);
    const { code, report } = await verifyByCli(hb);
    expect(code).toBe(0);
    expect(report).toMatchObject({ clean: true, unchainedEvents: 0 });
    expect(report?.chainedEvents).toBe(report?.events);
    expect(report?.events).toBeGreaterThanOrEqual(4 + 3 * 2);
  });

  it("names an edited event, one removed from the middle and two swapped in the server's log", async () => {
    const log = server.log.events as LoggedEvent[];
    const at = (revision: bigint): number => log.findIndex((e) => e.streamId === stream && e.revision === revision);
    const hashOf = (e: LoggedEvent | undefined): string => (JSON.parse(Buffer.from(e?.metadata ?? []).toString('utf8')) as { chain: { hash: string } }).chain.hash;
    const [one, two] = [log[at(1n)] as LoggedEvent, log[at(2n)] as LoggedEvent];

    log[at(1n)] = { ...one, data: Buffer.from(JSON.stringify({ ...(JSON.parse(Buffer.from(one.data).toString('utf8')) as object), name: 'Forged' })) };
    let { code, report } = await verifyByCli(hb);
    expect(code).toBe(1);
    expect(report?.firstBreak).toMatchObject({ stream, revision: '1', reason: 'hash', found: hashOf(one) });
    log[at(1n)] = one;

    log.splice(at(2n), 1);
    ({ code, report } = await verifyByCli(hb));
    expect(code).toBe(1);
    expect(report?.firstBreak).toMatchObject({ stream, revision: '3', reason: 'prev', expected: hashOf(one), found: hashOf(two) });
    log.splice(at(1n) + 1, 0, two);

    log[at(1n)] = { ...one, type: two.type, data: two.data, metadata: two.metadata };
    log[at(2n)] = { ...two, type: one.type, data: one.data, metadata: one.metadata };
    ({ code, report } = await verifyByCli(hb));
    expect(code).toBe(1);
    expect(report?.firstBreak).toMatchObject({ stream, revision: '1', reason: 'prev', found: hashOf(one) });
    log[at(1n)] = one;
    log[at(2n)] = two;

    expect((await verifyByCli(hb)).code).toBe(0);
  });
});
