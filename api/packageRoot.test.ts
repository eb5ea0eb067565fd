import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from './packageRoot';

const REPO = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const scratch = mkdtempSync(join(tmpdir(), 'hookbase-package-root-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('packageRoot', () => {
  it('finds the repository from a source module and from a bundle two levels down (.test-build/run-*/)', () => {
    expect(packageRoot(import.meta.url)).toBe(REPO);
    expect(packageRoot(pathToFileURL(join(REPO, '.test-build', 'run-x', 'chunk-ABC.js')).href)).toBe(REPO);
  });

  it("passes over another package's package.json (the portal's, the SDK's) on the way up", () => {
    expect(packageRoot(pathToFileURL(join(REPO, 'portal', 'dist', 'index.js')).href)).toBe(REPO);
  });

  it("names the module when no hookbase package.json is above it", () => {
    mkdirSync(join(scratch, 'other', 'lib'), { recursive: true });
    writeFileSync(join(scratch, 'other', 'package.json'), JSON.stringify({ name: 'other' }));
    const module = join(scratch, 'other', 'lib', 'x.js');
    expect(() => packageRoot(pathToFileURL(module).href)).toThrow(`no package.json of hookbase above ${module}`);
  });
});
