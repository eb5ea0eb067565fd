// Every child process a test starts dies with the run, however the run ends (issue 16): a tiny vitest project with
// the wire global setup (test/teardown/) is run as a child, its test starts a long-lived child that starts one of its
// own; the run then fails, is interrupted like a Ctrl-C, or its main process is terminated or killed outright.
// Afterwards no process of it may remain: not the children, not the run's wire servers, not its workers.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnRecorded } from './wire/children';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = join(createRequire(import.meta.url).resolve('vitest/package.json'), '..', 'vitest.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'hookbase-teardown-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type FixturePids = { child: number; grandchild: number; recorded: number[]; worker: number; dir: string };

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the fixture project; `end` stops it once its children are up. Answers its exit and the pids it wrote. */
const runFixture = async (mode: 'fail' | 'hang', end?: (pid: number) => void): Promise<{ code: number | null; signal: string | null; pids: FixturePids; output: string }> => {
  const pidsFile = join(scratch, `${mode}-${Date.now()}.json`);
  // A run of its own: none of this run's vitest or registry variables.
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('VITEST') && !key.startsWith('HOOKBASE_TEST_')) env[key] = value;
  // Its own process group (spawnRecorded): a Ctrl-C reaches the whole run, as in a terminal.
  const run = spawnRecorded(process.execPath, [VITEST, 'run', '--config', 'test/teardown/vitest.fixture.config.ts'], {
    cwd: ROOT,
    env: { ...env, TEARDOWN_FIXTURE_MODE: mode, TEARDOWN_FIXTURE_PIDS: pidsFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  run.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  run.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => run.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 60_000;
  while (!existsSync(pidsFile) || readFileSync(pidsFile, 'utf8') === '') {
    if (run.exitCode !== null || Date.now() > deadline) throw new Error(`the fixture run wrote no pids:\n${output}`);
    await sleep(100);
  }
  const pids = JSON.parse(readFileSync(pidsFile, 'utf8')) as FixturePids;
  if (end) end(run.pid ?? 0);
  const { code, signal } = await exited;
  return { code, signal, pids, output };
};

/** Every process the fixture run started, gone within `ms` (the reaper looks twice a second). */
const expectAllGone = async (pids: FixturePids, ms: number): Promise<void> => {
  const all = [...new Set([pids.child, pids.grandchild, pids.worker, ...pids.recorded])];
  // The registry held the test's child and the run's wire servers (jongodb, the EventStoreDB test server) at least.
  expect(pids.recorded).toContain(pids.child);
  expect(pids.recorded.length).toBeGreaterThanOrEqual(2);
  const deadline = Date.now() + ms;
  while (all.some(alive) && Date.now() < deadline) await sleep(100);
  expect(all.filter(alive)).toEqual([]);
  expect(existsSync(pids.dir)).toBe(false);
};

describe('a test run leaves no process behind', () => {
  it('when a test fails midway: the global teardown kills the children it recorded', async () => {
    const { code, pids, output } = await runFixture('fail');
    expect(code, output).toBe(1);
    expect(output).toContain('the run failed midway');
    await expectAllGone(pids, 2_000);
  }, 90_000);

  it('when the run is interrupted with Ctrl-C (SIGINT to its process group)', async () => {
    const { pids } = await runFixture('hang', (pid) => process.kill(-pid, 'SIGINT'));
    await expectAllGone(pids, 5_000);
  }, 90_000);

  it('when the run\'s main process alone is terminated (SIGTERM, as `timeout` sends)', async () => {
    // vitest handles SIGTERM itself; whether its teardown runs then or not, nothing may remain.
    const { pids } = await runFixture('hang', (pid) => process.kill(pid, 'SIGTERM'));
    await expectAllGone(pids, 5_000);
  }, 90_000);

  it('when the run\'s main process is killed outright (no teardown runs): the reaper kills what it recorded', async () => {
    const { signal, pids } = await runFixture('hang', (pid) => process.kill(pid, 'SIGKILL'));
    expect(signal).toBe('SIGKILL');
    await expectAllGone(pids, 5_000);
  }, 90_000);
});
