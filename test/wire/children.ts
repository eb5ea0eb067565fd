import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every child process a test starts is recorded here (a file per pid in the run's directory, since tests run in
 * several worker processes), so that the run's global teardown kills whatever is left, passed or failed.
 */
export const CHILDREN_DIR_VARIABLE = 'HOOKBASE_TEST_CHILDREN_DIR';

export const recordChild = (child: ChildProcess): void => {
  const dir = process.env[CHILDREN_DIR_VARIABLE];
  if (!dir || child.pid === undefined) return;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, String(child.pid));
  writeFileSync(file, '');
  child.once('exit', () => rmSync(file, { force: true }));
};

/** Kills every recorded child still alive, and its process group when it leads one. Returns the pids killed. */
export const killRecordedChildren = (dir: string): number[] => {
  const killed: number[] = [];
  let pids: number[] = [];
  try {
    pids = readdirSync(dir).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return killed;
  }
  for (const pid of pids) {
    let alive = false;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
        alive = true;
      } catch {
        // no such group, or already gone
      }
    }
    if (alive) killed.push(pid);
    rmSync(join(dir, String(pid)), { force: true });
  }
  return killed;
};
