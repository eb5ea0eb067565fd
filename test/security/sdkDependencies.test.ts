import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createWebhook } from '@hookbase/sdk';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const sdk = join(root, 'sdk');

/** Import specifiers of an ES module's text (static and dynamic imports, and require calls). */
const importsOf = (code: string): string[] =>
  [...code.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);

// The SDK runs in browsers and edge runtimes: its hashing is @noble/hashes (audited, synchronous), nothing of Node's.
describe('@hookbase/sdk dependencies', () => {
  it('depends at run time on @noble/hashes and @noble/curves only (Ed25519 for the audit anchors)', () => {
    const pkg = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(['@noble/curves', '@noble/hashes']);
  });

  it('imports nothing from node: in its sources, its build, or the parts of @noble it loads', () => {
    const sources = readdirSync(join(sdk, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const built = readdirSync(join(sdk, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    expect(built.length).toBeGreaterThan(0);
    const requireFromSdk = createRequire(join(sdk, 'package.json'));
    const nobleDir = dirname(requireFromSdk.resolve('@noble/hashes/sha2.js'));
    const curvesDir = dirname(requireFromSdk.resolve('@noble/curves/ed25519.js'));
    const files = [
      ...sources.map((f) => join(sdk, 'src', f)),
      ...built.map((f) => join(sdk, 'dist', f)),
      ...['sha2.js', 'hmac.js', 'utils.js', '_md.js', '_u64.js'].map((f) => join(nobleDir, f)),
      ...['ed25519.js', 'utils.js', 'abstract/edwards.js', 'abstract/modular.js', 'abstract/curve.js'].map((f) => join(curvesDir, f)),
    ];
    for (const file of files) {
      const specifiers = importsOf(readFileSync(file, 'utf8'));
      expect(specifiers.filter((s) => s.startsWith('node:') || ['crypto', 'fs', 'buffer', 'util'].includes(s)), file).toEqual([]);
      expect(specifiers.filter((s) => !s.startsWith('.') && !s.startsWith('@noble/hashes') && !s.startsWith('@noble/curves')), file).toEqual([]);
    }
  });

  it('still verifies synchronously with the known answer of API.md', () => {
    const webhook = createWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(webhook.sign('msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});
