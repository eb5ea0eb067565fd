import { hash as digest } from 'node:crypto';
import type { JsonValue } from '../domain/json';
import { openSecret, sealSecret } from '../domain/secretBox';
import type { SealedSecret } from '../domain/secretBox';
import type { CollectionDef, ReadStore } from '../store/readStore';
import { HttpError } from './errors';
import type { RouteResponse } from './route';

/**
 * Stored answers to POSTs that carried an `Idempotency-Key`, kept 24 h (an operational table, not a read model).
 * The body is sealed with the master key: an answer may hold a secret shown once (endpoint secret, portal token).
 */
type IdempotencyDoc = { id: string; requestHash: string; status: number; body: SealedSecret | null; headers: Record<string, string>; expiresAt: string };

const idempotencyKeys: CollectionDef = { name: 'idempotency_keys', indexes: [{ equal: [], sort: 'expiresAt' }] };
const TTL_MS = 24 * 3600 * 1000;

const inFlight = new Map<string, Promise<RouteResponse>>();

export const requestHash = (method: string, path: string, body: JsonValue | undefined): string =>
  digest('sha256', `${method} ${path}\n${JSON.stringify(body ?? null)}`, 'hex');

/**
 * Runs a POST once per (principal, key): a retry with the same key gets the first answer back with
 * `Idempotent-Replayed: true`; the same key with another request is a conflict. Only answers below 500 are kept.
 */
export const withIdempotencyKey = async (
  reads: ReadStore,
  masterKey: Buffer,
  scope: string,
  key: string,
  hash: string,
  now: Date,
  run: () => Promise<RouteResponse>,
): Promise<RouteResponse> => {
  if (key.length > 255) throw new HttpError(422, 'validation_failed', 'Idempotency-Key must be at most 255 characters.', [
    { field: 'Idempotency-Key', rule: 'max_length', message: 'Idempotency-Key must be at most 255 characters.' },
  ]);
  const id = digest('sha256', `${scope}\u0000${key}`, 'hex');

  /** One request's turn: the stored answer if there is one, else run it and store its answer. */
  const turn = async (): Promise<RouteResponse> => {
    const stored = await reads.collection<IdempotencyDoc>(idempotencyKeys).get(id);
    if (stored && stored.expiresAt > now.toISOString()) {
      if (stored.requestHash !== hash) {
        throw new HttpError(409, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request; use a new key.');
      }
      const body = stored.body === null ? undefined : (JSON.parse(openSecret(masterKey, stored.body)) as JsonValue);
      return { status: stored.status, body, headers: { ...stored.headers, 'Idempotent-Replayed': 'true' } };
    }
    const response = await run();
    if (response.status < 500) {
      const doc: IdempotencyDoc = {
        id,
        requestHash: hash,
        status: response.status,
        body: response.body === undefined ? null : sealSecret(masterKey, JSON.stringify(response.body)),
        headers: { ...(response.headers ?? {}) },
        expiresAt: new Date(now.getTime() + TTL_MS).toISOString(),
      };
      await reads.transaction(async (tx) => {
        const keys = tx.collection<IdempotencyDoc>(idempotencyKeys);
        await keys.put(doc);
        // Sweep a few expired keys on the way: the table stays bounded without a timer.
        const expired = await keys.find({ range: { key: 'expiresAt', lt: now.toISOString() }, orderBy: { key: 'expiresAt', direction: 'asc' }, limit: 20 });
        for (const old of expired.items) await keys.delete(old.id);
      });
    }
    return response;
  };

  // Requests with one key take turns in this process (queued before the first await): the second finds the
  // first one's answer stored.
  const previous = inFlight.get(id);
  const mine = previous ? previous.catch(() => undefined).then(turn) : turn();
  inFlight.set(id, mine);
  try {
    return await mine;
  } finally {
    if (inFlight.get(id) === mine) inFlight.delete(id);
  }
};
