import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../testing/deciderSpec';
import { eventTypeDecider } from './decide';
import type { EventTypeArchived, EventTypeCreated } from './eventType';

const NOW = '2026-01-01T00:00:00.000Z';
const meta = { now: NOW };
/** The v2 fields, empty. */
const V2 = { examplePayload: null, documentationUrl: null, deprecated: null };
const spec = deciderSpec(eventTypeDecider);

const created: EventTypeCreated = {
  type: 'EventTypeCreated',
  data: {
    name: 'invoice.paid',
    displayName: 'Invoice paid',
    description: null,
    category: 'billing',
    schema: { type: 'object' },
    ...V2,
    createdAt: '2025-12-31T00:00:00.000Z',
  },
};
const archived: EventTypeArchived = { type: 'EventTypeArchived', data: { name: 'invoice.paid', archivedAt: '2025-12-31T12:00:00.000Z' } };

describe('event type decider', () => {
  describe('CreateEventType', () => {
    it('creates an event type with only a name', () => {
      spec
        .given([])
        .when({ type: 'CreateEventType', data: { name: 'user.created' }, metadata: meta })
        .then([
          {
            type: 'EventTypeCreated',
            data: { name: 'user.created', displayName: null, description: null, category: null, schema: null, ...V2, createdAt: NOW },
          },
        ]);
    });

    it('trims the descriptive texts and keeps the schema', () => {
      spec
        .given([])
        .when({
          type: 'CreateEventType',
          data: { name: 'user.created', displayName: ' User created ', description: 'A user signed up.', category: ' users ', schema: { type: 'object' } },
          metadata: meta,
        })
        .then([
          {
            type: 'EventTypeCreated',
            data: {
              name: 'user.created',
              displayName: 'User created',
              description: 'A user signed up.',
              category: 'users',
              schema: { type: 'object' },
              ...V2,
              createdAt: NOW,
            },
          },
        ]);
    });

    it.each(['', '.starts-with-dot', 'has space', 'slash/ed', 'x'.repeat(257)])('rejects the name %j', (name) => {
      spec
        .given([])
        .when({ type: 'CreateEventType', data: { name }, metadata: meta })
        .thenThrows({ kind: 'validation', code: 'validation_failed', field: 'name', rule: 'pattern' });
    });

    it('accepts a name of 256 characters', () => {
      const name = 'a'.repeat(256);
      spec
        .given([])
        .when({ type: 'CreateEventType', data: { name }, metadata: meta })
        .then([{ type: 'EventTypeCreated', data: { name, displayName: null, description: null, category: null, schema: null, ...V2, createdAt: NOW } }]);
    });

    it('rejects a blank display name', () => {
      spec
        .given([])
        .when({ type: 'CreateEventType', data: { name: 'user.created', displayName: '  ' }, metadata: meta })
        .thenThrows({ kind: 'validation', code: 'validation_failed', field: 'displayName', rule: 'required' });
    });

    it('rejects a description over 4096 characters', () => {
      spec
        .given([])
        .when({ type: 'CreateEventType', data: { name: 'user.created', description: 'd'.repeat(4097) }, metadata: meta })
        .thenThrows({ kind: 'validation', code: 'validation_failed', field: 'description', rule: 'max_length' });
    });

    it('refuses to create the same event type twice', () => {
      spec
        .given([created])
        .when({ type: 'CreateEventType', data: { name: 'invoice.paid' }, metadata: meta })
        .thenThrows({ kind: 'conflict', code: 'event_type_exists' });
    });

    it('refuses to recreate an archived event type', () => {
      spec
        .given([created, archived])
        .when({ type: 'CreateEventType', data: { name: 'invoice.paid' }, metadata: meta })
        .thenThrows({ kind: 'conflict', code: 'event_type_exists' });
    });
  });

  describe('UpdateEventType', () => {
    it('keeps the fields not given and clears those given as null', () => {
      spec
        .given([created])
        .when({ type: 'UpdateEventType', data: { name: 'invoice.paid', description: 'Paid in full.', category: null }, metadata: meta })
        .then([
          {
            type: 'EventTypeUpdated',
            data: {
              name: 'invoice.paid',
              displayName: 'Invoice paid',
              description: 'Paid in full.',
              category: null,
              schema: { type: 'object' },
              ...V2,
              updatedAt: NOW,
            },
          },
        ]);
    });

    it('can remove the schema', () => {
      const state = spec
        .given([created])
        .when({ type: 'UpdateEventType', data: { name: 'invoice.paid', schema: null }, metadata: meta })
        .then([
          {
            type: 'EventTypeUpdated',
            data: { name: 'invoice.paid', displayName: 'Invoice paid', description: null, category: 'billing', schema: null, ...V2, updatedAt: NOW },
          },
        ]);
      expect(state).toMatchObject({ status: 'defined', eventType: { schema: null, archived: false, updatedAt: NOW } });
    });

    it('rejects a blank category', () => {
      spec
        .given([created])
        .when({ type: 'UpdateEventType', data: { name: 'invoice.paid', category: '' }, metadata: meta })
        .thenThrows({ kind: 'validation', code: 'validation_failed', field: 'category', rule: 'required' });
    });

    it('is not found on a missing event type', () => {
      spec
        .given([])
        .when({ type: 'UpdateEventType', data: { name: 'invoice.paid', description: 'x' }, metadata: meta })
        .thenThrows({ kind: 'not_found', code: 'event_type_not_found' });
    });
  });

  describe('ArchiveEventType / UnarchiveEventType', () => {
    it('archives a defined event type', () => {
      const state = spec
        .given([created])
        .when({ type: 'ArchiveEventType', data: { name: 'invoice.paid' }, metadata: meta })
        .then([{ type: 'EventTypeArchived', data: { name: 'invoice.paid', archivedAt: NOW } }]);
      expect(state).toMatchObject({ status: 'defined', eventType: { archived: true, updatedAt: NOW } });
    });

    it('archiving twice changes nothing', () => {
      spec.given([created, archived]).when({ type: 'ArchiveEventType', data: { name: 'invoice.paid' }, metadata: meta }).then([]);
    });

    it('unarchives an archived event type', () => {
      const state = spec
        .given([created, archived])
        .when({ type: 'UnarchiveEventType', data: { name: 'invoice.paid' }, metadata: meta })
        .then([{ type: 'EventTypeUnarchived', data: { name: 'invoice.paid', unarchivedAt: NOW } }]);
      expect(state).toMatchObject({ status: 'defined', eventType: { archived: false, updatedAt: NOW } });
    });

    it('unarchiving an event type that is not archived changes nothing', () => {
      spec.given([created]).when({ type: 'UnarchiveEventType', data: { name: 'invoice.paid' }, metadata: meta }).then([]);
    });

    it('archive is not found on a missing event type', () => {
      spec
        .given([])
        .when({ type: 'ArchiveEventType', data: { name: 'invoice.paid' }, metadata: meta })
        .thenThrows({ kind: 'not_found', code: 'event_type_not_found' });
    });

    it('unarchive is not found on a missing event type', () => {
      spec
        .given([])
        .when({ type: 'UnarchiveEventType', data: { name: 'invoice.paid' }, metadata: meta })
        .thenThrows({ kind: 'not_found', code: 'event_type_not_found' });
    });

    it('an archived event type can still be updated', () => {
      spec
        .given([created, archived])
        .when({ type: 'UpdateEventType', data: { name: 'invoice.paid', displayName: 'Paid' }, metadata: meta })
        .then([
          {
            type: 'EventTypeUpdated',
            data: { name: 'invoice.paid', displayName: 'Paid', description: null, category: 'billing', schema: { type: 'object' }, ...V2, updatedAt: NOW },
          },
        ]);
    });
  });
});

