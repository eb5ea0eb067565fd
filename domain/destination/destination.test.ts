import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import type { SealedSecret } from '../secretBox';
import { deciderSpec } from '../testing/deciderSpec';
import type { CreateDestination, DestinationInput } from './decide';
import { destinationDecider } from './decide';
import type { DestinationCreated, DestinationDeleted, DestinationSettings } from './destination';
import { requireAuthConfig } from './rules';

const NOW = '2026-01-01T00:00:00.000Z';
const EARLIER = '2025-12-31T00:00:00.000Z';
const meta = { now: NOW };
const spec = deciderSpec(destinationDecider);
const sealed: SealedSecret = { alg: 'A256GCM', iv: 'aXYx', tag: 'dGFnMQ==', data: 'YXV0aA==' };
const sealed2: SealedSecret = { alg: 'A256GCM', iv: 'aXYy', tag: 'dGFnMg==', data: 'YXV0aDI=' };

const settings: DestinationSettings = {
  name: 'Billing service',
  description: null,
  type: 'http',
  url: 'https://billing.internal.example/hooks',
  method: 'POST',
  headers: {},
  authType: 'none',
  timeoutMs: 30_000,
  retryCount: 5,
  retryInterval: 60,
  rateLimit: null,
  rateLimitWindow: 60,
};
const created: DestinationCreated = {
  type: 'DestinationCreated',
  data: { ...settings, destinationId: 'dst_1', slug: 'billing-service', isActive: true, auth: null, createdAt: EARLIER },
};
const deleted: DestinationDeleted = { type: 'DestinationDeleted', data: { destinationId: 'dst_1', deletedAt: EARLIER } };
const create = (input: Partial<DestinationInput> & { slug?: string } = {}): CreateDestination => ({
  type: 'CreateDestination',
  data: { destinationId: 'dst_1', name: 'Billing service', url: 'https://billing.internal.example/hooks', ...input },
  metadata: meta,
});
const update = (data: Record<string, unknown>) => ({ type: 'UpdateDestination', data: { destinationId: 'dst_1', ...data }, metadata: meta }) as const;
const invalid = (field: string, rule: string) => ({ kind: 'validation', code: 'validation_failed', field, rule }) as const;

