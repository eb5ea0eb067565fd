import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { requireFilterConditions, requireInlineFilter } from './filters';
import { compileLinearRegex } from './linearRegex';

const refusal = (run: () => unknown): { field: string; rule: string; message: string } | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.details[0];
    throw error;
  }
  return undefined;
};

describe('filter conditions: meaning checks', () => {
  it('accepts both client shapes of an inline filter', () => {
    const conditions = [{ field: 'type', operator: 'equals', value: 'invoice.paid' }];
    expect(requireInlineFilter(conditions, 'OR')).toEqual({ logic: 'or', conditions });
    expect(requireInlineFilter({ logic: 'AND', conditions }, undefined)).toEqual({ logic: 'and', conditions });
    expect(requireInlineFilter(null, 'and')).toBeNull();
    expect(requireFilterConditions('conditions', [{ field: 'a', operator: 'exists' }])).toEqual([{ field: 'a', operator: 'exists', value: null }]);
  });

  it.each([
    [[{ field: 'a', operator: 'matches', value: 'x' }], 'conditions[0].operator', 'enum'],
    [[{ field: '', operator: 'equals', value: 'x' }], 'conditions[0].field', 'required'],
    [[{ field: 'a', operator: 'equals' }], 'conditions[0].value', 'required'],
    [[{ field: 'a', operator: 'regex', value: '(a)\\1' }], 'conditions[0].value', 'regex'],
    [[{ field: 'a', operator: 'regex', value: '(?<=a)b' }], 'conditions[0].value', 'regex'],
    [[{ field: 'a', operator: 'regex', value: '(' }], 'conditions[0].value', 'regex'],
    [[{ field: 'a', operator: 'regex', value: 'a'.repeat(257) }], 'conditions[0].value', 'regex'],
    [[{ field: 'a', operator: 'regex', value: 3 }], 'conditions[0].value', 'type'],
    [{ field: 'a' }, 'conditions', 'type'],
    [Array.from({ length: 51 }, () => ({ field: 'a', operator: 'exists' })), 'conditions', 'max_items'],
  ])('refuses %j naming %s (%s)', (raw, field, rule) => {
    expect(refusal(() => requireFilterConditions('conditions', raw))).toMatchObject({ field, rule });
  });

  it('refuses a logic other than and/or', () => {
    expect(refusal(() => requireInlineFilter([], 'xor'))).toMatchObject({ field: 'filterLogic', rule: 'enum' });
  });

  it('says why a backtracking pattern is refused', () => {
    expect(compileLinearRegex('(a)\\1')).toEqual({ ok: false, reason: 'the pattern needs backtracking (backreferences and lookarounds are not supported)' });
  });
});
