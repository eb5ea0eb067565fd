import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SealedSecret } from '../secretBox';
import { deciderSpec } from '../testing/deciderSpec';
import type { CreateSource, SourceInput } from './decide';
import { sourceDecider } from './decide';
import type { GenericHmacSettings } from './providers';
import type { SourceCreated, SourceDeleted, SourceSettings } from './source';

const NOW = '2026-01-01T00:00:00.000Z';
const EARLIER = '2025-12-31T00:00:00.000Z';
const meta = { now: NOW };
const spec = deciderSpec(sourceDecider);
const sealed: SealedSecret = { alg: 'A256GCM', iv: 'aXYx', tag: 'dGFnMQ==', data: 'c2VjcmV0MQ==' };
const sealed2: SealedSecret = { alg: 'A256GCM', iv: 'aXYy', tag: 'dGFnMg==', data: 'c2VjcmV0Mg==' };

const settings: SourceSettings = {
  name: 'Stripe',
  description: null,
  provider: 'stripe',
  verifySignature: true,
  verification: { toleranceSeconds: null, generic: null, publicKey: null },
  dedupStrategy: 'none',
  dedupWindow: 86_400,
  dedupHeaderName: null,
  ipFilterMode: 'none',
  ipAllowlist: [],
  ipDenylist: [],
  rateLimit: null,
  rateLimitWindow: 60,
  transientMode: false,
};
const created: SourceCreated = { type: 'SourceCreated', data: { ...settings, sourceId: 'src_1', slug: 'stripe', isActive: true, signingSecret: sealed, createdAt: EARLIER } };
const deleted: SourceDeleted = { type: 'SourceDeleted', data: { sourceId: 'src_1', slug: 'stripe', deletedAt: EARLIER } };

const create = (input: Partial<SourceInput> & { slug?: string; signingSecret?: SealedSecret | null; isActive?: boolean } = {}): CreateSource => ({
  type: 'CreateSource',
  data: { sourceId: 'src_1', name: 'Stripe', provider: 'stripe', verifySignature: true, signingSecret: sealed, ...input },
  metadata: meta,
});
const update = (data: Record<string, unknown>) => ({ type: 'UpdateSource', data: { sourceId: 'src_1', ...data }, metadata: meta }) as const;
const invalid = (field: string, rule: string) => ({ kind: 'validation', code: 'validation_failed', field, rule }) as const;

const generic: GenericHmacSettings = {
  algorithm: 'sha256',
  headerName: 'X-Signature',
  encoding: 'hex',
  prefix: 'sha256=',
  timestampHeader: null,
  timestampSeparator: '.',
  toleranceSeconds: null,
};