describe('destination decider', () => {
  it('creates an http destination with the defaults', () => {
    spec.given([]).when(create()).then([{ ...created, data: { ...created.data, createdAt: NOW } }]);
  });

  it('keeps every setting, the method upper-cased, with sealed bearer credentials', () => {
    const state = spec
      .given([])
      .when(create({ slug: 'billing', method: 'put', headers: { 'X-Team': 'billing' }, authType: 'bearer', auth: sealed, timeoutMs: 5000, retryCount: 2, retryInterval: 10, rateLimit: 30 }))
      .then([
        {
          type: 'DestinationCreated',
          data: {
            ...settings,
            method: 'PUT',
            headers: { 'X-Team': 'billing' },
            authType: 'bearer',
            timeoutMs: 5000,
            retryCount: 2,
            retryInterval: 10,
            rateLimit: 30,
            destinationId: 'dst_1',
            slug: 'billing',
            isActive: true,
            auth: sealed,
            createdAt: NOW,
          },
        },
      ]);
    expect(state).toMatchObject({ status: 'active', destination: { id: 'dst_1', auth: sealed } });
  });

  it.each([
    [{ type: 's3' }, 'type', 'unsupported'],
    [{ type: 'ftp' }, 'type', 'enum'],
    [{ url: undefined }, 'url', 'required'],
    [{ url: 'ftp://x.example' }, 'url', 'scheme'],
    [{ method: 'TRACE' }, 'method', 'enum'],
    [{ authType: 'oauth' }, 'authType', 'enum'],
    [{ authType: 'basic' }, 'authConfig', 'required'],
    [{ timeoutMs: 60_001 }, 'timeoutMs', 'range'],
    [{ retryCount: 21 }, 'retryCount', 'range'],
    [{ headers: { Host: 'x' } }, 'headers.Host', 'reserved'],
  ])('refuses %j (%s: %s)', (input, field, rule) => {
    spec.given([]).when(create(input as Partial<DestinationInput>)).thenThrows(invalid(field, rule));
  });

  it('an object-store type is refused naming what is supported', () => {
    spec
      .given([])
      .when(create({ type: 'gcs' }))
      .thenThrows((e) => e.message === 'type gcs is not supported by a self-hosted Hookbase: only http destinations are delivered.');
  });

  it('updates, keeping sealed credentials while the auth type stays, and requiring new ones when it changes', () => {
    const withAuth = { ...created, data: { ...created.data, authType: 'bearer' as const, auth: sealed } };
    spec
      .given([withAuth])
      .when(update({ timeoutMs: 1000 }))
      .then([{ type: 'DestinationUpdated', data: { ...settings, authType: 'bearer', timeoutMs: 1000, destinationId: 'dst_1', auth: sealed, updatedAt: NOW } }]);
    spec.given([withAuth]).when(update({ authType: 'basic' })).thenThrows(invalid('authConfig', 'required'));
    spec
      .given([withAuth])
      .when(update({ authType: 'basic', auth: sealed2 }))
      .then([{ type: 'DestinationUpdated', data: { ...settings, authType: 'basic', destinationId: 'dst_1', auth: sealed2, updatedAt: NOW } }]);
    spec
      .given([withAuth])
      .when(update({ authType: 'none' }))
      .then([{ type: 'DestinationUpdated', data: { ...settings, destinationId: 'dst_1', auth: null, updatedAt: NOW } }]);
  });

  it('deactivates, deletes, and a deleted destination is not found', () => {
    spec.given([created]).when(update({ isActive: false })).then([{ type: 'DestinationDeactivated', data: { destinationId: 'dst_1', deactivatedAt: NOW } }]);
    spec.given([created]).when({ type: 'DeleteDestination', data: { destinationId: 'dst_1' }, metadata: meta }).then([{ ...deleted, data: { ...deleted.data, deletedAt: NOW } }]);
    spec.given([created, deleted]).when(update({ name: 'x' })).thenThrows({ kind: 'not_found', code: 'destination_not_found' });
    spec.given([created]).when(create()).thenThrows({ kind: 'conflict', code: 'destination_exists' });
  });
});

describe('auth credentials (checked before sealing)', () => {
  it.each([
    ['basic', { username: 'u', password: 'p' }, { type: 'basic', username: 'u', password: 'p' }],
    ['bearer', { token: 't' }, { type: 'bearer', token: 't' }],
    ['api_key', { apiKey: 'k' }, { type: 'api_key', headerName: 'X-API-Key', key: 'k' }],
    ['api_key', { key: 'k', headerName: 'X-Key' }, { type: 'api_key', headerName: 'X-Key', key: 'k' }],
    ['custom_header', { headerName: 'X-Auth', headerValue: 'v' }, { type: 'custom_header', headerName: 'X-Auth', value: 'v' }],
    ['none', {}, null],
  ] as const)('%s %j', (type, config, expected) => {
    expect(requireAuthConfig('authConfig', type, config)).toEqual(expected);
  });

  it.each([
    ['basic', { username: 'u' }, 'authConfig.password'],
    ['basic', { username: 'a:b', password: 'p' }, 'authConfig.username'],
    ['bearer', { token: 'a\r\nX-Injected: 1' }, 'authConfig.token'],
    ['custom_header', { headerValue: 'v' }, 'authConfig.headerName'],
    ['custom_header', { headerName: 'bad name', headerValue: 'v' }, 'authConfig.headerName'],
  ] as const)('refuses %s %j naming %s, never echoing a value', (type, config, field) => {
    let error: unknown;
    try {
      requireAuthConfig('authConfig', type, config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).details[0]?.field).toBe(field);
    for (const value of Object.values(config)) if (value.length > 2) expect((error as DomainError).message).not.toContain(value);
  });
});
