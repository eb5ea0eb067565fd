import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../domain/json';
import type { EventTypeDoc } from '../../projections/readModels';
import { eventTypeCreateIn, eventTypeOut, eventTypePatchIn, schemaIn } from './eventTypes.mapping';

const doc: EventTypeDoc = {
  id: 'order.created', name: 'order.created', displayName: 'Order created', description: null, category: 'orders',
  schema: { type: 'object' }, archived: true, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z',
};

describe('event types mapping', () => {
  it.each<[string, JsonValue | undefined, unknown]>([
    ['absent', undefined, undefined],
    ['null', null, null],
    ['empty text', '', null],
    ['object', { type: 'object' }, { type: 'object' }],
    ['JSON text', '{"type":"object","required":["a"]}', { type: 'object', required: ['a'] }],
  ])('schemaIn: %s', (_n, raw, expected) => expect(schemaIn(raw)).toEqual(expected));

  it.each<[string, JsonValue]>([
    ['text that is not JSON', '{nope'],
    ['JSON text of an array', '[1]'],
    ['a number', 3],
  ])('schemaIn refuses %s, naming the field', (_n, raw) => expect(() => schemaIn(raw)).toThrow(/schema must be a JSON object/));

  it('create in: defaults to null; schema and examplePayload parsed from text', () => {
    expect(eventTypeCreateIn({ name: 'a.b', schema: '{"type":"object"}', examplePayload: { x: 1 } })).toEqual({
      name: 'a.b', displayName: null, description: null, category: null, schema: { type: 'object' }, examplePayload: { x: 1 }, documentationUrl: null,
    });
    expect(eventTypeCreateIn({ name: 'a.b', examplePayload: '{"x":2}', documentationUrl: 'https://d.test' })).toMatchObject({ examplePayload: { x: 2 }, documentationUrl: 'https://d.test' });
    expect(() => eventTypeCreateIn({ name: 'a.b', examplePayload: '{x' })).toThrow(/examplePayload/);
  });

  it.each<[string, Parameters<typeof eventTypePatchIn>[0], unknown]>([
    ['only what is sent', { description: 'd' }, { patch: { description: 'd' }, enable: undefined }],
    ['isEnabled false archives', { isEnabled: false }, { patch: {}, enable: false }],
    ['schema text and enable', { schema: '{}', isEnabled: true }, { patch: { schema: {} }, enable: true }],
    ['null clears', { category: null, schema: null }, { patch: { category: null, schema: null }, enable: undefined }],
    ['deprecation', { isDeprecated: true, deprecatedMessage: 'use v2' }, { patch: { deprecated: true, deprecatedMessage: 'use v2' }, enable: undefined }],
  ])('patch in: %s', (_n, body, expected) => expect(eventTypePatchIn(body)).toEqual(expected));

  it('out: id is the name, schema as JSON text, isEnabled opposite of archived', () => {
    expect(eventTypeOut(doc, 3)).toEqual({
      id: 'order.created', name: 'order.created', displayName: 'Order created', description: null, category: 'orders',
      schema: '{"type":"object"}', examplePayload: null, documentationUrl: null, isEnabled: false, isArchived: true, isDeprecated: false,
      deprecatedAt: null, deprecatedMessage: null, schemaVersion: 1, subscriptionCount: 3,
      createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z',
    });
    expect(eventTypeOut({ ...doc, schema: null, archived: false }, 0)).toMatchObject({ schema: null, isEnabled: true, isArchived: false, schemaVersion: null });
    expect(eventTypeOut({ ...doc, schemaVersion: 3 }, 0)).toMatchObject({ schemaVersion: 3 });
    expect(eventTypeOut({ ...doc, examplePayload: { a: 1 }, deprecated: { at: '2026-01-03T00:00:00.000Z', message: 'v2' } }, 0)).toMatchObject({
      examplePayload: '{"a":1}', isDeprecated: true, deprecatedAt: '2026-01-03T00:00:00.000Z', deprecatedMessage: 'v2',
    });
  });
});
