import { hash, randomFillSync } from 'node:crypto';

/** Every id carries a prefix that says what it is. */
export type IdPrefix =
  | 'app' | 'ep' | 'msg' | 'out' | 'att' | 'key' | 'ptk' | 'sub' | 'req'
  // inbound: sources, destinations, routes, filters, transforms, schemas, inbound events and their deliveries
  | 'src' | 'dst' | 'rte' | 'flt' | 'trf' | 'sch' | 'ibe' | 'ibd';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: sorts like the numbers it encodes

const encodeTime = (ms: number): string => {
  let out = '';
  let n = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
};

const encodeBytes = (bytes: Uint8Array, chars: number): string => {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
};

// Random bytes are drawn 4 KiB at a time: one call into the CSPRNG per ~400 ids instead of one per id.
const pool = new Uint8Array(4096);
let poolOffset = pool.length;
const randomPart = (): Uint8Array => {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.slice(poolOffset, poolOffset + 10);
  poolOffset += 10;
  return bytes;
};

let lastTime = 0;
let lastTimeText = encodeTime(0);
let lastRandom: Uint8Array = new Uint8Array(10);

/**
 * A ULID with a prefix: ids sort by creation time, and ids made in the same millisecond
 * keep their creation order (the random part is incremented, as the ULID spec's monotonic mode does).
 */
export const newId = (prefix: IdPrefix, now: number = Date.now()): string => {
  if (now <= lastTime) {
    const next = Uint8Array.from(lastRandom);
    for (let i = next.length - 1; i >= 0; i--) {
      next[i] = (next[i]! + 1) & 0xff;
      if (next[i] !== 0) break;
    }
    lastRandom = next;
  } else {
    lastTime = now;
    lastTimeText = encodeTime(now);
    lastRandom = randomPart();
  }
  return `${prefix}_${lastTimeText}${encodeBytes(lastRandom, 16)}`;
};

/**
 * The id of a message sent with an eventId is derived from (application, eventId), so that a second send
 * appends to the same stream with "no stream expected" and fails: idempotency without a lookup table.
 * Such ids do not sort by creation time (the departure is deliberate).
 */
export const derivedMessageId = (applicationId: string, eventId: string): string => {
  const digest = hash('sha256', `${applicationId}\u0000${eventId}`, 'buffer');
  return `msg_${encodeBytes(digest, 26)}`;
};

/** A key id derived from the key's hash: the bootstrap key registers itself idempotently. */
export const derivedKeyId = (keyHash: string): string => {
  const digest = hash('sha256', `apikey\u0000${keyHash}`, 'buffer');
  return `key_${encodeBytes(digest, 26)}`;
};

/**
 * The id of a subscription that events written before subscriptions had ids imply (an endpoint's `eventTypes`
 * filter): derived from (endpoint, event type), so every upcast of the same old event names the same subscription.
 */
export const derivedSubscriptionId = (endpointId: string, eventType: string): string => {
  const digest = hash('sha256', `subscription\u0000${endpointId}\u0000${eventType}`, 'buffer');
  return `sub_${encodeBytes(digest, 26)}`;
};

/**
 * The id of an inbound event of a deduplicating source, derived from (source, dedup key, generation): a second
 * receipt appends to the same stream with "no stream expected" and fails, across restarts and instances, without a
 * table. The generation moves on once the window of the previous receipt has passed (api/commands/inboundIngest.ts).
 */
export const derivedInboundEventId = (sourceId: string, dedupKey: string, generation: number): string => {
  const digest = hash('sha256', `inbound\u0000${sourceId}\u0000${dedupKey}\u0000${generation}`, 'buffer');
  return `ibe_${encodeBytes(digest, 26)}`;
};

/** The delivery a route yields when an event is first routed: derived, so two routers racing decide the same ids. */
export const derivedInboundDeliveryId = (inboundEventId: string, routeId: string): string => {
  const digest = hash('sha256', `inbound_delivery\u0000${inboundEventId}\u0000${routeId}`, 'buffer');
  return `ibd_${encodeBytes(digest, 26)}`;
};

export const hasPrefix = (id: string, prefix: IdPrefix): boolean => id.startsWith(`${prefix}_`) && id.length > prefix.length + 1;
