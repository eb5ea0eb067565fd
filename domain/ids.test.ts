import { describe, expect, it } from 'vitest';
import type { IdPrefix } from './ids';
import { derivedKeyId, derivedMessageId, hasPrefix, newId } from './ids';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const decodeTime = (id: string): number =>
  [...id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11)].reduce((n, c) => n * 32 + CROCKFORD.indexOf(c), 0);

// Ids keep a module-level "last time"; each test starts past it so the tests do not depend on their order.
let clock = Date.now() + 1_000;
const nextMs = (): number => (clock += 1_000);

describe('newId', () => {
  it.each<IdPrefix>(['app', 'ep', 'msg', 'out', 'att', 'key', 'ptk', 'req'])('makes a %s_ id of 26 Crockford base32 characters', (prefix) => {
    const id = newId(prefix);
    expect(id).toMatch(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`));
    expect(hasPrefix(id, prefix)).toBe(true);
  });

  it('encodes the creation time in its first 10 characters', () => {
    const now = nextMs();
    expect(decodeTime(newId('msg', now))).toBe(now);
  });

  it('ids made in sequence within one millisecond sort in creation order', () => {
    const now = nextMs();
    const ids = Array.from({ length: 1_000 }, () => newId('msg', now));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids.every((id) => decodeTime(id) === now)).toBe(true);
  });

  it('ids made in later milliseconds sort after', () => {
    const ids = Array.from({ length: 50 }, () => newId('out', nextMs()));
    expect([...ids].sort()).toEqual(ids);
  });

  it('still sorts in creation order when the clock goes back', () => {
    const now = nextMs();
    const first = newId('att', now);
    const second = newId('att', now - 5_000);
    expect(second > first).toBe(true);
    expect(decodeTime(second)).toBe(now);
  });

  it('ids of different kinds share one sequence', () => {
    const now = nextMs();
    const a = newId('msg', now);
    const b = newId('out', now);
    expect(b.slice(4) > a.slice(4)).toBe(true);
  });
});

describe('derivedMessageId', () => {
  it('is stable for the same application and eventId', () => {
    expect(derivedMessageId('app_1', 'evt_1')).toBe(derivedMessageId('app_1', 'evt_1'));
  });

  it('is a msg_ id of the same shape as a new one', () => {
    expect(derivedMessageId('app_1', 'evt_1')).toMatch(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(hasPrefix(derivedMessageId('app_1', 'evt_1'), 'msg')).toBe(true);
  });

  it('differs across applications and across eventIds', () => {
    const id = derivedMessageId('app_1', 'evt_1');
    expect(derivedMessageId('app_2', 'evt_1')).not.toBe(id);
    expect(derivedMessageId('app_1', 'evt_2')).not.toBe(id);
  });

  it('does not confuse where the application id ends and the eventId begins', () => {
    expect(derivedMessageId('app_1', 'x')).not.toBe(derivedMessageId('app_1x', ''));
  });
});

describe('derivedKeyId', () => {
  it('is a key_ id, stable for one hash and different for another', () => {
    expect(derivedKeyId('hash-a')).toMatch(/^key_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(derivedKeyId('hash-a')).toBe(derivedKeyId('hash-a'));
    expect(derivedKeyId('hash-b')).not.toBe(derivedKeyId('hash-a'));
  });
});

describe('hasPrefix', () => {
  it('wants the prefix, the underscore and something after it', () => {
    expect(hasPrefix('ep_01H', 'ep')).toBe(true);
    expect(hasPrefix('ep_', 'ep')).toBe(false);
    expect(hasPrefix('ep01H', 'ep')).toBe(false);
    expect(hasPrefix('app_01H', 'ep')).toBe(false);
    expect(hasPrefix('epx_01H', 'ep')).toBe(false);
  });
});
