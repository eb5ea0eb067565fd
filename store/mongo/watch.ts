import { MongoServerError } from 'mongodb';
import type { ChangeStream, Collection, Document as BsonDocument } from 'mongodb';

export type WatchOptions = Readonly<{
  /** First wait before reopening a stream that ended or failed; doubles up to `maxBackoffMs`, reset by a change. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Without change streams on the server: how often `onChange` is called instead (the caller reads again). */
  pollMs?: number;
}>;

/** Codes of a server that has no change streams: NotImplemented (238, jongodb), CommandNotFound (59), and 40573 (not a replica set). */
const NO_CHANGE_STREAMS = new Set([238, 59, 40573]);

export const lacksChangeStreams = (error: unknown): boolean =>
  error instanceof MongoServerError && (NO_CHANGE_STREAMS.has(Number(error.code)) || error.hasErrorLabel('UnsupportedFeature'));

/**
 * Calls `onChange` whenever a document of `collection` changes, through a change stream (no polling). A stream
 * ends on an `invalidate` event (the collection dropped or renamed over, e.g. by a rebuild's swap: the server then
 * closes the cursor — mongo `src/mongo/db/pipeline/document_source_check_invalidate.cpp`, and the driver emits
 * the `invalidate` change, then `close`), on a non-resumable error, or when closed under us: each time it is reopened,
 * after a backoff, with one call of `onChange` for what may have been missed meanwhile. A server without change
 * streams (jongodb) degrades to calling `onChange` every `pollMs`. Returns the stop.
 */
export const watchCollection = (
  collection: Collection<BsonDocument>,
  onChange: () => void,
  log: (line: string) => void = () => {},
  options: WatchOptions = {},
): (() => void) => {
  const initialBackoff = options.backoffMs ?? 1_000;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  let backoff = initialBackoff;
  let stopped = false;
  let stream: ChangeStream | null = null;
  let poller: NodeJS.Timeout | null = null;
  let reopening: NodeJS.Timeout | null = null;

  const poll = (why: string): void => {
    if (poller || stopped) return;
    log(`mongodb: no change streams on this server (${why}); reading ${collection.collectionName} every ${options.pollMs ?? 100} ms instead`);
    poller = setInterval(onChange, options.pollMs ?? 100);
    poller.unref();
    onChange();
  };

  /** The stream `current` is over: reopen once (an error is followed by a close; only the first counts). */
  const reopen = (current: ChangeStream, why: string): void => {
    if (stopped || stream !== current) return;
    stream = null;
    void current.close().catch(() => {});
    const delay = backoff;
    backoff = Math.min(backoff * 2, maxBackoff);
    log(`mongodb: change stream on ${collection.collectionName} ended (${why}); reopening in ${delay} ms`);
    reopening = setTimeout(() => {
      reopening = null;
      if (stopped) return;
      onChange();
      open();
    }, delay);
    reopening.unref();
  };

  const open = (): void => {
    if (stopped) return;
    const current = collection.watch([], { fullDocument: 'default' });
    stream = current;
    current.on('change', (change: BsonDocument) => {
      if (stream !== current) return;
      if (change.operationType === 'invalidate') {
        reopen(current, 'invalidated');
        return;
      }
      backoff = initialBackoff;
      onChange();
    });
    current.on('error', (error: Error) => {
      if (lacksChangeStreams(error)) {
        // Whatever this stream's close already scheduled (the driver may report the close before the error).
        if (reopening) clearTimeout(reopening);
        reopening = null;
        stream = null;
        void current.close().catch(() => {});
        poll(error.message);
        return;
      }
      reopen(current, error.message);
    });
    // After the events of this turn: the driver may report a failed start as a close, then the error saying why.
    current.on('close', () => setImmediate(() => reopen(current, 'closed')));
    current.on('end', () => setImmediate(() => reopen(current, 'ended')));
  };

  open();
  return () => {
    stopped = true;
    if (poller) clearInterval(poller);
    if (reopening) clearTimeout(reopening);
    void stream?.close().catch(() => {});
    stream = null;
  };
};
