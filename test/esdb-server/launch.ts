import { fileURLToPath } from 'node:url';
import { programArgs } from '../build/command';
import { spawnRecorded } from '../wire/children';

/** The EventStoreDB test server in a child process (test/esdb-server/main.ts), recorded for the run's teardown. */
export type EsdbTestServerProcess = Readonly<{ url: string; pid: number; stop: () => Promise<void> }>;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const startEsdbTestServerProcess = async (options: Readonly<{ maxAppendSize?: number }> = {}): Promise<EsdbTestServerProcess> => {
  // The run's bundle of main.ts (test/build/command.ts), or main.ts through tsx with HOOKBASE_TEST_TSX=1 or before the bundle is built.
  const args = [...programArgs('esdbServer'), ...(options.maxAppendSize === undefined ? [] : [`--max-append-size=${options.maxAppendSize}`])];
  // Its stdin is a pipe from this process: when this process dies, the server sees it end and stops (main.ts).
  const child = spawnRecorded(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the EventStoreDB test server did not start within 20 s:\n${output}`)), 20_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      const match = /ESDB_TEST_SERVER_URL=(\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the EventStoreDB test server exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
};
