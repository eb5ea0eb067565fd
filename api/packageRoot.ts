import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of Hookbase's own package.json, found by walking up from the module that asks. A file-relative
 * path (`../package.json`) would hold only where the sources sit: the tests run a bundle of them from another
 * directory (test/build/bundle.ts), where the bundled module is one file deep in `.test-build/<run>/`.
 */
export const packageRoot = (moduleUrl: string): string => {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'hookbase') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json of hookbase above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
};
