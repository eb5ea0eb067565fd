import { spawnRecorded } from '../test/wire/children';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A process that loads the data dir's master key and prints it (base64). */
const keyOfProcess = (dataDir: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const script = `import('./cli/masterKey.ts').then((m) => process.stdout.write(m.loadMasterKey({ masterKey: null, dataDir: ${JSON.stringify(dataDir)} }).toString('base64')))`;
    const child = spawnRecorded(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });

describe('the master key', () => {
  it('is generated once on a shared data dir: processes starting at once all end with the same key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookbase-key-'));
    dirs.push(dataDir);
    const keys = await Promise.all(Array.from({ length: 6 }, () => keyOfProcess(dataDir)));
    expect(keys[0]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(new Set(keys).size).toBe(1);
    // Nothing left beside it.
    expect(readdirSync(dataDir)).toEqual(['master.key']);
  }, 60_000);

  it('must come from configuration when processes share no data dir (HOOKBASE_STORE=esdb), saying how to make one', () => {
    expect(() => loadConfig({ HOOKBASE_STORE: 'esdb' })).toThrow(ConfigError);
    expect(() => loadConfig({ HOOKBASE_STORE: 'esdb' })).toThrow(/HOOKBASE_MASTER_KEY.*openssl rand -base64 32/s);
    expect(loadConfig({ HOOKBASE_STORE: 'esdb', HOOKBASE_ESDB_URL: 'esdb://127.0.0.1:2113?tls=false', HOOKBASE_MONGO_URL: 'mongodb://127.0.0.1/hookbase', HOOKBASE_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') }).masterKey).not.toBeNull();
    expect(loadConfig({}).masterKey).toBeNull();
  });
});
