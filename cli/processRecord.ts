import { createHmac } from 'node:crypto';
import { hostname } from 'node:os';
import type { CollectionDef, Document, ReadStore } from '../store/readStore';

/**
 * Every Hookbase process records itself in the operational state while it runs: who it is, its roles, and the
 * fingerprint of its master key, so that `hookbase doctor` can tell whether every process uses the same key (one
 * with another key would write endpoint secrets the others cannot read). The fingerprint is an HMAC of a fixed
 * label under the key: it tells keys apart and reveals nothing of them.
 */
export const PROCESSES: CollectionDef = { name: 'hookbase_processes', indexes: [] };

export type ProcessRecord = Document &
  Readonly<{ id: string; host: string; pid: number; roles: readonly string[]; version: string; keyFingerprint: string; startedAt: string; seenAt: string }>;

/** How often a running process renews its record; doctor counts a record older than STALE_AFTER_MS as gone. */
export const RENEW_EVERY_MS = 30_000;
export const STALE_AFTER_MS = 3 * RENEW_EVERY_MS;

export const keyFingerprint = (masterKey: Buffer): string => createHmac('sha256', masterKey).update('hookbase master key fingerprint v1').digest('hex').slice(0, 16);

/** Records this process now and every RENEW_EVERY_MS; the returned stop removes the record (a clean exit). */
export const recordProcess = (
  ops: ReadStore,
  me: Readonly<{ owner: string; roles: readonly string[]; version: string; masterKey: Buffer }>,
  log: (line: string) => void,
): (() => Promise<void>) => {
  const startedAt = new Date().toISOString();
  const write = async (): Promise<void> => {
    const record: ProcessRecord = {
      id: me.owner,
      host: hostname(),
      pid: process.pid,
      roles: [...me.roles],
      version: me.version,
      keyFingerprint: keyFingerprint(me.masterKey),
      startedAt,
      seenAt: new Date().toISOString(),
    };
    await ops.transaction((tx) => tx.collection<ProcessRecord>(PROCESSES).put(record));
  };
  // Best effort: a process that cannot record itself still works; doctor will not see it.
  const attempt = (): void => {
    write().catch((error: unknown) => log(`process record: ${error instanceof Error ? error.message : String(error)}`));
  };
  attempt();
  const timer = setInterval(attempt, RENEW_EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await ops.transaction((tx) => tx.collection<ProcessRecord>(PROCESSES).delete(me.owner)).catch(() => {});
  };
};
