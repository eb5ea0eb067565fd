// @ts-check
/* global process, performance, URL */
/**
 * Hookbase's build: esbuild bundles the TypeScript sources into plain JavaScript that `node` runs as it is, so no
 * process (nor any of its worker threads) boots a TypeScript loader. tsx's module hooks run on a thread of their own
 * with its own V8 isolate, per isolate that registers them: a server run through tsx held 301 MiB and 18 threads
 * idle, its bundle 171 MiB and 14 (docs/production.md "How Hookbase runs"; docs/performance.md "Bundled, not
 * through tsx").
 *
 * Plain JavaScript itself (checked by tsc through JSDoc), since it must run before anything is built, without tsx.
 *
 * - `bundle(entries, outdir)`: one build; the tests' global setup (test/build/) uses it for its own directory.
 * - `freshBundle(name)`: the product's builds, in `dist/<name>-<key>/` (git-ignored), `<key>` a hash of every input
 *   esbuild read (and of this recipe), `dist/<name>` a symlink to the newest. A build directory never changes once
 *   written, so a running process (its worker thread restarting, a chunk imported late) always finds its own code,
 *   and two processes starting at once may both build: the second finds the first's directory and keeps it.
 *   Before it is used, a build is checked against the sources (each input's content hashed, about 50 ms): a stale
 *   one never runs, and a fresh one is not rebuilt.
 *
 * npm packages stay external (better-sqlite3 is native; the rest load as they do from the sources), so the output
 * lives inside the repository, where `node_modules` resolves. The worker thread's entry is `backgroundWorker`:
 * cli/backgroundThread.ts loads `backgroundWorker.js` beside itself when it runs bundled. Code shared by entries goes
 * to chunks (`splitting`); a role's modules imported with `import()` stay in chunks of their own, loaded only by the
 * threads that run it.
 *
 *   node build/bundle.mjs [--force] <name>...   builds what is stale (all of BUNDLES by default), prints each dir
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the product's builds go (git-ignored, as every `dist/`). */
export const DIST = join(ROOT, 'dist');

/** The programs of the server: `hookbase` (bin/hookbase.mjs, `npm start`, the Docker image) and its worker thread. */
export const SERVER_ENTRIES = Object.freeze({ hookbase: 'cli/main.ts', backgroundWorker: 'cli/backgroundWorker.ts' });

/**
 * The builds `freshBundle` knows, by name: each entry becomes `<entry>.js` in the build's directory.
 * `bench`: the benchmarks that run Hookbase in their process (npm run bench, bench:cpu, bench:memory, soak), the
 * load generator they fork (bench/loadgenClient.ts), and the server's worker thread.
 */
export const BUNDLES = Object.freeze({
  hookbase: SERVER_ENTRIES,
  bench: Object.freeze({
    run: 'bench/run.ts',
    cpu: 'bench/cpu.ts',
    memory: 'bench/memory.ts',
    soak: 'bench/soak.ts',
    loadgen: 'bench/loadgen.ts',
    backgroundWorker: SERVER_ENTRIES.backgroundWorker,
  }),
});

/**
 * Files besides the sources that change what esbuild writes: each source's closest `package.json` (its module
 * type) and `tsconfig.json` (how TypeScript compiles), found in its directory and those above it up to the
 * repository's, and the base the tsconfig files extend.
 */
const CONFIG_FILES = ['package.json', 'tsconfig.json'];
const CONFIG_BASE = 'tsconfig.base.json';
/** Builds of one name kept in dist/ (the newest, by last use): older ones are deleted after a build. */
const KEEP_BUILDS = 3;
const MANIFEST = 'manifest.json';

/** @param {string | Uint8Array} data */
const sha256 = (data) => createHash('sha256').update(data).digest('hex');
/** A file's hash, or `absent`. @param {string} path */
const hashFile = (path) => {
  try {
    return sha256(readFileSync(path));
  } catch {
    return 'absent';
  }
};
/** A path relative to ROOT, with `/` on every platform (the manifest's keys). */
/** @param {string} path */
const fromRoot = (path) => relative(ROOT, path).split(sep).join('/');

/** esbuild's loaders (its defaults) of the files the hashing plugin reads itself. @type {Readonly<Record<string, import('esbuild').Loader>>} */
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx', '.json': 'json' };

