import { programArgs } from '../test/build/command';
import { spawnRecorded } from '../test/wire/children';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../test/child';
import { connectMongo } from '../store/mongo/connect';
import { EsdbEventStore } from '../store/esdb/esdbEventStore';
import { StoreUnreachableError } from '../store/unreachable';
import { mongoRateLimiter } from './productionStores';

/**
 * HOOKBASE_STORE=esdb against servers that are not there: the real CLI as a child process must exit non-zero
 * within seconds with a message naming the URL (no hang, no stack trace). Ports on 127.0.0.1 with nothing
 * listening stand for the unreachable servers.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

type Run = Readonly<{ code: number | null; ms: number; stderr: string; stdout: string }>;

const runCli = (env: Record<string, string>): Promise<Run> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-prod-'));
  dirs.push(dataDir);
  const started = Date.now();
  // The run's bundle of the server (test/build/command.ts), or the sources through tsx with HOOKBASE_TEST_TSX=1.
  const child = spawnRecorded(process.execPath, programArgs('hookbase'), {
    cwd: ROOT,
    env: { ...process.env, HOOKBASE_PORT: '0', HOOKBASE_HOST: '127.0.0.1', HOOKBASE_DATA_DIR: dataDir, HOOKBASE_STORE: 'esdb', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, ms: Date.now() - started, stderr, stdout });
    });
  });
};

const masterKey = randomBytes(32).toString('base64');

describe('HOOKBASE_STORE=esdb start-up', () => {
  it('exits non-zero within seconds, naming the EventStoreDB URL it cannot reach, without a stack trace', async () => {
    const [esdbPort, mongoPort] = [await freePort(), await freePort()];
    const esdbUrl = `esdb://127.0.0.1:${esdbPort}?tls=false`;
    const run = await runCli({ HOOKBASE_ESDB_URL: esdbUrl, HOOKBASE_MONGO_URL: `mongodb://127.0.0.1:${mongoPort}/hookbase?replicaSet=rs0`, HOOKBASE_MASTER_KEY: masterKey });
    expect(run.code).toBe(1);
    // Start-up of the CLI itself takes 1-3 s through tsx on a loaded machine; the connection attempt well under one.
    expect(run.ms).toBeLessThan(15_000);
    expect(run.stderr).toContain(`hookbase: EventStoreDB at ${esdbUrl} cannot be reached`);
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stdout).not.toContain('listening');
  });

  it('refuses to start without HOOKBASE_MASTER_KEY, saying how to set it', async () => {
    const run = await runCli({ HOOKBASE_ESDB_URL: 'esdb://127.0.0.1:1?tls=false', HOOKBASE_MONGO_URL: 'mongodb://127.0.0.1:1/hookbase', HOOKBASE_MASTER_KEY: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('HOOKBASE_MASTER_KEY is required with HOOKBASE_EVENTS=esdb (or HOOKBASE_STORE=esdb)');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('refuses to start without the server URLs, naming the variables', async () => {
    const run = await runCli({ HOOKBASE_MASTER_KEY: masterKey, HOOKBASE_ESDB_URL: '', HOOKBASE_MONGO_URL: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('HOOKBASE_ESDB_URL');
    expect(run.stderr).toContain('HOOKBASE_MONGO_URL');
  });
});

describe('connecting to servers that are not there', () => {
  it('MongoDB: StoreUnreachableError naming the URL with its password hidden, within the timeout', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await connectMongo(`mongodb://hookbase:s3cret@127.0.0.1:${port}/hookbase?replicaSet=rs0`, { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(error).toBeInstanceOf(StoreUnreachableError);
    expect((error as Error).message).toContain(`MongoDB at mongodb://hookbase:***@127.0.0.1:${port}/hookbase?replicaSet=rs0 cannot be reached`);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('EventStoreDB: StoreUnreachableError naming the URL, and an invalid connection string said to be one', async () => {
    const port = await freePort();
    const error = await EsdbEventStore.connect(`esdb://admin:changeit@127.0.0.1:${port}?tls=false`, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnreachableError);
    expect((error as Error).message).toContain(`EventStoreDB at esdb://admin:***@127.0.0.1:${port}?tls=false cannot be reached`);
    expect((error as Error).message).not.toContain('changeit');
    const invalid = await EsdbEventStore.connect('http://not-esdb').catch((e: unknown) => e);
    expect((invalid as Error).message).toMatch(/EventStoreDB at http:\/\/not-esdb cannot be reached: invalid connection string/);
  });
});

describe('rate limits in MongoDB', () => {
  it('counts each subject in <db>_ops.rate_limits with findOneAndUpdate, and refuses past the limit', async () => {
    type Counter = { key: string; points: number; expire: Date };
    const counters = new Map<string, Counter>();
    const calls: { db: string; collection: string; op: string; args: unknown[] }[] = [];
    const client = {
      db: (db: string) => ({
        collection: (collection: string) => ({
          createIndex: async (...args: unknown[]) => void calls.push({ db, collection, op: 'createIndex', args }),
          // What the server does with the library's upsert: $setOnInsert on a new key, $inc always, the document after.
          findOneAndUpdate: async (where: { key: string }, update: { $setOnInsert: Counter; $inc: { points: number } }, options: unknown) => {
            calls.push({ db, collection, op: 'findOneAndUpdate', args: [where, update, options] });
            const current = counters.get(where.key) ?? { ...update.$setOnInsert, points: 0 };
            const next = { ...current, points: current.points + update.$inc.points };
            counters.set(where.key, next);
            return next;
          },
        }),
      }),
    } as unknown as MongoClient;
    const limiter = mongoRateLimiter(client, 'hookbase_ops');
    const now = Date.now();
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.take('sends', 'key_1', 2, 60_000, now));
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([[true, 1], [true, 0], [false, 0]]);
    expect((await limiter.take('sends', 'key_2', 2, 60_000, now)).allowed).toBe(true);
    const upserts = calls.filter((c) => c.op === 'findOneAndUpdate');
    expect(upserts).toHaveLength(4);
    expect(upserts.every((c) => c.db === 'hookbase_ops' && c.collection === 'rate_limits')).toBe(true);
    expect(upserts[0]?.args[2]).toMatchObject({ upsert: true, returnDocument: 'after' });
    expect([...counters.keys()].sort()).toEqual([expect.stringContaining('key_1'), expect.stringContaining('key_2')]);
    expect(calls.some((c) => c.op === 'createIndex' && JSON.stringify(c.args[1]).includes('expireAfterSeconds'))).toBe(true);
  });
});
