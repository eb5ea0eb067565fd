import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

/**
 * Every child process a test starts is recorded here (a file per pid in the run's directory, since tests run in
 * several worker processes), so that the run's global teardown kills whatever is left, passed or failed. A run
 * that dies without its teardown (the vitest process killed, a Ctrl-C that ends it before teardown) is covered by
 * a reaper: a small process started with the first record, which kills everything recorded once the run's main
 * process is gone, then exits (it also exits when the teardown has removed the directory).
 */
export const CHILDREN_DIR_VARIABLE = 'HOOKBASE_TEST_CHILDREN_DIR';

const REAPER_FILE = 'reaper';
const REAPER_SCRIPT = fileURLToPath(new URL('./reaper.ts', import.meta.url));

/**
 * When a process started: field 22 of /proc/<pid>/stat (clock ticks since boot). A pid is reused once its process
 * is gone; a pid whose start time differs from the recorded one is another process, never to be killed.
 */
export const processStartTime = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
};

/** The run's main vitest process: a forks-pool worker's parent, else this process (main, or a thread worker in it). */
const runProcessPid = (): number => (isMainThread && process.env.VITEST_WORKER_ID !== undefined ? process.ppid : process.pid);

/** Starts the run's reaper unless one is running for `dir` (a `wx` file makes the check and the claim one step). */
const ensureReaper = (dir: string): void => {
  const file = join(dir, REAPER_FILE);
  try {
    writeFileSync(file, '', { flag: 'wx' });
  } catch {
    return;
  }
  const reaper = spawn(process.execPath, ['--import', 'tsx', REAPER_SCRIPT, dir, String(runProcessPid())], { detached: true, stdio: 'ignore' });
  writeFileSync(file, String(reaper.pid ?? ''));
  reaper.unref();
};

export const recordChild = (child: ChildProcess): void => {
  const dir = process.env[CHILDREN_DIR_VARIABLE];
  if (!dir || child.pid === undefined) return;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, String(child.pid));
  writeFileSync(file, processStartTime(child.pid) ?? '');
  child.once('exit', () => rmSync(file, { force: true }));
  ensureReaper(dir);
};

/**
 * `spawn`, with the child leading a process group of its own (so that killing the group at teardown also ends
 * what it started: npm's shell, tsx, a browser's renderers), and recorded. A detached child does not get the
 * terminal's Ctrl-C: the teardown, the exit hook or the reaper ends it.
 */
export const spawnRecorded = (command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess => {
  const child = spawn(command, args, { ...options, detached: true });
  recordChild(child);
  return child;
};

const tryKill = (target: number): boolean => {
  try {
    process.kill(target, 'SIGKILL');
    return true;
  } catch {
    return false; // no such process or group, or already gone
  }
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
    const file = join(dir, String(pid));
    let recorded = '';
    try {
      recorded = readFileSync(file, 'utf8');
    } catch {
      continue; // it exited meanwhile
    }
    const now = processStartTime(pid);
    // Reused by another process: ours is gone, and so is its group (Linux reuses no pid that is still a group id).
    const reused = now !== undefined && recorded !== '' && now !== recorded;
    if (!reused) {
      // The group first: its leader may be gone while what it started is not.
      const group = tryKill(-pid);
      const leader = now !== undefined && tryKill(pid);
      if (group || leader) killed.push(pid);
    }
    rmSync(file, { force: true });
  }
  return killed;
};
