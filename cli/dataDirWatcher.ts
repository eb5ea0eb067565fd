import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Hears, in one process, what other processes commit to the embedded store's files in a shared data dir. In WAL
 * mode every commit writes the file's `-wal`: one watch of the directory (inotify on Linux; the directory, not the
 * file, because the WAL file is deleted when the last connection closes and created again) tells us within a
 * millisecond, where polling would cost a query every few milliseconds in every process to be as quick. Watch
 * events can be dropped or coalesced (and some filesystems have none), so a slow timer pokes as well. Calls are
 * coalesced: one per turn of the event loop, whatever the number of commits.
 */
export type WatchedFile = Readonly<{ file: string; onChange: () => void }>;

export type DataDirWatch = Readonly<{ close: () => void }>;

export const watchDataDir = (dir: string, files: readonly WatchedFile[], fallbackMs = 1_000): DataDirWatch => {
  const pending = new Set<WatchedFile>();
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const due = [...pending];
    pending.clear();
    for (const f of due) f.onChange();
  };
  const mark = (f: WatchedFile): void => {
    pending.add(f);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, { persistent: false }, (_event, name) => {
      if (name === null) {
        for (const f of files) mark(f);
        return;
      }
      for (const f of files) if (name === `${f.file}-wal` || name === f.file) mark(f);
    });
    watcher.on('error', () => {
      // The timer below still pokes.
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null;
  }
  const timer = setInterval(() => {
    for (const f of files) mark(f);
  }, fallbackMs);
  timer.unref();
  return {
    close: () => {
      clearInterval(timer);
      watcher?.close();
    },
  };
};

/**
 * Whether another connection committed to an SQLite file since the last look: `PRAGMA data_version` on a
 * connection of our own changes exactly then, and costs no read of the file (a microsecond or two). It lets a
 * cache check, before each answer, that nothing changed under it, without waiting for a watch event.
 */
export class DataVersion {
  private readonly db: Database.Database;
  private readonly statement: Database.Statement<[], number>;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    this.statement = this.db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  current(): number {
    return this.statement.get() ?? 0;
  }

  close(): void {
    this.db.close();
  }
}
