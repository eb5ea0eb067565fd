import { describe, expect, it } from 'vitest';
import { DomainError } from '../../domain/errors';
import type { ApplicationDoc } from '../../projections/readModels';
import { applicationCreateIn, applicationOut, applicationPatchIn, applicationUpsertIn, uidOf } from './applications.mapping';
import type { CompatApplicationBody } from './applications.mapping';

const doc: ApplicationDoc = { id: 'app_1', name: 'Acme', uid: 'cust-1', metadata: { plan: 'pro' }, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z' };

describe('applications mapping', () => {
  it.each<[string, CompatApplicationBody, string | null]>([
    ['externalId', { externalId: 'a' }, 'a'],
    ['uid', { uid: 'b' }, 'b'],
    ['both, equal', { externalId: 'c', uid: 'c' }, 'c'],
    ['neither', {}, null],
    ['null externalId, uid', { externalId: null, uid: 'd' }, 'd'],
  ])('uidOf: %s', (_name, body, expected) => expect(uidOf(body)).toBe(expected));

  it('refuses two different spellings at once, naming externalId', () => {
    expect(() => uidOf({ externalId: 'a', uid: 'b' })).toThrow(DomainError);
    try {
      uidOf({ externalId: 'a', uid: 'b' });
    } catch (e) {
      expect((e as DomainError).details[0]?.field).toBe('externalId');
    }
  });

  it.each<[string, CompatApplicationBody, unknown]>([
    ['name and externalId', { name: 'A', externalId: 'x' }, { name: 'A', uid: 'x' }],
    ['metadata kept, rate limits dropped', { name: 'A', metadata: { k: 1 }, rateLimitPerSecond: 5 }, { name: 'A', uid: null, metadata: { k: 1 } }],
    ['null metadata dropped', { name: 'A', metadata: null }, { name: 'A', uid: null }],
  ])('create in: %s', (_n, body, expected) => expect(applicationCreateIn(body)).toEqual(expected));

  it.each<[string, CompatApplicationBody, unknown]>([
    ['uid and name', { uid: 'u', name: 'N' }, { uid: 'u', name: 'N' }],
    ['name defaults to the uid', { externalId: 'u' }, { uid: 'u', name: 'u' }],
  ])('upsert in: %s', (_n, body, expected) => expect(applicationUpsertIn(body)).toEqual(expected));

  it('upsert without an id is a validation error', () => expect(() => applicationUpsertIn({ name: 'x' })).toThrow(/externalId/));

  it.each<[string, CompatApplicationBody, unknown]>([
    ['name only', { name: 'B' }, { patch: { name: 'B' }, disable: null }],
    ['metadata null clears it', { metadata: null }, { patch: { metadata: {} }, disable: null }],
    ['rate limits ignored', { rateLimitPerHour: 3 }, { patch: {}, disable: null }],
    ['disable with a reason', { isDisabled: true, disabledReason: 'unpaid' }, { patch: {}, disable: { disabled: true, reason: 'unpaid' } }],
    ['enable drops a reason', { isDisabled: false, disabledReason: 'x' }, { patch: {}, disable: { disabled: false, reason: null } }],
  ])('patch in: %s', (_n, body, expected) => expect(applicationPatchIn(body)).toEqual(expected));

  it('out: externalId and uid carry the same value; totals and defaults', () => {
    expect(applicationOut({ ...doc, disabled: true, disabledReason: 'unpaid', disabledAt: '2026-01-02T00:00:00.000Z' }, 'o')).toMatchObject({
      isDisabled: true, disabledReason: 'unpaid', disabledAt: '2026-01-02T00:00:00.000Z', totalEndpoints: 0, lastEventAt: null,
    });
    expect(applicationOut(doc, 'org_default', { totalEndpoints: 2, totalMessagesSent: 9, totalMessagesFailed: 1, lastEventAt: '2026-01-03T00:00:00.000Z' })).toEqual({
      id: 'app_1', organizationId: 'org_default', externalId: 'cust-1', uid: 'cust-1', name: 'Acme', metadata: { plan: 'pro' },
      isDisabled: false, disabledAt: null, disabledReason: null, rateLimitPerSecond: null, rateLimitPerMinute: null, rateLimitPerHour: null,
      totalEndpoints: 2, totalMessagesSent: 9, totalMessagesFailed: 1, lastEventAt: '2026-01-03T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z',
    });
  });
});
