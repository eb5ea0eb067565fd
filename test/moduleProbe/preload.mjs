/* global process, URL */
// A test's view of which modules a Hookbase process loads, on every thread (test/tracing.test.ts,
// test/npmStart.test.ts): preloaded with NODE_OPTIONS=--import, it registers resolve hooks that note each module's URL
// in HOOKBASE_MODULE_PROBE, and makes every worker thread load this file first, since Node 20 runs neither --import
// preloads nor the main thread's hooks in worker threads: a worker started with `eval` code (cli/backgroundThread.ts
// from the sources) gets it before its code, one started from a file (the bundle's backgroundWorker.js) becomes
// `eval` code that imports this file, then that one.
import { register, syncBuiltinESMExports } from 'node:module';
import { pathToFileURL } from 'node:url';
import workerThreads from 'node:worker_threads';

const out = process.env.HOOKBASE_MODULE_PROBE;
if (out) {
  const thread = workerThreads.isMainThread ? 'main' : `worker-${workerThreads.threadId}`;
  register(new URL('./hooks.mjs', import.meta.url), { data: { out, thread } });
  if (workerThreads.isMainThread) {
    const Original = workerThreads.Worker;
    workerThreads.Worker = class extends Original {
      constructor(code, options) {
        const probe = JSON.stringify(import.meta.url);
        if (options?.eval && typeof code === 'string') {
          super(`import(${probe}).then(() => ${code})`, options);
        } else {
          const file = code instanceof URL ? code.href : pathToFileURL(String(code)).href;
          super(`import(${probe}).then(() => import(${JSON.stringify(file)}))`, { ...options, eval: true });
        }
      }
    };
    // `import { Worker } from 'node:worker_threads'` in the modules loaded after this one sees the wrapper.
    syncBuiltinESMExports();
  }
}
