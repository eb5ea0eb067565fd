// @ts-check
/* global process */
/**
 * `node build/run.mjs <bundle>/<entry> [args...]`: runs one program of a build (build/bundle.mjs: `hookbase/hookbase`,
 * `bench/memory`, …) in this process, after bundling the sources again if they changed since the last build. This is
 * how `npm start` (through bin/hookbase.mjs) and the benchmarks run Hookbase: plain JavaScript, no TypeScript loader.
 * Node's own flags go before it (`node --require ./bench/cpuThreadTag.cjs build/run.mjs bench/cpu`): worker threads
 * inherit them.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLES, freshBundle, isMainModule } from './bundle.mjs';

/**
 * Imports `<entry>.js` of a fresh build of `name`, the program seeing `args` as `node <file> <args>` shows them.
 * @param {string} name
 * @param {string} entry
 * @param {readonly string[]} args
 */
export const runBundled = async (name, entry, args) => {
  if (!Object.hasOwn(/** @type {Record<string, Record<string, string>>} */ (BUNDLES)[name] ?? {}, entry)) {
    throw new Error(`build/run.mjs: no program "${name}/${entry}" (see BUNDLES in build/bundle.mjs)`);
  }
  const file = join(await freshBundle(name), `${entry}.js`);
  process.argv = [process.argv[0] ?? process.execPath, file, ...args];
  await import(pathToFileURL(file).href);
};

if (isMainModule(import.meta.url)) {
  const [program = '', ...args] = process.argv.slice(2);
  const [name = '', entry = ''] = program.split('/');
  await runBundled(name, entry, args);
}
