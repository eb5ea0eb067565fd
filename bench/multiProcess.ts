/**
 * Figure 7 of `npm run bench`: the multi-process layout on one embedded store — two API processes (the first also
 * runs the projections) and two dispatcher processes, each the server's build that `npm start` runs (build/bundle.mjs,
 * `dist/hookbase/hookbase.js`, plain `node`), on one data dir. The load generator splits its clients and messages between the two APIs; the figure is end-to-end
 * deliveries per second against bare undici POSTs to the same receiver, rounds alternating, as figure 2, and it is
 * compared with figure 2's one-process ratio (target: within 20 % of it; both use the same two cores).
 * Bounded: the four processes start in parallel (30 s at most), each round has the e2e timeout.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { packageRoot } from '../api/packageRoot';
import { EVENT_TYPE } from './hookbase';
import type { CommandName, Commands, Target } from './protocol';

// The package's root: bundled (npm run bench), this module is a chunk in dist/, not in bench/.
const ROOT = packageRoot(import.meta.url);

/**
 * The server's build as `npm start` runs it, bundled first if the sources changed (`node build/bundle.mjs hookbase`
 * prints its directory): once, before the four processes start, rather than four checks at once.
 */
const serverProgram = (): string => join(execFileSync(process.execPath, [join(ROOT, 'build', 'bundle.mjs'), 'hookbase'], { cwd: ROOT, encoding: 'utf8' }).trim(), 'hookbase.js');

export type MultiProcessOptions = Readonly<{
  call: <K extends CommandName>(cmd: K, args: Commands[K]['args']) => Promise<Commands[K]['result']>;
  receiverUrl: string;
  sendBody: string;
  clients: number;
  rounds: number;
  count: number;
  timeoutMs: number;
  /** Where the processes' output goes (the bench's server log). */
  logFile: string;
  /** One round of bare POSTs to the receiver, deliveries per second (figure 2's baseline). */
  bareRound: () => Promise<number>;
  log: (line: string) => void;
}>;

export type MultiProcessResult = Readonly<{ rates: number[]; bareRates: number[]; failed: string | null; startMs: number }>;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

type Child = Readonly<{ process: ChildProcess; url: string }>;

/** Starts one process (recorded in `started` at once, so that a failure elsewhere still stops it). */
const startChild = async (program: string, env: Record<string, string>, roles: string, logFd: number, started: ChildProcess[]): Promise<Child> => {
  const port = await freePort();
  const child = spawn(process.execPath, [program], {
    cwd: ROOT,
    env: { ...process.env, ...env, HOOKBASE_ROLES: roles, HOOKBASE_PORT: String(port), HOOKBASE_HOST: '127.0.0.1' },
    stdio: ['ignore', logFd, logFd],
  });
  started.push(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`a Hookbase process (${roles}) exited with ${child.exitCode}; see the server log`);
    try {
      const res = await fetch(`${url}/health`);
      await res.text();
      if (res.status === 200) return { process: child, url };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`a Hookbase process (${roles}) was not healthy after 30 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
};

const stopChild = (c: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    c.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    c.kill('SIGTERM');
  });

export const measureMultiProcess = async (o: MultiProcessOptions): Promise<MultiProcessResult> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-bench-multi-'));
  const apiKey = `bench_${randomBytes(16).toString('hex')}`;
  mkdirSync(dirname(o.logFile), { recursive: true });
  const logFd = openSync(o.logFile, 'a');
  const env = {
    HOOKBASE_DATA_DIR: dataDir,
    HOOKBASE_API_KEY: apiKey,
    HOOKBASE_ALLOW_PRIVATE_NETWORKS: 'true',
    HOOKBASE_RATE_LIMIT_API: '1000000000',
    HOOKBASE_RATE_LIMIT_SENDS: '1000000000',
  };
  const children: Child[] = [];
  const started: ChildProcess[] = [];
  try {
    const program = serverProgram();
    const t0 = performance.now();
    // The first API creates the data dir's files and registers the key; the others join it.
    children.push(await startChild(program, env, 'api,projections', logFd, started));
    children.push(...(await Promise.all(['api', 'dispatcher', 'dispatcher'].map((roles) => startChild(program, env, roles, logFd, started)))));
    const startMs = performance.now() - t0;
    const [first, second] = children;
    if (!first || !second) throw new Error('the API processes did not start');
    const call = async (path: string, body: unknown): Promise<{ id: string }> => {
      const res = await fetch(`${first.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`POST ${path} → ${res.status}: ${text.slice(0, 200)}`);
      return JSON.parse(text) as { id: string };
    };
    await call('/v1/event-types', { name: EVENT_TYPE });
    const app = await call('/v1/applications', { name: 'bench multi-process' });
    await call(`/v1/applications/${app.id}/endpoints`, { url: o.receiverUrl });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
    const target = (url: string): Target => ({ origin: url, path: `/v1/applications/${app.id}/messages`, headers, body: o.sendBody });
    const args = { target: target(first.url), also: [target(second.url)], concurrency: o.clients, timeoutMs: o.timeoutMs };
    o.log(`7. multi-process: 2 API + 2 dispatcher processes up in ${(startMs / 1000).toFixed(1)} s; warm-up, then ${o.rounds} round(s) of ${o.count} messages split between the two APIs`);
    await o.call('e2e', { ...args, count: Math.min(3_000, o.count * 3) });
    const rates: number[] = [];
    const bareRates: number[] = [await o.bareRound()];
    let failed: string | null = null;
    for (let r = 0; r < o.rounds; r++) {
      const round = await o.call('e2e', { ...args, count: o.count });
      if (round.deliveredMs === null || round.failed > 0) failed ??= `${round.distinct} of ${o.count} delivered, ${round.failed} sends failed (${round.firstError ?? 'timeout'})`;
      rates.push(round.deliveredMs === null ? (round.distinct * 1000) / o.timeoutMs : (o.count * 1000) / round.deliveredMs);
      bareRates.push(await o.bareRound());
    }
    return { rates, bareRates, failed, startMs };
  } finally {
    await Promise.all(started.map(stopChild));
    closeSync(logFd);
    rmSync(dataDir, { recursive: true, force: true });
  }
};
