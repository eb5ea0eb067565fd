/**
 * A write lock for the threads of one process that write the same SQLite file (the embedded deployment's main
 * thread and its dispatcher thread). SQLite serialises writers by itself, but a writer that finds the file locked
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
    while (Atomics.compareExchange(this.cell, 0, FREE, HELD) !== FREE) {
      // A holder that died mid-write (its thread was terminated) would hold it forever; past the deadline we take
      // it over, and SQLite's own lock (a dead connection holds none) still guards the file.
      if (Date.now() > deadline) {
        Atomics.store(this.cell, 0, HELD);
        break;
      }
      Atomics.wait(this.cell, 0, HELD, 50);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      Atomics.store(this.cell, 0, FREE);
      Atomics.notify(this.cell, 0, 1);
    };
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
}

const FREE = 0;
const HELD = 1;
const MAX_WAIT_MS = 5_000;

export type WriteLocking = Pick<WriteLock, 'acquire' | 'run'>;

/** For a store that no other thread of this process writes. */
export const noWriteLock: WriteLocking = { acquire: () => () => {}, run: (write) => write() };
