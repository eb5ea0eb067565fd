/* global process, URL */
// A test's view of which modules a Hookbase process loads, on every thread (test/tracing.test.ts): preloaded with
// NODE_OPTIONS=--import, it registers resolve hooks that note each module's URL in HOOKBASE_MODULE_PROBE, and makes
// every worker thread started with `eval` code (cli/backgroundThread.ts) load this file first, since Node 20 runs
// neither --import preloads nor the main thread's hooks in worker threads.
import { register, syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

const out = process.env.HOOKBASE_MODULE_PROBE;
if (out) {
  const thread = workerThreads.isMainThread ? 'main' : `worker-${workerThreads.threadId}`;
  register(new URL('./hooks.mjs', import.meta.url), { data: { out, thread } });
  if (workerThreads.isMainThread) {
    const Original = workerThreads.Worker;
    workerThreads.Worker = class extends Original {
      constructor(code, options) {
        const wrapped = options?.eval && typeof code === 'string' ? `import(${JSON.stringify(import.meta.url)}).then(() => ${code})` : code;
        super(wrapped, options);
      }
    };
    // `import { Worker } from 'node:worker_threads'` in the modules loaded after this one sees the wrapper.
    syncBuiltinESMExports();
  }
}
