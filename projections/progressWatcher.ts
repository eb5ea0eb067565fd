import type { Position } from '../store/eventStore';
import { comparePositions } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import { progressPosition, readProgress } from './progress';
import type { ProjectionProgress } from './runner';
import { PositionWaiters } from './runner';

/**
 * Read-your-writes for every command of a process, wherever the projections run (this process, another thread,
 * another process): one watcher per process reads the progress document when told it may have changed (`poke`),
 * first tells which collections changed (a ReadCache forgets them), then lets the commands waiting for that
 * position go on. What pokes it depends on the store: the local runner after each batch, a file watch of the
 * read-models file on the embedded store (see cli/dataDirWatcher.ts), and a slow timer as the fallback.
 */
export class ProgressWatcher implements ProjectionProgress {
  private readonly waiters = new PositionWaiters();
  private readonly seen = new Map<string, string>();
  /** The document's position when last read (null: there was none). */
  private lastPosition: Position | null = null;
  private checking: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** How many times the document was read (tests, metrics). */
  reads = 0;
  /** The store's version when the document was last read (see `fresh`). */
  private checkedVersion: number | null = null;

  /**
   * `version`: a number that changes whenever anyone commits to the read store (embedded: SQLite's data_version,
   * cli/dataDirWatcher.ts); with it, `fresh` tells whether what the watcher last read is still all there is.
   */
  constructor(
    private readonly store: ReadStore,
    private readonly onChanged: (collections: readonly string[]) => void = () => {},
    private readonly log: (line: string) => void = () => {},
    private readonly version: (() => number) | null = null,
  ) {}

  /**
   * True when nothing was committed to the read store since the watcher last read the document, so that every
   * change it announced is all there is; otherwise false, and the document is read again.
   */
  fresh(): boolean {
    if (this.version === null || this.checkedVersion === null) return this.version === null;
    if (this.version() === this.checkedVersion) return true;
    this.poke();
    return false;
  }

  /** Reads the document now, then every `fallbackMs` (in case a poke is lost). */
  async start(fallbackMs = 1_000): Promise<void> {
    await this.check();
    this.timer = setInterval(() => this.poke(), fallbackMs);
    this.timer.unref();
  }

  get position(): Position {
    return this.waiters.position;
  }

  /** The document may have changed: read it (once, however many pokes come meanwhile). */
  poke(): void {
    if (this.closed) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = this.check()
      .catch((error: unknown) => this.log(`projections progress: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        this.checking = null;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Resolves once a read that started after this call is done. */
  async settled(): Promise<void> {
    this.poke();
    while (this.checking) await this.checking;
  }

  private async check(): Promise<void> {
    this.reads++;
    // Taken before the read: a commit after it makes the next look differ, never the reverse.
    const version = this.version?.() ?? null;
    const doc = await readProgress(this.store);
    const position = doc ? progressPosition(doc) : null;
    // The document gone, or behind where it was: the projections were reset (`projections reset` drops every read
    // model and this document) and start over. Every collection it had announced may have lost documents no batch
    // will name: all are forgotten.
    if (this.lastPosition !== null && (position === null || comparePositions(position, this.lastPosition) < 0) && this.seen.size > 0) {
      const forgotten = [...this.seen.keys()];
      this.seen.clear();
      this.onChanged(forgotten);
    }
    this.lastPosition = position;
    if (doc) {
      const changed: string[] = [];
      for (const [name, at] of Object.entries(doc.changed)) {
        if (this.seen.get(name) !== at) {
          this.seen.set(name, at);
          changed.push(name);
        }
      }
      if (changed.length > 0) this.onChanged(changed);
    }
    this.checkedVersion = version;
    this.waiters.advance(progressPosition(doc));
  }

  waitFor(position: Position, timeoutMs = 5_000): Promise<boolean> {
    return this.waiters.waitFor(position, timeoutMs);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.waiters.close();
  }
}