/** @typedef {Readonly<Record<string, string>>} Entries */
/** @typedef {{ key: string, entries: Entries, recipe: string, inputs: Record<string, string> }} Manifest */

/** What the output depends on besides its inputs: this file, esbuild's version, the entries. @param {Entries} entries */
const recipeOf = (entries) => {
  // esbuild's manifest, not esbuild itself: checking a build loads nothing of it.
  const esbuild = hashFile(createRequire(import.meta.url).resolve('esbuild/package.json'));
  return sha256(JSON.stringify({ builder: hashFile(fileURLToPath(import.meta.url)), esbuild, entries }));
};

/**
 * Bundles `entries` (name → source path from the repository root) into `outdir` (a directory inside the
 * repository). Returns every input esbuild read, hashed as it read it (a file saved during the build is not
 * mistaken for what was built), with the config files.
 * @param {Entries} entries
 * @param {string} outdir
 * @returns {Promise<Record<string, string>>}
 */
export const bundle = async (entries, outdir) => {
  const esbuild = await import('esbuild');
  /** @type {Record<string, string>} */
  const inputs = {};
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, join(ROOT, file)])),
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
    plugins: [
      {
        name: 'hash-inputs',
        setup(build) {
          build.onLoad({ filter: /.*/, namespace: 'file' }, ({ path }) => {
            const contents = readFileSync(path);
            inputs[fromRoot(path)] = sha256(contents);
            const loader = LOADERS[extname(path)];
            // Another kind of file (none today): esbuild loads it as it would, and its hash is of what was read here.
            return loader ? { contents, loader } : undefined;
          });
        },
      },
    ],
  });
  /** @type {Set<string>} */
  const dirs = new Set();
  for (const file of Object.keys(inputs)) {
    for (let dir = dirname(join(ROOT, file)); !dirs.has(dir) && (dir + sep).startsWith(ROOT); dir = dirname(dir)) dirs.add(dir);
  }
  for (const dir of dirs) {
    for (const name of CONFIG_FILES) if (existsSync(join(dir, name))) inputs[fromRoot(join(dir, name))] = hashFile(join(dir, name));
  }
  inputs[CONFIG_BASE] = hashFile(join(ROOT, CONFIG_BASE));
  return inputs;
};

