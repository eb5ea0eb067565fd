// The run's reaper (see children.ts): `reaper.ts <children dir> <run pid>`. Checks twice a second whether the run's
// main process still exists; once it is gone, kills every child the run recorded and removes the directory. Exits
// without killing anything when the directory is gone (the teardown did its work).
import { existsSync, rmSync } from 'node:fs';
import { killRecordedChildren } from './children';

const [dir, runPidText] = process.argv.slice(2);
const runPid = Number(runPidText);
if (!dir || !Number.isInteger(runPid) || runPid <= 0) {
  process.stderr.write('usage: reaper.ts <children dir> <run pid>\n');
  process.exit(2);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const timer = setInterval(() => {
  if (!existsSync(dir)) {
    clearInterval(timer);
    return;
  }
  if (alive(runPid)) return;
  clearInterval(timer);
  const killed = killRecordedChildren(dir);
  rmSync(dir, { recursive: true, force: true });
  if (killed.length > 0) process.stderr.write(`hookbase test reaper: the run ${runPid} ended without its teardown; killed ${killed.join(', ')}\n`);
}, 500);
