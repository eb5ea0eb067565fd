import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../testing/deciderSpec';
import type { FilterCreated, SchemaCreated, TransformCreated } from './pipeline';
import { filterDecider, schemaDecider, transformDecider } from './pipeline';

const NOW = '2026-01-01T00:00:00.000Z';
const EARLIER = '2025-12-31T00:00:00.000Z';
const meta = { now: NOW };
const invalid = (field: string, rule: string) => ({ kind: 'validation', code: 'validation_failed', field, rule }) as const;

const transformCreated: TransformCreated = {
  type: 'TransformCreated',
  data: { transformId: 'trf_1', name: 'Invoice', description: null, transformType: 'jsonata', code: '{"id": data.object.id}', createdAt: EARLIER },
};

describe('filter, transform and schema deciders', () => {
  it('a filter keeps its conditions and logic; a regex that needs backtracking is refused naming the condition', () => {
    const spec = deciderSpec(filterDecider);
    const created: FilterCreated = {
      type: 'FilterCreated',
      data: { filterId: 'flt_1', name: 'Paid', description: null, conditions: [{ field: 'type', operator: 'equals', value: 'invoice.paid' }], logic: 'or', createdAt: NOW },
    };
    spec.given([]).when({ type: 'CreateFilter', data: { id: 'flt_1', name: 'Paid', conditions: [{ field: 'type', operator: 'equals', value: 'invoice.paid' }], logic: 'OR' }, metadata: meta }).then([created]);
    spec
      .given([])
      .when({ type: 'CreateFilter', data: { id: 'flt_1', name: 'Bad', conditions: [{ field: 'type', operator: 'regex', value: '(a)\\1' }] }, metadata: meta })
      .thenThrows(invalid('conditions[0].value', 'regex'));
  });

  it('a transform update counts a version; javascript is refused saying there is no real sandbox', () => {
    const spec = deciderSpec(transformDecider);
    const state = spec
      .given([transformCreated])
      .when({ type: 'UpdateTransform', data: { id: 'trf_1', code: '{"n": 1}' }, metadata: meta })
      .then([{ type: 'TransformUpdated', data: { transformId: 'trf_1', name: 'Invoice', description: null, transformType: 'jsonata', code: '{"n": 1}', version: 2, updatedAt: NOW } }]);
    expect(state).toMatchObject({ status: 'active', part: { version: 2, code: '{"n": 1}' } });
    spec.given([]).when({ type: 'CreateTransform', data: { id: 'trf_2', name: 'JS', transformType: 'javascript', code: 'return 1' }, metadata: meta }).thenThrows(invalid('transformType', 'unsupported'));
    expect(() => transformDecider.decide({ type: 'CreateTransform', data: { id: 'trf_2', name: 'JS', transformType: 'javascript', code: 'x' }, metadata: meta }, transformDecider.initialState())).toThrow(/no real sandbox/);
  });

  it('a deleted schema is gone; a schema must be an object', () => {
    const spec = deciderSpec(schemaDecider);
    const created: SchemaCreated = { type: 'SchemaCreated', data: { schemaId: 'sch_1', name: 'S', description: null, jsonSchema: { type: 'object' }, createdAt: EARLIER } };
    spec.given([created]).when({ type: 'DeleteSchema', data: { id: 'sch_1' }, metadata: meta }).then([{ type: 'SchemaDeleted', data: { schemaId: 'sch_1', deletedAt: NOW } }]);
    spec.given([created, { type: 'SchemaDeleted', data: { schemaId: 'sch_1', deletedAt: NOW } }]).when({ type: 'UpdateSchema', data: { id: 'sch_1', name: 'T' }, metadata: meta }).thenThrows({ kind: 'not_found', code: 'schema_not_found' });
    spec.given([]).when({ type: 'CreateSchema', data: { id: 'sch_2', name: 'S', jsonSchema: [1] }, metadata: meta }).thenThrows(invalid('jsonSchema', 'type'));
  });
});
