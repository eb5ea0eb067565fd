import { describe, expect, it } from 'vitest';
import { CURRENT_SCHEMA_VERSION, OUTBOUND_SCHEMA_VERSION, upcast } from '../events';
import { categories } from '../streams';
import { INBOUND_SCHEMA_VERSION, inboundCategories, inboundStreams, readInboundEvent } from './events';

describe('inbound events and streams', () => {
  it('no inbound event type shares a name with an outbound one (one $all, one type namespace)', () => {
    const outbound = new Set(Object.keys(OUTBOUND_SCHEMA_VERSION));
    expect(Object.keys(INBOUND_SCHEMA_VERSION).filter((type) => outbound.has(type))).toEqual([]);
  });

  it('the one registry holds both halves: an inbound event read from the log is upcast like any other', () => {
    expect(Object.keys(CURRENT_SCHEMA_VERSION).length).toBe(Object.keys(OUTBOUND_SCHEMA_VERSION).length + Object.keys(INBOUND_SCHEMA_VERSION).length);
    expect(upcast('SourceDeleted', { sourceId: 'src_1', slug: 's', deletedAt: 'x' }, { schemaVersion: 1 })).toEqual({
      type: 'SourceDeleted',
      data: { sourceId: 'src_1', slug: 's', deletedAt: 'x' },
    });
  });

  it('no category is a prefix of another, so a prefix filter on $all reads one kind of stream', () => {
    const all = [...Object.values(categories), ...Object.values(inboundCategories)];
    const clashes = all.flatMap((a) => all.filter((b) => a !== b && b.startsWith(a)).map((b) => `${a} ⊂ ${b}`));
    expect(clashes).toEqual([]);
    expect(inboundStreams.inboundDelivery('ibd_1').startsWith(inboundCategories.inbound)).toBe(false);
  });

  it('reads its own types and leaves unknown ones alone', () => {
    expect(readInboundEvent('RouteDeleted', { routeId: 'rte_1', sourceId: 'src_1', deletedAt: 'x' })).toEqual({
      type: 'RouteDeleted',
      data: { routeId: 'rte_1', sourceId: 'src_1', deletedAt: 'x' },
    });
    expect(readInboundEvent('MessageSent', {})).toBeNull();
  });
});