describe('event type deprecation (v2)', () => {
  const v2Created: EventTypeCreated = { type: 'EventTypeCreated', data: { ...created.data, examplePayload: { a: 1 }, documentationUrl: 'https://d.test' } };

  it('marks a type deprecated once (the first time is kept), changes the message, and clears the mark', () => {
    const first = eventTypeDecider.decide({ type: 'UpdateEventType', data: { name: 'invoice.paid', deprecated: true, deprecatedMessage: 'use v2' }, metadata: meta }, eventTypeDecider.evolve(eventTypeDecider.initialState(), v2Created));
    expect(first[0]?.data).toMatchObject({ examplePayload: { a: 1 }, documentationUrl: 'https://d.test', deprecated: { at: NOW, message: 'use v2' } });
    const state = first.reduce(eventTypeDecider.evolve, eventTypeDecider.evolve(eventTypeDecider.initialState(), v2Created));
    const later = eventTypeDecider.decide({ type: 'UpdateEventType', data: { name: 'invoice.paid', deprecatedMessage: 'use v3' }, metadata: { now: '2026-02-01T00:00:00.000Z' } }, state);
    expect(later[0]?.data).toMatchObject({ deprecated: { at: NOW, message: 'use v3' } });
    const cleared = eventTypeDecider.decide({ type: 'UpdateEventType', data: { name: 'invoice.paid', deprecated: false }, metadata: meta }, state);
    expect(cleared[0]?.data).toMatchObject({ deprecated: null });
  });
});
