import { appendFileSync } from 'node:fs';
import { childLogFile, recordCredential } from './logCollector';
import { programArgs } from './build/command';
import { spawnRecorded } from './wire/children';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const freePort = async (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

export type ChildHookbase = { process: ChildProcess; url: string; output: () => string; kill: (signal?: NodeJS.Signals) => Promise<void> };

/**
 * The server as a child process; resolves once /health answers 200. It runs the run's build of the server
 * (test/build/bundle.ts: build/bundle.mjs, the same code `npm start` runs), or the sources through tsx with
 * HOOKBASE_TEST_TSX=1.
 */
export const startChildHookbase = async (env: Record<string, string>, port: number): Promise<ChildHookbase> => {
  let output = '';
  const program = programArgs('hookbase');
  const child = spawnRecorded(process.execPath, program, {
    cwd: ROOT,
    env: { ...process.env, HOOKBASE_PORT: String(port), HOOKBASE_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Its log lines join the run's, for the scan for credentials (test/logCollector.ts).
  const logFile = childLogFile(child.pid ?? 0);
  if (env.HOOKBASE_API_KEY) recordCredential(env.HOOKBASE_API_KEY);
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
    appendFileSync(logFile, d);
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
    appendFileSync(logFile, d);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hookbase exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`hookbase did not become healthy:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: child,
    url,
    output: () => output,
    kill: (signal = 'SIGKILL') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
};
