import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sign, signatureHeader } from './signing';

describe('signatureHeader', () => {
  it('matches the known answer in API.md', () => {
    expect(signatureHeader(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('carries one v1 signature per secret, space-separated, each verifiable on its own', () => {
    const secrets = ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', `whsec_${Buffer.alloc(32, 7).toString('base64')}`];
    const header = signatureHeader(secrets, 'msg_1', 1700000000, '{"a":1}');
    const parts = header.split(' ');
    expect(parts).toHaveLength(2);
    parts.forEach((part, i) => {
      const key = Buffer.from(secrets[i]!.slice(6), 'base64');
      expect(part).toBe(`v1,${createHmac('sha256', key).update('msg_1.1700000000.{"a":1}').digest('base64')}`);
    });
    expect(parts[0]).toBe(sign(secrets[0]!, 'msg_1', 1700000000, '{"a":1}'));
  });
});
