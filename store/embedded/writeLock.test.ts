import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from './sqliteEventStore';
import { WriteLock } from './writeLock';

// A worker thread running TypeScript from this folder, as cli/dispatcherThread.ts starts the dispatcher's.
const TSX_API = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
const here = (file: string) => new URL(file, import.meta.url).href;
const tsWorker = (body: string, workerData: unknown): Worker =>
  new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     import(${JSON.stringify(TSX_API)}).then(async (tsx) => { tsx.register(); ${body} })
       .catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));`,
    { eval: true, workerData },
  );
const nextMessage = (w: Worker, timeoutMs = 20_000): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message from the worker')), timeoutMs);
    w.once('message', (m: unknown) => {
      clearTimeout(timer);
      if (typeof m === 'object' && m !== null && 'error' in m) reject(new Error(String((m as { error: unknown }).error)));
      else resolve(m);
    });
  });

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('WriteLock across threads', () => {
  it('keeps another thread out while held and lets it in once released', async () => {
    const lock = new WriteLock();
    const release = lock.acquire();
    const worker = tsWorker(
      `const { WriteLock } = await import(${JSON.stringify(here('./writeLock.ts'))});
       parentPort.postMessage('loaded');
       const release = new WriteLock(workerData.buffer).acquire();
       parentPort.postMessage({ gotAt: Date.now() });
       release();`,
      { buffer: lock.buffer },
    );
    try {
      expect(await nextMessage(worker)).toBe('loaded');
      const got = nextMessage(worker);
      let early = false;
      void got.then(() => (early = true), () => {});
      await new Promise((r) => setTimeout(r, 200));
      expect(early).toBe(false);
      const releasedAt = Date.now();
      release();
      const { gotAt } = (await got) as { gotAt: number };
      expect(gotAt).toBeGreaterThanOrEqual(releasedAt);
      // And it is ours again once the worker let go.
      lock.run(() => undefined);
    } finally {
      await worker.terminate();
    }
  });

  it('waits for the lock without blocking this thread when asked to (acquireAsync)', async () => {
    const lock = new WriteLock();
    const worker = tsWorker(
      `const { WriteLock } = await import(${JSON.stringify(here('./writeLock.ts'))});
       const release = new WriteLock(workerData.buffer).acquire();
       parentPort.postMessage('held');
       await new Promise((r) => parentPort.once('message', r));
       release();`,
      { buffer: lock.buffer },
    );
    try {
      expect(await nextMessage(worker)).toBe('held');
      expect(lock.tryAcquire()).toBeNull();
      let acquired = false;
      const pending = lock.acquireAsync().then((release) => {
        acquired = true;
        return release;
      });
      // This thread goes on meanwhile: a timer fires while the worker still holds the lock.
      await new Promise((r) => setTimeout(r, 100));
      expect(acquired).toBe(false);
      worker.postMessage('release');
      const release = await pending;
      expect(lock.tryAcquire()).toBeNull(); // ours now
      release();
      expect(lock.tryAcquire()).not.toBeNull();
    } finally {
      await worker.terminate();
    }
  });

  it('lets two threads append to one event store file at once, losing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookbase-writelock-'));
    dirs.push(dir);
    const path = join(dir, 'events.db');
    const lock = new WriteLock();
    const store = SqliteEventStore.open(path, { writeLock: lock });
    const N = 1500;
    const worker = tsWorker(
      `const { SqliteEventStore } = await import(${JSON.stringify(here('./sqliteEventStore.ts'))});
       const { WriteLock } = await import(${JSON.stringify(here('./writeLock.ts'))});
       const store = SqliteEventStore.open(workerData.path, { writeLock: new WriteLock(workerData.buffer) });
       parentPort.postMessage('ready');
       await new Promise((r) => parentPort.once('message', r));
       const appends = [];
       for (let i = 0; i < workerData.n; i++) appends.push(store.appendToStream('w-' + (i % 10), [{ type: 'T', data: { i } }]));
       await Promise.all(appends);
       await store.close();
       parentPort.postMessage('done');`,
      { path, buffer: lock.buffer, n: N },
    );
    try {
      expect(await nextMessage(worker)).toBe('ready');
      worker.postMessage('go');
      const done = nextMessage(worker, 60_000);
      const ours = Array.from({ length: N }, (_, i) => store.appendToStream(`m-${i % 10}`, [{ type: 'T', data: { i } }]));
      await Promise.all(ours);
      expect(await done).toBe('done');

      const all: { streamId: string; position: bigint }[] = [];
      for await (const e of store.readAll()) all.push({ streamId: e.streamId, position: e.position.commit });
      expect(all).toHaveLength(2 * N);
      expect(new Set(all.map((e) => e.position)).size).toBe(2 * N);
      // Every stream's revisions are 0..n-1 with no gap: no append overwrote or lost another.
      for (const prefix of ['m-', 'w-']) {
        for (let s = 0; s < 10; s++) {
          const revisions: bigint[] = [];
          for await (const e of store.readStream(`${prefix}${s}`)) revisions.push(e.revision);
          expect(revisions).toEqual(Array.from({ length: N / 10 }, (_, i) => BigInt(i)));
        }
      }
    } finally {
      await worker.terminate();
      await store.close();
    }
  });
});
