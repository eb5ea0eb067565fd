import { join } from 'node:path';
import { bundle, ROOT, SERVER_ENTRIES } from '../../build/bundle.mjs';

/**
 * The tests' build of the server: the product's build (build/bundle.mjs, what `npm start` runs), into a directory
 * of the run's own under `.test-build/` (git-ignored, inside the repository where `node_modules` resolves), plus the
 * EventStoreDB test server as a process. Bundled once per run (test/build/globalSetup.ts), so that no child a test
 * starts boots TypeScript through tsx's loader (about 0.35 s of a CLI call's 0.6 s; a second or two for a server
 * with its worker thread).
 */
export { ROOT };
export const BUILD_PARENT = join(ROOT, '.test-build');

/** The bundled programs, by what a test starts (each `<name>.js` in the build directory). */
export const BUNDLE_ENTRIES = {
  /** `hookbase` (bin/hookbase.mjs and `npm start` run this, from dist/) and its worker thread. */
  ...SERVER_ENTRIES,
  /** The EventStoreDB test server as a process (test/esdb-server/launch.ts). */
  esdbServer: 'test/esdb-server/main.ts',
} as const;
export type BundleEntry = Exclude<keyof typeof BUNDLE_ENTRIES, 'backgroundWorker'>;

/** Bundles the entries into `outdir` (an empty directory inside the repository). */
export const bundleForTests = async (outdir: string): Promise<void> => {
  await bundle(BUNDLE_ENTRIES, outdir);
};
