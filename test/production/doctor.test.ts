import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../child';
import { json, runCli } from '../cliRun';
import { WIRE_ESDB_VARIABLE } from '../wire/globalSetup';
import { openLayout } from './layouts';
import type { Layout } from './layouts';

/**
 * `hookbase doctor` as an operator runs it (the real CLI, a child process) against the run's wire servers: jongodb
 * for MongoDB, our EventStoreDB test server; then against servers that are not there and with a wrong master key.
 */
type Check = { id: string; title: string; status: 'pass' | 'warn' | 'fail' | 'skip'; detail: string; fix?: string };
type Report = { ok: boolean; layout: { events: string; reads: string }; checks: Check[]; summary: Record<string, number> };

const byId = (report: Report): Record<string, Check> => Object.fromEntries(report.checks.map((c) => [c.id, c]));
const statuses = (report: Report): Record<string, string> => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));

describe('hookbase doctor on embedded events with MongoDB read models, Hookbase running', () => {
  let layout: Layout;
  beforeAll(async () => {
    layout = await openLayout('embedded-events+mongo');
    await layout.start('api,projections,dispatcher');
  }, 150_000);
  afterAll(async () => {
    await layout?.stop();
  });

  it('passes, warning only that jongodb serves no change streams (read-your-writes then polls), and exits 0', async () => {
    const run = await runCli(['doctor', '--json'], layout.env(), 60_000);
    const report = json<Report>(run);
    expect(run.code, run.stderr).toBe(0);
    expect(report.layout).toMatchObject({ events: 'embedded', reads: 'mongo' });
    expect(statuses(report)).toMatchObject({
      dataDir: 'pass',
      masterKey: 'pass',
      'events.persistentGroup': 'pass',
      'events.append': 'pass',
      'events.subscription': 'pass',
      'events.persistentRead': 'pass',
      'events.dispatcherGroup': 'pass',
      'mongo.connect': 'pass',
      'mongo.version': 'pass',
      'mongo.transaction': 'pass',
      'mongo.indexes': 'pass',
      'masterKey.processes': 'pass',
    });
    // jongodb refuses `$changeStream` (measured with the real driver): a degradation, not a failure.
    const changeStream = byId(report)['mongo.changeStream'];
    expect(changeStream?.status).toBe('warn');
    expect(changeStream?.detail).toContain('falls back to reading the progress document every second');
    expect(byId(report)['masterKey.processes']?.detail).toMatch(/^1 running process\(es\), all with fingerprint [0-9a-f]{16}$/);
    expect(report.ok).toBe(true);
  }, 90_000);

  it('fails with exit 1 when the master key differs from the running process\'s, naming the process and the fix', async () => {
    const run = await runCli(['doctor'], layout.env({ HOOKBASE_MASTER_KEY: randomBytes(32).toString('base64') }), 60_000);
    expect(run.code).toBe(1);
    const child = layout.children()[0];
    expect(run.stdout).toMatch(new RegExp(`FAIL  master key: same in every process: 1 of 1 running process\\(es\\) use another master key than this doctor \\([0-9a-f]{16}\\): \\S+ pid ${child?.process.pid} \\(api,projections,dispatcher\\)`));
    expect(run.stdout).toContain('fix: Give every process the same HOOKBASE_MASTER_KEY');
    expect(run.stdout).toContain('Hookbase cannot run until the failures are fixed');
  }, 90_000);
});

describe('hookbase doctor against servers that are not there', () => {
  it('MongoDB: exit 1 within seconds, the connect check failed naming the URL and what to check', async () => {
    const url = `mongodb://127.0.0.1:${await freePort()}/hookbase?replicaSet=rs0`;
    const started = Date.now();
    const run = await runCli(['doctor', '--json', '--reads', 'mongo', '--mongo-url', url, '--data-dir', `/tmp/hookbase-doctor-${randomBytes(4).toString('hex')}`], {}, 60_000);
    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    const connect = byId(json<Report>(run))['mongo.connect'];
    expect(connect).toMatchObject({ status: 'fail', fix: expect.stringContaining(`Check HOOKBASE_MONGO_URL (${url})`) });
    expect(connect?.detail).toContain('cannot be reached');
    expect(json<Report>(run).ok).toBe(false);
  }, 60_000);

  it('EventStoreDB: exit 1, the connect check failed with the fix, the event checks not run', async () => {
    const url = `esdb://127.0.0.1:${await freePort()}?tls=false`;
    const env = { HOOKBASE_EVENTS: 'esdb', HOOKBASE_ESDB_URL: url, HOOKBASE_MASTER_KEY: randomBytes(32).toString('base64'), HOOKBASE_DATA_DIR: `/tmp/hookbase-doctor-${randomBytes(4).toString('hex')}` };
    const run = await runCli(['doctor', '--json'], env, 60_000);
    expect(run.code).toBe(1);
    const report = json<Report>(run);
    expect(byId(report)['esdb.connect']).toMatchObject({ status: 'fail', fix: expect.stringContaining(`Check HOOKBASE_ESDB_URL (${url})`) });
    expect(report.checks.map((c) => c.id)).not.toContain('events.append');
  }, 60_000);
});

describe('hookbase doctor on the EventStoreDB test server with embedded read models', () => {
  it('checks version, append and read back, a filtered subscription checkpoint and a persistent group on the server', async () => {
    const url = process.env[WIRE_ESDB_VARIABLE];
    expect(url, 'the run\'s EventStoreDB test server (test/wire/globalSetup.ts)').toBeTruthy();
    const env = { HOOKBASE_EVENTS: 'esdb', HOOKBASE_ESDB_URL: url ?? '', HOOKBASE_MASTER_KEY: randomBytes(32).toString('base64'), HOOKBASE_DATA_DIR: `/tmp/hookbase-doctor-${randomBytes(4).toString('hex')}` };
    const run = await runCli(['doctor', '--json'], env, 60_000);
    const report = json<Report>(run);
    expect(statuses(report), JSON.stringify(report.checks, null, 1)).toMatchObject({
      'esdb.connect': 'pass',
      'esdb.version': 'pass',
      'events.append': 'pass',
      'events.subscription': 'pass',
      'events.persistentGroup': 'pass',
      'events.persistentRead': 'pass',
    });
    expect(run.code).toBe(0);
  }, 60_000);
});
