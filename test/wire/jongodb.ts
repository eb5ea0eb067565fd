import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePortOn } from './freePort';
import { recordChild } from './children';

/**
 * jongodb: a MongoDB wire-protocol server shipped as a native binary inside an npm package
 * (`@jongodb/memory-server-bin-linux-x64-gnu`). Started as a single-node replica set (transactions need one) on a
 * free loopback port; the driver polls it (`serverMonitoringMode=poll`: it does not stream hello answers).
 */
export type WireMongo = Readonly<{
  /** `mongodb://127.0.0.1:PORT/` with the replica set and monitoring options: put a database name after the slash. */
  urlFor: (database: string) => string;
  pid: number;
  stop: () => Promise<void>;
}>;

const binary = (): string => {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@jongodb/memory-server-bin-linux-x64-gnu/package.json');
  return join(dirname(pkg), 'bin', 'jongodb');
};

export const startJongodb = async (): Promise<WireMongo> => {
  const port = await freePortOn('127.0.0.1');
  const child = spawn(binary(), ['--host=127.0.0.1', `--port=${port}`, '--topology-profile=singleNodeReplicaSet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  recordChild(child);
  let output = '';
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`jongodb did not start within 20 s:\n${output}`)), 20_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      // It prints the URI it serves once it listens, e.g. JONGODB_URI=mongodb://127.0.0.1:PORT/test?replicaSet=jongodb-rs0
      const match = /JONGODB_URI=(\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`jongodb exited with ${code}:\n${output}`));
    });
  });
  const replicaSet = new URL(ready).searchParams.get('replicaSet') ?? 'jongodb-rs0';
  return {
    pid: child.pid ?? 0,
    urlFor: (database) => `mongodb://127.0.0.1:${port}/${encodeURIComponent(database)}?replicaSet=${replicaSet}&serverMonitoringMode=poll`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
};
