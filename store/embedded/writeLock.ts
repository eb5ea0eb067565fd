/**
 * A write lock for the threads of one process that write the same SQLite file (the embedded deployment's API,
 * projections, dispatcher and WAL-checkpoint threads). SQLite serialises writers by itself, but a writer that finds the file locked
 * sleeps in coarse steps (1, 2, 5, 10, 15, 20… ms) before it looks again: under load that costs more than the
 * writes. Here a writer waits on the shared cell instead and is woken the moment the holder lets go.
 *
 * Only writers in this process take it; another process writing the file still meets SQLite's busy timeout.
 */
export class WriteLock {
  private readonly cell: Int32Array;

  /** Pass the `buffer` of another thread's lock to share it. */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.cell = new Int32Array(buffer, 0, 1);
  }

  /** Waits for the lock (blocking this thread) and returns its release. */
  acquire(): () => void {
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
      const release = this.tryAcquire();
      if (release) return release;
      // A holder that died mid-write (its thread was terminated) would hold it forever; past the deadline we take
      // it over, and SQLite's own lock (a dead connection holds none) still guards the file.
      if (Date.now() > deadline) return this.takeOver();
      Atomics.wait(this.cell, 0, HELD, 50);
    }
  }

  /** The lock if it is free now, else null: never waits. */
  tryAcquire(): (() => void) | null {
    return Atomics.compareExchange(this.cell, 0, FREE, HELD) === FREE ? this.releaser() : null;
  }

  /**
   * Waits for the lock without blocking this thread (its event loop goes on meanwhile) and resolves with the
   * release: for a thread with other work to do, such as the one that answers requests.
   */
  async acquireAsync(): Promise<() => void> {
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
      const release = this.tryAcquire();
      if (release) return release;
      if (Date.now() > deadline) return this.takeOver();
      const wait = waitAsync(this.cell, 0, HELD, 50);
      if (!wait.async) continue;
      // A pending waitAsync does not keep the event loop alive; this timer does, for as long as we wait.
      const alive = setTimeout(() => {}, 100);
      await wait.value;
      clearTimeout(alive);
    }
  }

  /** Runs `write` (synchronous) holding the lock. */
  run<T>(write: () => T): T {
    const release = this.acquire();
    try {
      return write();
    } finally {
      release();
    }
  }

  private takeOver(): () => void {
    Atomics.store(this.cell, 0, HELD);
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      Atomics.store(this.cell, 0, FREE);
      // Every waiter looks again: one that waits asynchronously may take a while to, and must not hold up the rest.
      Atomics.notify(this.cell, 0);
    };
  }
}

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
/** Atomics.waitAsync: Node 16+ has it; TypeScript's lib declares it from es2024 only. */
export const waitAsync = (Atomics as unknown as { waitAsync: (cells: Int32Array, index: number, value: number, timeoutMs: number) => WaitAsyncResult }).waitAsync;

const FREE = 0;
const HELD = 1;
const MAX_WAIT_MS = 5_000;

export type WriteLocking = Pick<WriteLock, 'acquire' | 'tryAcquire' | 'acquireAsync' | 'run'>;

const nothingToRelease = (): void => {};
/** For a store that no other thread of this process writes. */
export const noWriteLock: WriteLocking = {
  acquire: () => nothingToRelease,
  tryAcquire: () => nothingToRelease,
  acquireAsync: () => Promise.resolve(nothingToRelease),
  run: (write) => write(),
};
