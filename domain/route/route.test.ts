import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../testing/deciderSpec';
import type { CreateRoute, RouteInput } from './decide';
import { ROUTE_DEFAULTS, routeDecider } from './decide';
import type { FilterCondition, FilterDefinition } from './filters';
import type { RouteCreated, RouteDeleted, RouteSettings } from './route';

const NOW = '2026-01-01T00:00:00.000Z';
const EARLIER = '2025-12-31T00:00:00.000Z';
const meta = { now: NOW };
const spec = deciderSpec(routeDecider);

const settings: RouteSettings = {
  name: 'Paid invoices to billing',
  sourceId: 'src_1',
  destinationId: 'dst_1',
  ...ROUTE_DEFAULTS,
};
const created: RouteCreated = { type: 'RouteCreated', data: { ...settings, routeId: 'rte_1', isActive: true, createdAt: EARLIER } };
const deleted: RouteDeleted = { type: 'RouteDeleted', data: { routeId: 'rte_1', sourceId: 'src_1', deletedAt: EARLIER } };
const create = (input: Partial<RouteInput> & { isActive?: boolean } = {}): CreateRoute => ({
  type: 'CreateRoute',
  data: { routeId: 'rte_1', name: settings.name, sourceId: 'src_1', destinationId: 'dst_1', ...input },
  metadata: meta,
});
const update = (data: Record<string, unknown>) => ({ type: 'UpdateRoute', data: { routeId: 'rte_1', ...data }, metadata: meta }) as const;
const invalid = (field: string, rule: string) => ({ kind: 'validation', code: 'validation_failed', field, rule }) as const;
const paid: FilterCondition = { field: 'type', operator: 'equals', value: 'invoice.paid' };

describe('route decider', () => {
  it('creates a route with the defaults', () => {
    spec.given([]).when(create()).then([{ ...created, data: { ...created.data, createdAt: NOW } }]);
  });

  it('takes the SDK inline filter (list + filterLogic) and the MCP one ({logic, conditions})', () => {
    const filter: FilterDefinition = { logic: 'or', conditions: [paid] };
    spec
      .given([])
      .when(create({ filterConditions: [paid], filterLogic: 'OR' }))
      .then([{ ...created, data: { ...created.data, filter, createdAt: NOW } }]);
    spec
      .given([])
      .when(create({ filterConditions: { logic: 'OR', conditions: [paid] } }))
      .then([{ ...created, data: { ...created.data, filter, createdAt: NOW } }]);
  });

  it('keeps priority, transform, schema, failover (3 attempts by default) and notification flags as data', () => {
    const state = spec
      .given([])
      .when(
        create({
          priority: 10,
          transformId: 'trf_1',
          schemaId: 'sch_1',
          failoverDestinationIds: ['dst_2', 'dst_3'],
          notifyOnFailure: true,
          notifyEmails: 'ops@example.com, oncall@example.com',
          failureThreshold: 5,
          expectedResponse: '200',
          isActive: false,
        }),
      )
      .then([
        {
          type: 'RouteCreated',
          data: {
            ...settings,
            priority: 10,
            transformId: 'trf_1',
            schemaId: 'sch_1',
            failoverDestinationIds: ['dst_2', 'dst_3'],
            failoverAfterAttempts: 3,
            notifyOnFailure: true,
            notifyEmails: 'ops@example.com,oncall@example.com',
            failureThreshold: 5,
            expectedResponse: '200',
            routeId: 'rte_1',
            isActive: false,
            createdAt: NOW,
          },
        },
      ]);
    expect(state).toMatchObject({ status: 'active', route: { id: 'rte_1', isActive: false } });
  });

  it.each([
    [{ name: '' }, 'name', 'required'],
    [{ sourceId: ' ' }, 'sourceId', 'required'],
    [{ filterId: 'flt_1', filterConditions: [paid] }, 'filterId', 'exclusive'],
    [{ filterConditions: [{ field: 'type', operator: 'like', value: 'x' }] }, 'filterConditions[0].operator', 'enum'],
    [{ filterConditions: { logic: 'AND', conditions: [{ field: 'a', operator: 'regex', value: '(a)\\1' }] } }, 'filterConditions.conditions[0].value', 'regex'],
    [{ filterConditions: [paid], filterLogic: 'nand' }, 'filterLogic', 'enum'],
    [{ priority: 1.5 }, 'priority', 'range'],
    [{ failoverDestinationIds: ['dst_1'] }, 'failoverDestinationIds', 'distinct'],
    [{ failoverDestinationIds: ['dst_2', 'dst_2'] }, 'failoverDestinationIds', 'unique'],
    [{ failoverDestinationIds: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'failoverDestinationIds', 'max_items'],
    [{ failoverAfterAttempts: 0 }, 'failoverAfterAttempts', 'range'],
    [{ notifyEmails: 'ops@example.com, not-an-address' }, 'notifyEmails', 'email'],
  ])('refuses %j (%s: %s)', (input, field, rule) => {
    spec.given([]).when(create(input as Partial<RouteInput>)).thenThrows(invalid(field, rule));
  });

  describe('UpdateRoute', () => {
    const filtered: RouteCreated = { ...created, data: { ...created.data, filter: { logic: 'and', conditions: [paid] } } };

    it('changes only the logic of an inline filter, keeping its conditions', () => {
      spec
        .given([filtered])
        .when(update({ filterLogic: 'or' }))
        .then([{ type: 'RouteUpdated', data: { ...settings, filter: { logic: 'or', conditions: [paid] }, routeId: 'rte_1', updatedAt: NOW } }]);
    });

    it('clears the inline filter with null and switches to a named one', () => {
      spec
        .given([filtered])
        .when(update({ filterConditions: null, filterId: 'flt_1' }))
        .then([{ type: 'RouteUpdated', data: { ...settings, filterId: 'flt_1', routeId: 'rte_1', updatedAt: NOW } }]);
    });

    it('refuses a named filter beside the inline one, checking the settings as they would be', () => {
      spec.given([filtered]).when(update({ filterId: 'flt_1' })).thenThrows(invalid('filterId', 'exclusive'));
    });

    it('activation alone appends only the flag event; delete and not found', () => {
      spec.given([created]).when(update({ isActive: false })).then([{ type: 'RouteDeactivated', data: { routeId: 'rte_1', deactivatedAt: NOW } }]);
      spec.given([created]).when({ type: 'DeleteRoute', data: { routeId: 'rte_1' }, metadata: meta }).then([{ ...deleted, data: { ...deleted.data, deletedAt: NOW } }]);
      spec.given([created, deleted]).when(update({ name: 'x' })).thenThrows({ kind: 'not_found', code: 'route_not_found' });
      spec.given([created]).when(create()).thenThrows({ kind: 'conflict', code: 'route_exists' });
    });
  });
});
