// Run by test/teardown.test.ts through test/teardown/vitest.fixture.config.ts, never by `npm test` itself: starts
// a long-lived child (which starts one of its own, in its process group), writes every pid the run should end
// with it, then fails (TEARDOWN_FIXTURE_MODE=fail) or waits to be interrupted (hang).
import { readdirSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { CHILDREN_DIR_VARIABLE, spawnRecorded } from '../wire/children';

const LONG_LIVED = `
  const { spawn } = require('node:child_process');
  const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  process.stdout.write(String(grandchild.pid) + '\\n');
  setInterval(() => {}, 1000);
`;

it('starts children, then fails or hangs', async () => {
  const child = spawnRecorded(process.execPath, ['-e', LONG_LIVED], { stdio: ['ignore', 'pipe', 'ignore'] });
  const grandchild = await new Promise<number>((resolve) => child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const dir = process.env[CHILDREN_DIR_VARIABLE] ?? '';
  // What the registry holds (this child, and the run's jongodb), plus the grandchild and this worker.
  const recorded = readdirSync(dir).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  writeFileSync(process.env.TEARDOWN_FIXTURE_PIDS ?? '', JSON.stringify({ child: child.pid, grandchild, recorded, worker: process.pid, dir }));
  if (process.env.TEARDOWN_FIXTURE_MODE === 'fail') expect('the run failed midway').toBe('a passing run');
  else await new Promise(() => {});
});
