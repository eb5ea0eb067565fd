import { spawnRecorded } from './wire/children';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../cli/program';
import { freePort } from './child';
import { eventually } from './harness';
import { json, runCli, startCli } from './cliRun';

// `hookbase serve` (the default command, what `npm start` runs) and `--help` on every command.

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'hookbase-serve-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const leaves = (command: Command): Command[] => (command.commands.length === 0 ? [command] : command.commands.flatMap(leaves));
const pathOf = (command: Command): string => (command.parent ? `${pathOf(command.parent)} ${command.name()}` : command.name());

describe('hookbase serve', () => {
  it('runs the server with today\'s flags and output, as the default command and as `serve --json`; stops on SIGTERM with 0', async () => {
    const [plainPort, jsonPort] = await Promise.all([freePort(), freePort()]);
    const [plainDir, jsonDir] = [tempDir(), tempDir()];
    // The plain one through the package's bin, as `npx hookbase` runs it (the build in dist/, bundled first if the
    // sources changed); the other from the run's bundle (test/build/), as every other CLI test.
    const plain = startCli(['--port', String(plainPort), '--data-dir', plainDir, '--allow-private-networks'], {}, { bin: true });
    const asJson = startCli(['serve', '--port', String(jsonPort), '--data-dir', jsonDir, '--roles', 'api,projections', '--json']);
    let plainOut = '';
    let jsonOut = '';
    plain.stdout?.on('data', (d: Buffer) => (plainOut += d.toString()));
    asJson.stdout?.on('data', (d: Buffer) => (jsonOut += d.toString()));
    const exited = (child: typeof plain) => new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const [plainExit, jsonExit] = [exited(plain), exited(asJson)];
    try {
      await eventually(async () => plainOut.includes('API key (shown once') && jsonOut.includes('\n'), 60_000, 100);
      expect(plainOut).toContain(`Hookbase 0.1.0 listening on http://127.0.0.1:${plainPort}`);
      expect(plainOut).toContain('  roles: api, projections, dispatcher');
      expect(plainOut).toContain(`  store: embedded (data in ${plainDir})`);
      // Only the facts on stdout (the server's log lines go to stderr).
      const facts = JSON.parse(jsonOut) as { url: string; roles: string[]; store: string; dataDir: string; generatedApiKey: string };
      expect(facts).toMatchObject({ url: `http://127.0.0.1:${jsonPort}`, roles: ['api', 'projections'], store: 'embedded', dataDir: jsonDir });
      expect(facts.generatedApiKey).toMatch(/^hb_sk_/);
      expect((await fetch(`${facts.url}/health`)).status).toBe(200);

      // A client next to a server started with its defaults finds the key it saved (HOOKBASE_DATA_DIR, no key given).
      const apps = await runCli(['apps', 'list', '--json', '--url', facts.url], { HOOKBASE_DATA_DIR: jsonDir });
      expect(apps.code, apps.stderr).toBe(0);
      expect(json(apps)).toMatchObject({ data: [] });
    } finally {
      plain.kill('SIGTERM');
      asJson.kill('SIGTERM');
    }
    expect(await plainExit).toBe(0);
    expect(await jsonExit).toBe(0);
    expect(plainOut).toContain('SIGTERM: stopping');
  });

  it('refuses a bad flag or value with exit 2; `npm start -- --help` is serve\'s help', async () => {
    const [unknown, badPort, npmHelp] = await Promise.all([
      runCli(['serve', '--prot', '9000']),
      runCli(['serve', '--port', 'abc', '--data-dir', tempDir()]),
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        // npm, its shell and node: one process group, killed whole if the run ends first.
        const child = spawnRecorded('npm', ['start', '--silent', '--', '--help'], { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('exit', (code) => resolve({ code, stdout }));
      }),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--prot'");
    expect(unknown.stderr).toContain('Usage: hookbase serve [options]');
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('hookbase: HOOKBASE_PORT must be a whole number (got "abc").');
    expect(npmHelp.code).toBe(0);
    expect(npmHelp.stdout).toContain('Usage: hookbase serve [options]');
    expect(npmHelp.stdout).toContain('--data-dir <dir>');
  });
});

describe('hookbase --help', () => {
  it('every command has help with its usage line, and --json (serve included)', () => {
    const commands = leaves(buildProgram()).filter((c) => c.name() !== 'help');
    expect(commands.map(pathOf)).toEqual(
      expect.arrayContaining(
        ['serve', 'keys create', 'keys list', 'keys revoke', 'apps list', 'apps create', 'apps get', 'event-types list', 'event-types create', 'doctor', 'audit key', 'audit verify-bundle', 'sources create', 'dlq retry', 'listen'].map((c) => `hookbase ${c}`),
      ),
    );
    expect(commands).toHaveLength(45);
    for (const command of commands) {
      const help = command.helpInformation();
      expect(help, pathOf(command)).toContain(`Usage: ${pathOf(command)} `);
      expect(help, pathOf(command)).toContain('--json');
      expect(help, pathOf(command)).toContain('-h, --help');
    }
  });

  it('as a child process: exit 0, the usage on stdout', async () => {
    const [top, leaf] = await Promise.all([runCli(['--help']), runCli(['endpoints', 'recover', '--help'])]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^Usage: hookbase \[options\] \[command\]/);
    for (const name of ['serve', 'keys', 'apps', 'event-types', 'endpoints', 'send', 'tail', 'messages', 'audit', 'projections']) expect(top.stdout).toContain(`  ${name}`);
    expect(leaf.code).toBe(0);
    expect(leaf.stdout).toContain('Usage: hookbase endpoints recover [options] <endpointId>');
    expect(leaf.stdout).toContain('--since <time>');
  });
});
