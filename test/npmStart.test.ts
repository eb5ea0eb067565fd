import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './child';
import { eventually } from './harness';
import { spawnRecorded } from './wire/children';

/**
 * What `npm start` runs (build/bundle.mjs, bin/hookbase.mjs): the server's build in dist/, plain JavaScript on every
 * thread, never a build older than the sources.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROBE_PRELOAD = fileURLToPath(new URL('./moduleProbe/preload.mjs', import.meta.url));

const dirs: string[] = [];
const tempDir = (name: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `hookbase-${name}-`));
  dirs.push(dir);
  return dir;
};
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Every process below `pid` (npm, its shell, node), from /proc. */
const descendants = (pid: number): number[] => {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (parent: number): void => {
    for (const [child, ppid] of parentOf) {
      if (ppid !== parent) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
};
const commandLine = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

type Run = { code: number | null; stdout: string; stderr: string };
const run = (command: string, args: readonly string[], cwd: string): Promise<Run> =>
  new Promise((resolve) => {
    const child = spawnRecorded(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

describe('npm start', () => {
  it('serves /health on a fresh data dir from the build in dist/, with no TypeScript loaded on any thread', async () => {
    const dir = tempDir('npm-start');
    const probe = join(dir, 'modules.txt');
    const port = await freePort();
    const npm = spawnRecorded('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: {
        ...process.env,
        HOOKBASE_DATA_DIR: join(dir, 'data'),
        HOOKBASE_PORT: String(port),
        HOOKBASE_HOST: '127.0.0.1',
        HOOKBASE_MODULE_PROBE: probe,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${PROBE_PRELOAD}`.trim(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(npm);
    let output = '';
    npm.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    try {
      await eventually(async () => npm.exitCode === null && (await fetch(`http://127.0.0.1:${port}/health`)).status === 200, 90_000, 200).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${output}`);
      });
      expect(output).toContain(`Hookbase 0.1.0 listening on http://127.0.0.1:${port}`);

      // What each thread loaded: the build dist/hookbase points at, its worker's entry on the three worker threads
      // (projections, dispatcher, WAL checkpoints), and nothing of TypeScript, in any process npm started.
      const modules = readFileSync(probe, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => ({ thread: line.slice(0, line.indexOf(' ')), url: line.slice(line.indexOf(' ') + 1) }));
      const typescript = modules.filter((m) => /\.[cm]?tsx?$/.test(m.url) || m.url.includes('/node_modules/tsx/')).map((m) => `${m.thread} ${m.url}`);
      expect(typescript.slice(0, 5), `${typescript.length} modules of TypeScript or tsx`).toEqual([]);
      const build = pathToFileURL(realpathSync(join(ROOT, 'dist', 'hookbase'))).href;
      expect(modules).toContainEqual({ thread: 'main', url: `${build}/hookbase.js` });
      expect(new Set(modules.filter((m) => m.url === `${build}/backgroundWorker.js`).map((m) => m.thread)).size).toBe(3);

      // The server: `node --max-semi-space-size=8 bin/hookbase.mjs serve` (the main thread's young generation, as the
      // workers' resourceLimits set theirs), without a loader among node's flags.
      const server = descendants(npm.pid ?? 0).find((pid) => commandLine(pid).some((arg) => arg.endsWith('bin/hookbase.mjs')));
      expect(server, output).toBeDefined();
      expect(commandLine(server ?? 0).slice(1)).toEqual(['--max-semi-space-size=8', 'bin/hookbase.mjs', 'serve']);
    } finally {
      if (npm.pid && npm.exitCode === null) process.kill(-npm.pid, 'SIGTERM');
    }
    await exited;
  }, 120_000);

  it('bundles the sources again when one changed, before the next start runs, and only then', async () => {
    // A copy of the server's sources (the repository's own dist/ is left alone), with the repository's packages.
    const copy = tempDir('fresh-build');
    for (const dir of ['api', 'bin', 'build', 'cli', 'dispatcher', 'domain', 'inbound', 'observability', 'projections', 'store']) {
      cpSync(join(ROOT, dir), join(copy, dir), { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
    }
    for (const file of ['package.json', 'tsconfig.json', 'tsconfig.base.json', 'sdk/package.json', 'sdk/tsconfig.json']) cpSync(join(ROOT, file), join(copy, file));
    cpSync(join(ROOT, 'sdk', 'src'), join(copy, 'sdk', 'src'), { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(copy, 'node_modules'));
    const help = (): Promise<Run> => run(process.execPath, ['bin/hookbase.mjs', 'serve', '--help'], copy);
    const builds = (): string[] => (existsSync(join(copy, 'dist')) ? readdirSync(join(copy, 'dist')).filter((name) => /^hookbase-[0-9a-f]{16}$/.test(name)) : []);

    const first = await help();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("what `npm start` runs");
    expect(first.stderr).toMatch(/^hookbase: no build of these sources in dist\/ yet; bundled them into dist\/hookbase-[0-9a-f]{16} in [\d.]+ s\n$/);
    expect(builds()).toHaveLength(1);

    // Nothing changed: the same build, not bundled again.
    const again = await help();
    expect(again.stdout).toBe(first.stdout);
    expect(again.stderr).toBe('');
    expect(builds()).toHaveLength(1);

    // A source edited: the next start runs the edit. Two starting at once both do; they share one new build.
    const serveSource = join(copy, 'cli', 'commands', 'serve.ts');
    writeFileSync(serveSource, readFileSync(serveSource, 'utf8').replace("what `npm start` runs", 'what `npm start` runs, edited'));
    const [edited, alongside] = await Promise.all([help(), help()]);
    for (const result of [edited, alongside]) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('what `npm start` runs, edited');
    }
    expect(builds()).toHaveLength(2);
    const current = realpathSync(join(copy, 'dist', 'hookbase'));
    // Nothing half-written left behind (builds are written to a temporary directory, then renamed).
    expect(readdirSync(join(copy, 'dist')).filter((name) => name.startsWith('.'))).toEqual([]);
    expect((JSON.parse(readFileSync(join(current, 'manifest.json'), 'utf8')) as { inputs: Record<string, string> }).inputs).toHaveProperty(['cli/commands/serve.ts']);

    // Edited back: the first build matches again and is used as it is.
    writeFileSync(serveSource, readFileSync(join(ROOT, 'cli', 'commands', 'serve.ts'), 'utf8'));
    const back = await help();
    expect(back.stdout).toBe(first.stdout);
    expect(back.stderr).toBe('');
    expect(builds()).toHaveLength(2);
  }, 120_000);
});
