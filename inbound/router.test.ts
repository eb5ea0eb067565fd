import { describe, expect, it } from 'vitest';
import type { FilterDefinition } from '../domain/route/filters';
import { ROUTE_DEFAULTS } from '../domain/route/decide';
import type { Route } from '../domain/route/route';
import type { RoutingResources } from './router';
import { compileSchema, decideRouting } from './router';
import { DEFAULT_TRANSFORM_LIMITS, compileTransform } from './transforms';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const context = { now: NOW, limits: DEFAULT_TRANSFORM_LIMITS };
const route = (id: string, patch: Partial<Route> = {}): Route => ({
  id,
  name: id,
  sourceId: 'src_1',
  destinationId: `dst_${id}`,
  ...ROUTE_DEFAULTS,
  isActive: true,
  createdAt: '2025-12-01T00:00:00.000Z',
  updatedAt: '2025-12-01T00:00:00.000Z',
  ...patch,
});
const none: RoutingResources = { filters: new Map(), transforms: new Map(), schemas: new Map() };
const subject = { payload: { type: 'order.created', total: 12 }, headers: { 'x-shop': 'eu' } };
const ids = () => {
  let n = 0;
  return () => `ibd_${++n}`;
};

describe('routing decisions', () => {
  it('orders by priority, then creation time, then id', async () => {
    const routes = [route('b'), route('a'), route('high', { priority: 5 }), route('old', { createdAt: '2025-01-01T00:00:00.000Z' })];
    const decision = await decideRouting(routes, subject, none, ids(), context);
    expect(decision.deliveries.map((d) => d.routeId)).toEqual(['high', 'old', 'a', 'b']);
  });

  it('uses a named filter, and skips a route whose named filter, schema or transform no longer exists', async () => {
    const eu: FilterDefinition = { logic: 'and', conditions: [{ field: 'headers.x-shop', operator: 'equals', value: 'eu' }] };
    const resources: RoutingResources = { ...none, filters: new Map([['flt_eu', eu]]) };
    const decision = await decideRouting(
      [route('named', { filterId: 'flt_eu' }), route('gone', { filterId: 'flt_x' }), route('noschema', { schemaId: 'sch_x' }), route('notransform', { transformId: 'trf_x' })],
      subject,
      resources,
      ids(),
      context,
    );
    expect(decision.deliveries.map((d) => d.routeId)).toEqual(['named']);
    expect(decision.skipped).toEqual([
      { routeId: 'gone', reason: 'filter', detail: 'filter flt_x does not exist' },
      { routeId: 'noschema', reason: 'schema', detail: 'schema sch_x does not exist' },
      { routeId: 'notransform', reason: 'transform', detail: 'transform trf_x does not exist' },
    ]);
  });

  it('a transform that fails skips its route with the reason; others still deliver', async () => {
    const resources: RoutingResources = {
      ...none,
      transforms: new Map([['trf_num', await compileTransform('mapping', JSON.stringify([{ source: 'type', target: 'n', type: 'number' }]))]]),
    };
    const decision = await decideRouting([route('bad', { transformId: 'trf_num' }), route('plain')], subject, resources, ids(), context);
    expect(decision).toEqual({
      deliveries: [{ deliveryId: 'ibd_1', routeId: 'plain', destinationId: 'dst_plain', body: { kind: 'original' } }],
      skipped: [{ routeId: 'bad', reason: 'transform', detail: 'failed: mapping[0]: the value at type is not a number' }],
    });
  });

  it('a body that is not JSON: a schema fails and a transform cannot run', async () => {
    const resources: RoutingResources = {
      ...none,
      schemas: new Map([['sch_1', compileSchema({ type: 'object' })]]),
      transforms: new Map([['trf_1', await compileTransform('mapping', '{"a": "b"}')]]),
    };
    const decision = await decideRouting([route('s', { schemaId: 'sch_1' }), route('t', { transformId: 'trf_1' })], { payload: undefined, headers: {} }, resources, ids(), context);
    expect(decision.skipped).toEqual([
      { routeId: 's', reason: 'schema', detail: '(root) must be object' },
      { routeId: 't', reason: 'transform', detail: 'the body is not JSON' },
    ]);
  });

  it('refuses a schema that is not an object', () => {
    expect(() => compileSchema([])).toThrow('jsonSchema must be a JSON Schema object');
  });
});