/** @param {string} dir @returns {Manifest | null} */
const readManifest = (dir) => {
  try {
    return /** @type {Manifest} */ (JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')));
  } catch {
    return null;
  }
};

/** The builds of `name` in `parent`, newest use first. @param {string} parent @param {string} name */
const buildsOf = (parent, name) => {
  /** @type {{ dir: string, used: number }[]} */
  const builds = [];
  for (const entry of existsSync(parent) ? readdirSync(parent, { withFileTypes: true }) : []) {
    if (!entry.isDirectory() || !entry.name.startsWith(`${name}-`) || !/^[0-9a-f]{16}$/.test(entry.name.slice(name.length + 1))) continue;
    const dir = join(parent, entry.name);
    try {
      builds.push({ dir, used: statSync(dir).mtimeMs });
    } catch {
      // deleted meanwhile by another process's clean-up
    }
  }
  return builds.sort((a, b) => b.used - a.used);
};

/** Points `<parent>/<name>` at `dir` in one step (a new link renamed over the old one). @param {string} parent @param {string} name @param {string} dir */
const pointAt = (parent, name, dir) => {
  const link = join(parent, `.${name}-link-${randomBytes(6).toString('hex')}`);
  symlinkSync(basename(dir), link);
  renameSync(link, join(parent, name));
};

/**
 * The build of `name` that matches the sources now, if dist/ holds one: the one `dist/<name>` points at, else an
 * older one kept (a branch switched back). Every input is hashed and compared; a missing one is a mismatch.
 * @param {string} name
 * @param {Readonly<{ parent?: string, entries?: Entries }>} [options]
 * @returns {Promise<string | null>}
 */
export const currentBundle = async (name, options = {}) => {
  const parent = options.parent ?? DIST;
  const entries = options.entries ?? bundleEntries(name);
  const recipe = recipeOf(entries);
  /** @type {Map<string, string>} */
  const hashes = new Map();
  const hashed = (/** @type {string} */ file) => {
    let hash = hashes.get(file);
    if (hash === undefined) hashes.set(file, (hash = hashFile(join(ROOT, file))));
    return hash;
  };
  let linked = null;
  try {
    linked = realpathSync(join(parent, name));
  } catch {
    // no build yet
  }
  const candidates = [...(linked ? [linked] : []), ...buildsOf(parent, name).map((b) => b.dir).filter((dir) => dir !== linked)];
  for (const dir of candidates) {
    const manifest = readManifest(dir);
    if (!manifest || manifest.recipe !== recipe) continue;
    if (!Object.entries(manifest.inputs).every(([file, hash]) => hashed(file) === hash)) continue;
    try {
      if (dir !== linked) pointAt(parent, name, dir);
      // Its last use, for the clean-up after the next build.
      const now = new Date();
      utimesSync(dir, now, now);
    } catch {
      // Best effort: a read-only tree (an image) runs its build all the same.
    }
    return dir;
  }
  return null;
};

/** @param {string} name @returns {Entries} */
const bundleEntries = (name) => {
  const entries = /** @type {Record<string, Entries>} */ (BUNDLES)[name];
  if (!entries) throw new Error(`no bundle named "${name}" (build/bundle.mjs knows ${Object.keys(BUNDLES).join(', ')})`);
  return entries;
};

/**
 * Builds `name` into `dist/<name>-<key>/` and points `dist/<name>` at it; returns the directory. Written to a
 * temporary directory first, then renamed: a build directory is complete or absent. Deletes the older builds of
 * the name past KEEP_BUILDS.
 * @param {string} name
 * @param {Readonly<{ parent?: string, entries?: Entries }>} [options]
 * @returns {Promise<string>}
 */
export const buildBundle = async (name, options = {}) => {
  const parent = options.parent ?? DIST;
  const entries = options.entries ?? bundleEntries(name);
  const recipe = recipeOf(entries);
  mkdirSync(parent, { recursive: true });
  const temporary = join(parent, `.${name}-building-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const inputs = await bundle(entries, temporary);
    const sorted = Object.fromEntries(Object.entries(inputs).sort(([a], [b]) => a.localeCompare(b)));
    const key = sha256(JSON.stringify({ recipe, inputs: sorted })).slice(0, 16);
    /** @type {Manifest} */
    const manifest = { key, entries, recipe, inputs: sorted };
    writeFileSync(join(temporary, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
    const dir = join(parent, `${name}-${key}`);
    try {
      renameSync(temporary, dir);
    } catch (error) {
      // The same sources built by another process meanwhile: its directory is this one's twin.
      if (!existsSync(join(dir, MANIFEST))) throw error;
    }
    pointAt(parent, name, dir);
    for (const old of buildsOf(parent, name).filter((b) => b.dir !== dir).slice(KEEP_BUILDS - 1)) rmSync(old.dir, { recursive: true, force: true });
    return dir;
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
};

/**
 * The directory of a build of `name` that matches the sources, built first when there is none: the build runs in a
 * child process (`node build/bundle.mjs <name>`), so that the process asking loads nothing of esbuild.
 * @param {string} name
 * @returns {Promise<string>}
 */
export const freshBundle = async (name) => {
  const current = await currentBundle(name);
  if (current) return current;
  const started = performance.now();
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), name], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const dir = child.stdout.trim().split('\n').pop();
  if (child.status !== 0 || !dir) throw new Error(`building dist/${name} failed (node build/bundle.mjs ${name}: ${child.error?.message ?? `exit ${child.status}`})`);
  process.stderr.write(`hookbase: no build of these sources in dist/ yet; bundled them into ${fromRoot(dir)} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return dir;
};

/**
 * Whether `moduleUrl` is the program node was started with (`node <file>`): argv[1] as given, the module's URL
 * as resolved (symlinks followed).
 * @param {string} moduleUrl
 */
export const isMainModule = (moduleUrl) => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(moduleUrl);
  } catch {
    return false;
  }
};

// `node build/bundle.mjs [--force] [name...]`: builds each name unless a fresh build is there; prints its directory.
if (isMainModule(import.meta.url)) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const names = args.filter((a) => a !== '--force');
  for (const name of names.length > 0 ? names : Object.keys(BUNDLES)) {
    const dir = (!force && (await currentBundle(name))) || (await buildBundle(name));
    process.stdout.write(`${dir}\n`);
  }
}
