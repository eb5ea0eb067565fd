// Preloaded by `npm run bench:cpu` and `npm run bench:memory` (node --require): in each worker thread of the process it tells the main thread
// its Linux thread id and role, so bench/cpu.ts can read that thread's CPU time from /proc/self/task/<tid>/stat.
// `--require` (unlike `--import`) also runs in worker threads, which inherit the parent's execArgv.
'use strict';
/* global require, BroadcastChannel */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload: `--require` is what runs in worker threads */
const { isMainThread, workerData } = require('node:worker_threads');
const { readlinkSync } = require('node:fs');

if (!isMainThread && workerData && typeof workerData === 'object') {
  let tid = null;
  try {
    tid = readlinkSync('/proc/thread-self').split('/').pop();
  } catch {
    // Not Linux: bench/cpu.ts then reports the process total only.
  }
  // The roles as cli/backgroundThread.ts hands them to the worker (BackgroundWorkerData).
  const role = workerData.projections ? 'projections' : workerData.dispatcher ? 'dispatcher' : workerData.checkpointEveryMs ? 'wal' : 'worker';
  if (tid !== null) {
    const channel = new BroadcastChannel('hookbase-bench-cpu-threads');
    channel.postMessage({ tid, role });
    channel.unref();
  }
  // bench/memory.ts asks every thread for its V8 heap (`heap?`); each answers with its role. Unref'd: the channel
  // never keeps a worker alive.
  const heaps = new BroadcastChannel('hookbase-bench-heaps');
  heaps.onmessage = (event) => {
    if (event.data !== 'heap?') return;
    const v8 = require('node:v8');
    const spaces = {};
    for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = s.physical_space_size;
    heaps.postMessage({ role, heap: v8.getHeapStatistics(), spaces });
  };
  heaps.unref();
}
