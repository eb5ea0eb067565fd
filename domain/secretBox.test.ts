import { describe, expect, it } from 'vitest';
import { generateMasterKey, generateSigningSecret, isValidSigningSecret, openSecret, parseMasterKey, sealSecret } from './secretBox';

const masterKey = parseMasterKey(generateMasterKey());
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('sealSecret / openSecret', () => {
  it('round-trips a secret', () => {
    expect(openSecret(masterKey, sealSecret(masterKey, secret))).toBe(secret);
  });

  it('the sealed form does not contain the secret, in clear or in base64', () => {
    const sealed = sealSecret(masterKey, secret);
    const text = JSON.stringify(sealed);
    expect(sealed.alg).toBe('A256GCM');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice('whsec_'.length));
    expect(text).not.toContain(Buffer.from(secret).toString('base64'));
  });

  it('sealing twice gives different ciphertexts (a fresh iv each time)', () => {
    const a = sealSecret(masterKey, secret);
    const b = sealSecret(masterKey, secret);
    expect(a.iv).not.toBe(b.iv);
    expect(a.data).not.toBe(b.data);
  });

  it('fails with another master key', () => {
    const sealed = sealSecret(masterKey, secret);
    expect(() => openSecret(parseMasterKey(generateMasterKey()), sealed)).toThrow();
  });

  it('fails when the ciphertext was tampered with', () => {
    const sealed = sealSecret(masterKey, secret);
    const bytes = Buffer.from(sealed.data, 'base64');
    bytes[0] = bytes[0]! ^ 1;
    expect(() => openSecret(masterKey, { ...sealed, data: bytes.toString('base64') })).toThrow();
  });
});

describe('parseMasterKey', () => {
  it('accepts 32 bytes of base64', () => {
    expect(parseMasterKey(generateMasterKey())).toHaveLength(32);
  });

  it('refuses a key of another length', () => {
    expect(() => parseMasterKey(Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
  });
});

describe('signing secrets', () => {
  it('a generated secret is whsec_ + base64 of 24 bytes', () => {
    const generated = generateSigningSecret();
    expect(generated).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(generated.slice('whsec_'.length), 'base64')).toHaveLength(24);
    expect(generateSigningSecret()).not.toBe(generated);
  });

  it('a generated secret is valid', () => {
    expect(isValidSigningSecret(generateSigningSecret())).toBe(true);
  });

  it('accepts the Standard Webhooks example secret and secrets of 24 to 64 bytes', () => {
    expect(isValidSigningSecret(secret)).toBe(true);
    expect(isValidSigningSecret(`whsec_${Buffer.alloc(24, 7).toString('base64')}`)).toBe(true);
    expect(isValidSigningSecret(`whsec_${Buffer.alloc(64, 7).toString('base64')}`)).toBe(true);
  });

  it.each([
    ['too short', `whsec_${Buffer.alloc(23, 7).toString('base64')}`],
    ['too long', `whsec_${Buffer.alloc(65, 7).toString('base64')}`],
    ['without prefix', Buffer.alloc(24, 7).toString('base64')],
    ['with another prefix', `sk_${Buffer.alloc(24, 7).toString('base64')}`],
    ['not base64', 'whsec_not-base64-at-all!!not-base64-at-all!!'],
    ['empty', 'whsec_'],
  ])('refuses a secret %s', (_, candidate) => {
    expect(isValidSigningSecret(candidate)).toBe(false);
  });
});
