import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The tests' build of the server: every child a test starts would otherwise boot TypeScript through tsx's loader
 * (about 0.35 s of a CLI call's 0.6 s; a second or two for a server with its worker thread). esbuild bundles the
 * entries once per run (test/build/globalSetup.ts) into plain JavaScript that `node` runs as it is.
 *
 * npm packages stay external (better-sqlite3 is native; the rest load as they do from the sources), so the output
 * directory must sit inside the repository, where `node_modules` resolves: `.test-build/` (git-ignored).
 * The worker thread's entry is named `backgroundWorker`: cli/backgroundThread.ts looks for `backgroundWorker.js`
 * beside itself when it runs bundled. Shared code goes to chunks in the same directory (`splitting`).
 */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BUILD_PARENT = join(ROOT, '.test-build');

/** The bundled programs, by what a test starts (each `<name>.js` in the build directory). */
export const BUNDLE_ENTRIES = {
  /** `hookbase` (bin/hookbase.mjs and `npm start` run this through tsx). */
  hookbase: 'cli/main.ts',
  /** The embedded deployment's worker thread (cli/backgroundThread.ts). */
  backgroundWorker: 'cli/backgroundWorker.ts',
  /** The EventStoreDB test server as a process (test/esdb-server/launch.ts). */
  esdbServer: 'test/esdb-server/main.ts',
} as const;
export type BundleEntry = Exclude<keyof typeof BUNDLE_ENTRIES, 'backgroundWorker'>;

/** Bundles the entries into `outdir` (an empty directory inside the repository). */
export const bundleForTests = async (outdir: string): Promise<void> => {
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(BUNDLE_ENTRIES).map(([name, file]) => [name, join(ROOT, file)])),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    splitting: true,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    // Class and function names as in the sources: errors and logs name them.
    keepNames: true,
    logLevel: 'warning',
  });
};