describe('source decider', () => {
  describe('CreateSource', () => {
    it('creates a Stripe source with the defaults, its slug from its name', () => {
      spec.given([]).when(create()).then([{ ...created, data: { ...created.data, createdAt: NOW } }]);
    });

    it('keeps every setting given, normalising IP ranges and header names', () => {
      const state = spec
        .given([])
        .when(
          create({
            name: 'Orders (Shopify)',
            slug: 'shop-orders',
            provider: 'shopify',
            description: 'Order webhooks',
            dedupStrategy: 'header',
            dedupHeaderName: 'X-Shopify-Webhook-Id',
            dedupWindow: 3600,
            ipFilterMode: 'allowlist',
            ipAllowlist: ['10.0.0.0/8', ' 2001:db8::1 '],
            rateLimit: 100,
            rateLimitWindow: 10,
            transientMode: true,
            verification: { toleranceSeconds: 120, generic: null, publicKey: null },
          }),
        )
        .then([
          {
            type: 'SourceCreated',
            data: {
              ...settings,
              name: 'Orders (Shopify)',
              provider: 'shopify',
              description: 'Order webhooks',
              dedupStrategy: 'header',
              dedupHeaderName: 'x-shopify-webhook-id',
              dedupWindow: 3600,
              ipFilterMode: 'allowlist',
              ipAllowlist: ['10.0.0.0/8', '2001:db8::1'],
              rateLimit: 100,
              rateLimitWindow: 10,
              transientMode: true,
              verification: { toleranceSeconds: 120, generic: null, publicKey: null },
              sourceId: 'src_1',
              slug: 'shop-orders',
              isActive: true,
              signingSecret: sealed,
              createdAt: NOW,
            },
          },
        ]);
      expect(state).toMatchObject({ status: 'active', source: { id: 'src_1', slug: 'shop-orders', transientMode: true, updatedAt: NOW } });
    });

    it('a generic source keeps its HMAC settings, the header names lower-cased', () => {
      const state = spec
        .given([])
        .when(create({ provider: 'generic', verification: { toleranceSeconds: null, generic: { ...generic, timestampHeader: 'X-Ts', toleranceSeconds: 300 }, publicKey: null } }))
        .then([
          {
            ...created,
            data: {
              ...created.data,
              provider: 'generic',
              verification: { toleranceSeconds: null, generic: { ...generic, headerName: 'x-signature', timestampHeader: 'x-ts', toleranceSeconds: 300 }, publicKey: null },
              createdAt: NOW,
            },
          },
        ]);
      expect(state.status).toBe('active');
    });

    it('a sendgrid source verifies with its public key and needs no secret', () => {
      const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
      const state = spec
        .given([])
        .when(create({ provider: 'sendgrid', signingSecret: null, verification: { toleranceSeconds: null, generic: null, publicKey } }))
        .then([{ ...created, data: { ...created.data, provider: 'sendgrid', signingSecret: null, verification: { toleranceSeconds: null, generic: null, publicKey }, createdAt: NOW } }]);
      expect(state.status).toBe('active');
    });

    it('refuses an existing or deleted source id', () => {
      spec.given([created]).when(create()).thenThrows({ kind: 'conflict', code: 'source_exists' });
      spec.given([created, deleted]).when(create()).thenThrows({ kind: 'conflict', code: 'source_exists' });
    });

    describe('validation', () => {
      it.each([
        [{ name: '  ' }, 'name', 'required'],
        [{ slug: 'Has Spaces' }, 'slug', 'pattern'],
        [{ provider: 'paypal' }, 'provider', 'enum'],
        [{ signingSecret: null }, 'signingSecret', 'required'],
        [{ provider: 'generic' }, 'verification.generic', 'required'],
        [{ provider: 'sendgrid', signingSecret: null }, 'verification.publicKey', 'required'],
        [{ provider: 'sendgrid', verification: { toleranceSeconds: null, generic: null, publicKey: 'bm90IGEga2V5' } }, 'verification.publicKey', 'public_key'],
        [{ provider: 'generic', verification: { toleranceSeconds: null, generic: { ...generic, algorithm: 'md5' as 'sha1' }, publicKey: null } }, 'verification.generic.algorithm', 'enum'],
        [{ provider: 'generic', verification: { toleranceSeconds: null, generic: { ...generic, toleranceSeconds: 60 }, publicKey: null } }, 'verification.generic.toleranceSeconds', 'requires'],
        [{ provider: 'generic', verification: { toleranceSeconds: null, generic: { ...generic, headerName: 'bad header' }, publicKey: null } }, 'verification.generic.headerName', 'header_name'],
        [{ verification: { toleranceSeconds: 0, generic: null, publicKey: null } }, 'verification.toleranceSeconds', 'range'],
        [{ dedupStrategy: 'fuzzy' }, 'dedupStrategy', 'enum'],
        [{ dedupStrategy: 'header' }, 'dedupHeaderName', 'required'],
        [{ dedupWindow: 0 }, 'dedupWindow', 'range'],
        [{ ipFilterMode: 'allowlist' }, 'ipAllowlist', 'required'],
        [{ ipFilterMode: 'denylist', ipDenylist: ['10.0.0.300'] }, 'ipDenylist[0]', 'ip'],
        [{ rateLimit: 0 }, 'rateLimit', 'range'],
        [{ rateLimitWindow: 86_401 }, 'rateLimitWindow', 'range'],
      ])('refuses %j (%s: %s)', (input, field, rule) => {
        spec.given([]).when(create(input as Partial<SourceInput>)).thenThrows(invalid(field, rule));
      });

      it('a source that does not verify signatures needs no secret', () => {
        spec
          .given([])
          .when(create({ verifySignature: false, signingSecret: null }))
          .then([{ ...created, data: { ...created.data, verifySignature: false, signingSecret: null, createdAt: NOW } }]);
      });
    });
  });

  describe('UpdateSource', () => {
    it('rewrites the settings and deactivates', () => {
      spec
        .given([created])
        .when(update({ name: 'Stripe live', rateLimit: 50, isActive: false }))
        .then([
          { type: 'SourceUpdated', data: { ...settings, name: 'Stripe live', rateLimit: 50, sourceId: 'src_1', updatedAt: NOW } },
          { type: 'SourceDeactivated', data: { sourceId: 'src_1', deactivatedAt: NOW } },
        ]);
    });

    it('only the activation flag: no settings event; unchanged flag: nothing', () => {
      spec.given([created]).when(update({ isActive: true })).then([]);
      const off = { type: 'SourceDeactivated', data: { sourceId: 'src_1', deactivatedAt: EARLIER } } as const;
      spec.given([created, off]).when(update({ isActive: true })).then([{ type: 'SourceActivated', data: { sourceId: 'src_1', activatedAt: NOW } }]);
    });

    it('checks the settings as they would be: switching to header dedup needs the header', () => {
      spec.given([created]).when(update({ dedupStrategy: 'header' })).thenThrows(invalid('dedupHeaderName', 'required'));
    });

    it('a deleted or unknown source is not found', () => {
      spec.given([created, deleted]).when(update({ name: 'x' })).thenThrows({ kind: 'not_found', code: 'source_not_found' });
      spec.given([]).when(update({ name: 'x' })).thenThrows({ kind: 'not_found', code: 'source_not_found' });
    });
  });

  it('rotates the secret and deletes, releasing the slug in the event', () => {
    const state = spec
      .given([created])
      .when({ type: 'RotateSourceSecret', data: { sourceId: 'src_1', signingSecret: sealed2 }, metadata: meta })
      .then([{ type: 'SourceSecretRotated', data: { sourceId: 'src_1', signingSecret: sealed2, rotatedAt: NOW } }]);
    expect(state).toMatchObject({ source: { signingSecret: sealed2 } });
    spec.given([created]).when({ type: 'DeleteSource', data: { sourceId: 'src_1' }, metadata: meta }).then([{ ...deleted, data: { ...deleted.data, deletedAt: NOW } }]);
  });
});
