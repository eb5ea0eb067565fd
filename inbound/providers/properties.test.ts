import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GenericHmacSettings, HmacAlgorithm, SignatureEncoding } from '../../domain/source/providers';
import { verifyInbound } from './index';
import { at, requestOf } from './testing';

// Properties of the HMAC schemes over arbitrary bodies and secrets; signatures built with node:crypto in the test.
const NOW = 1_767_225_600;
const config = (secret: string, generic: GenericHmacSettings) => ({ secret, settings: { toleranceSeconds: null, generic, publicKey: null } });
const runs = { numRuns: 150 };

describe('generic HMAC properties (fast-check)', () => {
  const scheme = fc.record({
    algorithm: fc.constantFrom<HmacAlgorithm>('sha1', 'sha256', 'sha512'),
    encoding: fc.constantFrom<SignatureEncoding>('hex', 'base64'),
    prefix: fc.constantFrom<string | null>(null, 'sha256=', 'v1,'),
  });
  const bytes = fc.uint8Array({ minLength: 1, maxLength: 512 });
  const secret = fc.string({ minLength: 1, maxLength: 64 });

  it('a body signed as configured is accepted; with any one byte changed, or under another secret, refused', () => {
    fc.assert(
      fc.property(scheme, bytes, secret, secret, fc.nat(), fc.integer({ min: 1, max: 255 }), (s, body, key, otherKey, position, flip) => {
        const generic: GenericHmacSettings = { ...s, headerName: 'x-sig', timestampHeader: null, timestampSeparator: '.', toleranceSeconds: null };
        const signature = `${s.prefix ?? ''}${createHmac(s.algorithm, key).update(body).digest(s.encoding)}`;
        const request = requestOf(body, { 'X-Sig': signature }, at(NOW));
        expect(verifyInbound('generic', config(key, generic), request)).toMatchObject({ ok: true });
        const changed = Uint8Array.from(body);
        const i = position % changed.length;
        changed[i] = changed[i]! ^ flip;
        expect(verifyInbound('generic', config(key, generic), { ...request, rawBody: changed })).toMatchObject({ ok: false, code: 'no_matching_signature' });
        if (otherKey !== key) expect(verifyInbound('generic', config(otherKey, generic), request)).toMatchObject({ ok: false, code: 'no_matching_signature' });
      }),
      runs,
    );
  });

  it('a header that is not the signature never passes (truncated, empty, or garbage)', () => {
    fc.assert(
      fc.property(bytes, secret, fc.string({ maxLength: 200 }), (body, key, garbage) => {
        const generic: GenericHmacSettings = { algorithm: 'sha256', encoding: 'hex', prefix: null, headerName: 'x-sig', timestampHeader: null, timestampSeparator: '.', toleranceSeconds: null };
        const real = createHmac('sha256', key).update(body).digest('hex');
        for (const sent of [real.slice(0, -2), '', garbage]) {
          if (sent === real) continue;
          expect(verifyInbound('generic', config(key, generic), requestOf(body, { 'x-sig': sent }, at(NOW))).ok).toBe(false);
        }
      }),
      runs,
    );
  });
});
