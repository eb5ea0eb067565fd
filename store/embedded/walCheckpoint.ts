import type { WriteLocking } from './writeLock';

export type WalCheckpointMode = 'passive' | 'restart';
/** Pages in the WAL, and how many of them are now in the database file. */
export type WalCheckpoint = Readonly<{ walPages: number; copied: number }>;

/**
 * Copies what a WAL file holds into its database file, for stores whose commits do not (`autoCheckpoint: false`).
 * 'passive' waits for nobody. But the WAL only starts over when a writer finds it all copied and no reader in it,
 * which under steady load from other threads may never happen: 'restart' takes the write lock, waits for readers
 * to leave the WAL, and leaves it to start over.
 */
export const checkpointWal = (db: CheckpointableDatabase, lock: WriteLocking, mode: WalCheckpointMode, closed: boolean): WalCheckpoint => {
  if (closed) return { walPages: 0, copied: 0 };
  const pragma = mode === 'restart' ? 'wal_checkpoint(RESTART)' : 'wal_checkpoint(PASSIVE)';
  const rows = (mode === 'restart' ? lock.run(() => db.pragma(pragma)) : db.pragma(pragma)) as { log: number; checkpointed: number }[];
  const row = rows[0];
  return { walPages: Math.max(0, row?.log ?? 0), copied: Math.max(0, row?.checkpointed ?? 0) };
};

type CheckpointableDatabase = Readonly<{ pragma: (source: string) => unknown }>;
