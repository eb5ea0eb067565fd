import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnRecorded } from '../../test/wire/children';

const FIXTURE = fileURLToPath(new URL('./fixtures/openRace.ts', import.meta.url));
const PROCESSES = 4;
const FILES = 30;

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Starts PROCESSES processes that each open the same FILES fresh files, all at once; their failure counts. */
const race = async (kind: string): Promise<{ failed: number; firstError: string }[]> => {
  dir = mkdtempSync(join(tmpdir(), 'hookbase-open-race-'));
  const children = Array.from({ length: PROCESSES }, () => {
    const child = spawnRecorded(process.execPath, ['--import', 'tsx', FIXTURE, dir, kind, String(FILES)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let markReady = (): void => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) markReady();
    });
    const done = new Promise<{ failed: number; firstError: string }>((resolve, reject) =>
      child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.slice('ready\n'.length).trim()) as { failed: number; firstError: string }) : reject(new Error(`exit ${code}`)))),
    );
    return { child, ready, done };
  });
  // Every child has loaded its modules before any opens a file.
  await Promise.all(children.map((c) => c.ready));
  const start = Date.now() + 200;
  for (const { child } of children) child.stdin?.end(`${start}\n`);
  return Promise.all(children.map((c) => c.done));
};

// SQLite refuses one of two connections switching a new file to WAL at once (SQLITE_BUSY, its busy handler not
// called); several processes of one deployment open the data dir's files at the same moment.
describe('several processes opening the same new files at once', () => {
  it.each(['database', 'events', 'reads'])('%s: every open succeeds', async (kind) => {
    const results = await race(kind);
    expect(results.map((r) => r.firstError).filter(Boolean)).toEqual([]);
    expect(results.reduce((sum, r) => sum + r.failed, 0)).toBe(0);
  }, 60_000);
});
