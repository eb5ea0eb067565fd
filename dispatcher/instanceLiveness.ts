import { hostname } from 'node:os';

/**
 * A dispatcher instance id says where and when its process started: `${host}-${pid}-${processStart}-${random}`.
 * With it a dispatcher can tell that the holder of a lease is gone without waiting for the lease to expire (60 s):
 * after a crash and restart on the same host, the deliveries the dead process had claimed run at once.
 */

/** When this process started, in whole seconds (the same in every thread of the process). */
const processStartS = (): number => Math.floor(Date.now() / 1000 - process.uptime());

export const newInstanceId = (random: string): string => `${hostname()}-${process.pid}-${processStartS()}-${random}`;

const INSTANCE = /^(.+)-(\d+)-(\d+)-[0-9a-f]+$/;

const pidRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Whether the instance `owner` is known to be gone: it ran on this host, and either its process no longer runs, or
 * it is an earlier process with this process's pid (a restarted container's process is pid 1 again; its start
 * time differs). Another host's instance, a running pid (even if reused) or an id of another shape is not known to
 * be gone: its leases expire as before.
 */
export const instanceGone = (owner: string, isRunning: (pid: number) => boolean = pidRunning): boolean => {
  const match = INSTANCE.exec(owner);
  if (match === null || match[1] !== hostname()) return false;
  const pid = Number(match[2]);
  const startedS = Number(match[3]);
  // Within a second of our own start it may be this process (another dispatcher of it): not gone.
  if (pid === process.pid) return startedS < processStartS() - 1;
  return !isRunning(pid);
};
