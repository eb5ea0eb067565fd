import { describe, expect, it } from 'vitest';
import { CURRENT_SCHEMA_VERSION, eventMetadata, isHookbaseEventType, upcast } from './events';

describe('upcast', () => {
  it('returns the current shape of a v1 event', () => {
    const data = { endpointId: 'ep_1', enabledAt: '2026-01-01T00:00:00.000Z' };
    expect(upcast('EndpointEnabled', data, { schemaVersion: 1 })).toEqual({ type: 'EndpointEnabled', data });
  });

  it('reads an event without a schema version as v1', () => {
    const data = { applicationId: 'app_1', deletedAt: '2026-01-01T00:00:00.000Z' };
    expect(upcast('ApplicationDeleted', data, {})).toEqual({ type: 'ApplicationDeleted', data });
  });

  it.each(Object.keys(CURRENT_SCHEMA_VERSION))('reads %s at its current version', (type) => {
    const data = { some: 'data' };
    expect(upcast(type, data, eventMetadata(type as keyof typeof CURRENT_SCHEMA_VERSION))).toEqual({ type, data });
  });

  it('gives null for a type it does not know (written by a later version)', () => {
    expect(upcast('EndpointTeleported', { endpointId: 'ep_1' }, { schemaVersion: 1 })).toBeNull();
  });

  it('gives null for names inherited from Object.prototype', () => {
    expect(upcast('toString', {}, {})).toBeNull();
    expect(upcast('__proto__', {}, {})).toBeNull();
    expect(isHookbaseEventType('constructor')).toBe(false);
  });
});

describe('eventMetadata', () => {
  it('stamps the current schema version and keeps the extra fields', () => {
    expect(eventMetadata('MessageSent', { requestId: 'req_1' })).toEqual({ schemaVersion: 1, requestId: 'req_1' });
  });

  it('with nothing extra holds only the schema version', () => {
    expect(eventMetadata('MessageSent')).toEqual({ schemaVersion: 1 });
  });
});

describe('event type events v1 → v2', () => {
  it('reads a v1 EventTypeCreated with no example, documentation link or deprecation', () => {
    const data = { name: 'a.b', displayName: null, description: null, category: null, schema: null, createdAt: '2025-01-01T00:00:00.000Z' };
    expect(upcast('EventTypeCreated', data, { schemaVersion: 1 })).toEqual({ type: 'EventTypeCreated', data: { ...data, examplePayload: null, documentationUrl: null, deprecated: null } });
  });
});
