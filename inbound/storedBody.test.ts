import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newPayloadKey, openBody, plainBody, sealedBody } from './storedBody';

describe('stored bodies', () => {
  it('valid UTF-8 is kept as text, anything else as base64, and both open to the same bytes (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const stored = plainBody(bytes);
        expect(Buffer.from(openBody(stored, () => null)!)).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 200 },
    );
    expect(plainBody(Buffer.from('{"a":"é"}'))).toEqual({ kind: 'plain', encoding: 'utf8', data: '{"a":"é"}' });
    expect(plainBody(Uint8Array.of(0xff, 0xfe))).toEqual({ kind: 'plain', encoding: 'base64', data: '//4=' });
  });

  it('a transient body is sealed with its own key: no plaintext in what is stored, opened only with that key', () => {
    const raw = Buffer.from('{"patient":"Jane Doe","ssn":"123-45-6789"}');
    const key = newPayloadKey('pk_1');
    const stored = sealedBody(raw, key);
    const text = JSON.stringify(stored);
    for (const fragment of ['Jane Doe', '123-45-6789', raw.toString('base64').slice(0, 16)]) expect(text).not.toContain(fragment);
    expect(Buffer.from(openBody(stored, (id) => (id === 'pk_1' ? key.key : null))!)).toEqual(raw);
    // The key destroyed: nothing opens it.
    expect(openBody(stored, () => null)).toBeNull();
    // Another key: GCM authentication fails.
    expect(() => openBody(stored, () => newPayloadKey('pk_2').key)).toThrow();
  });
});
