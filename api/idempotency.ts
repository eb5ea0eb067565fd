import { hash as digest } from 'node:crypto';
import type { JsonValue } from '../domain/json';
import { openSecret, sealSecret } from '../domain/secretBox';
import type { SealedSecret } from '../domain/secretBox';
import type { CollectionDef, ReadStore } from '../store/readStore';
import { HttpError } from './errors';
import type { RouteResponse } from './route';

/**
 * Answers to POSTs that carried an `Idempotency-Key`, kept 24 h in the operational store (not a read model: a
 * rebuild never drops them). A key is claimed there before its request runs, so a duplicate on another API
 * process waits for the first answer instead of running the request again. The body is sealed with the master
 * key: an answer may hold a secret shown once (endpoint secret, portal token).
 */
type IdempotencyDoc = {
  id: string;
  requestHash: string;
  /** `pending` while the first request runs (claimed until `claimedUntil`, ms), `done` once its answer is kept. */
  state: 'pending' | 'done';
  claimedUntil: number;
  status: number;
  body: SealedSecret | null;
  headers: Record<string, string>;
  expiresAt: string;
};

const idempotencyKeys: CollectionDef = { name: 'idempotency_keys', indexes: [{ equal: [], sort: 'expiresAt' }] };
const TTL_MS = 24 * 3600 * 1000;
/** A claim outlives any request (a crashed process's claim frees the key after this). */
const CLAIM_MS = 60_000;
/** How long a duplicate waits for the first request's answer before it is told 409 (in progress). */
const WAIT_FOR_FIRST_MS = 10_000;
const LOOK_EVERY_MS = 25;

const inFlight = new Map<string, Promise<RouteResponse>>();

export const requestHash = (method: string, path: string, body: JsonValue | undefined): string =>
  digest('sha256', `${method} ${path}\n${JSON.stringify(body ?? null)}`, 'hex');

export const reused = (): HttpError => new HttpError(409, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request; use a new key.');

type Claim = Readonly<{ kind: 'claimed' }> | Readonly<{ kind: 'answered'; doc: IdempotencyDoc }> | Readonly<{ kind: 'pending' }>;

/** Claims the key for this request, or tells what holds it: a kept answer, or another request still running. */
const claim = (ops: ReadStore, id: string, hash: string, now: Date): Promise<Claim> =>
  ops.transaction(async (tx): Promise<Claim> => {
    const keys = tx.collection<IdempotencyDoc>(idempotencyKeys);
    const stored = await keys.get(id);
    if (stored && stored.expiresAt > now.toISOString()) {
      if (stored.requestHash !== hash) throw reused();
      if (stored.state === 'done') return { kind: 'answered', doc: stored };
      if (stored.claimedUntil > Date.now()) return { kind: 'pending' };
    }
    await keys.put({
      id,
      requestHash: hash,
      state: 'pending',
      claimedUntil: Date.now() + CLAIM_MS,
      status: 0,
      body: null,
      headers: {},
      expiresAt: new Date(now.getTime() + TTL_MS).toISOString(),
    });
    return { kind: 'claimed' };
  });

const replay = (masterKey: Buffer, doc: IdempotencyDoc): RouteResponse => {
  const body = doc.body === null ? undefined : (JSON.parse(openSecret(masterKey, doc.body)) as JsonValue);
  return { status: doc.status, body, headers: { ...doc.headers, 'Idempotent-Replayed': 'true' } };
};

/**
 * Runs a POST once per (principal, key): a retry with the same key gets the first answer back with
 * `Idempotent-Replayed: true`; the same key with another request is a conflict; a duplicate that arrives while
 * the first runs (on any process) waits for its answer, up to 10 s, then gets 409 `idempotency_key_in_progress`.
 * Only answers below 500 are kept (a failed request frees the key for a retry).
 */
/** An Idempotency-Key's id: the caller's scope and the key, hashed (422 for a key over 255 characters). */
export const idempotencyKeyId = (scope: string, key: string): string => {
  if (key.length > 255) throw new HttpError(422, 'validation_failed', 'Idempotency-Key must be at most 255 characters.', [
    { field: 'Idempotency-Key', rule: 'max_length', message: 'Idempotency-Key must be at most 255 characters.' },
  ]);
  return digest('sha256', `${scope}\u0000${key}`, 'hex');
};

/**
 * Whether the key has an answer or a claim in the operational store (not expired): a key first used on another
 * route, or on a send by an earlier version, which then goes through `withIdempotencyKey` (a read, no write).
 */
export const keyHeldInStore = async (ops: ReadStore, id: string, now: Date): Promise<boolean> => {
  const stored = await ops.collection<IdempotencyDoc>(idempotencyKeys).get(id);
  return stored !== null && stored.expiresAt > now.toISOString();
};

export const withIdempotencyKey = async (
  ops: ReadStore,
  masterKey: Buffer,
  scope: string,
  key: string,
  hash: string,
  now: Date,
  run: () => Promise<RouteResponse>,
): Promise<RouteResponse> => {
  const id = idempotencyKeyId(scope, key);

  /** One request's turn: the kept answer if there is one, else claim the key, run, and keep the answer. */
  const turn = async (): Promise<RouteResponse> => {
    const waitUntil = Date.now() + WAIT_FOR_FIRST_MS;
    for (;;) {
      const claimed = await claim(ops, id, hash, now);
      if (claimed.kind === 'answered') return replay(masterKey, claimed.doc);
      if (claimed.kind === 'claimed') break;
      if (Date.now() >= waitUntil) {
        throw new HttpError(409, 'idempotency_key_in_progress', 'A request with this Idempotency-Key is still in progress; retry later.');
      }
      await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY_MS));
    }
    let response: RouteResponse;
    try {
      response = await run();
    } catch (error) {
      await release(ops, id).catch(() => {});
      throw error;
    }
    if (response.status >= 500) {
      await release(ops, id);
      return response;
    }
    const doc: IdempotencyDoc = {
      id,
      requestHash: hash,
      state: 'done',
      claimedUntil: 0,
      status: response.status,
      body: response.body === undefined ? null : sealSecret(masterKey, JSON.stringify(response.body)),
      headers: { ...(response.headers ?? {}) },
      expiresAt: new Date(now.getTime() + TTL_MS).toISOString(),
    };
    await ops.transaction(async (tx) => {
      const keys = tx.collection<IdempotencyDoc>(idempotencyKeys);
      await keys.put(doc);
      // Sweep a few expired keys on the way: the table stays bounded without a timer.
      const expired = await keys.find({ range: { key: 'expiresAt', lt: now.toISOString() }, orderBy: { key: 'expiresAt', direction: 'asc' }, limit: 20 });
      for (const old of expired.items) await keys.delete(old.id);
    });
    return response;
  };

  // Requests with one key take turns in this process (queued before the first await): the second finds the
  // first one's answer kept, without looking at the store every few milliseconds.
  const previous = inFlight.get(id);
  const mine = previous ? previous.catch(() => undefined).then(turn) : turn();
  inFlight.set(id, mine);
  try {
    return await mine;
  } finally {
    if (inFlight.get(id) === mine) inFlight.delete(id);
  }
};

/** Frees a key whose request failed: a retry may run it. */
const release = async (ops: ReadStore, id: string): Promise<void> => {
  await ops.transaction(async (tx) => {
    const keys = tx.collection<IdempotencyDoc>(idempotencyKeys);
    const stored = await keys.get(id);
    if (stored?.state === 'pending') await keys.delete(id);
  });
};
