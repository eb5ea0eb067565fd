import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { programArgs } from './build/command';
import { spawnRecorded } from './wire/children';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The package's bin, as `npx hookbase` runs it. */
export const HOOKBASE_BIN = fileURLToPath(new URL('../bin/hookbase.mjs', import.meta.url));

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** Runs `hookbase <args>` as a child process and waits for it to exit (killed after timeoutMs). */
export const runCli = (args: readonly string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = startCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hookbase ${args.join(' ')} did not exit in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // 'exit' may come before the pipes are drained.
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });

/**
 * `hookbase <args>` started, not awaited (serve, tail). Without a TTY, as a script runs it; NO_COLOR unset.
 * The run's bundle of the CLI (test/build/bundle.ts) runs it, or the sources through tsx with HOOKBASE_TEST_TSX=1;
 * `bin`: the package's bin (bin/hookbase.mjs: the build in dist/, bundled first if the sources changed), as
 * `npx hookbase` runs it.
 */
export const startCli = (args: readonly string[], env: Record<string, string> = {}, options: Readonly<{ bin?: boolean }> = {}): ChildProcess => {
  const { HOOKBASE_URL: _url, HOOKBASE_API_KEY: _key, HOOKBASE_DATA_DIR: _dir, ...rest } = process.env;
  const program = options.bin ? [HOOKBASE_BIN] : programArgs('hookbase');
  return spawnRecorded(process.execPath, [...program, ...args], { cwd: ROOT, env: { ...rest, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
};

/** The one JSON document a `--json` command printed. */
export const json = <T = Record<string, unknown>>(result: CliResult): T => {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
};

/** JSON Lines: each non-empty line parsed. */
export const jsonLines = <T = Record<string, unknown>>(text: string): T[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
