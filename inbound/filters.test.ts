import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../domain/json';
import type { FilterCondition, FilterDefinition, FilterOperator } from '../domain/route/filters';
import type { FilterSubject } from './filters';
import { evaluateCondition, evaluateFilter } from './filters';

const invoice = {
  id: 'evt_1',
  type: 'invoice.paid',
  livemode: false,
  created: '2026-01-01T10:00:00Z',
  data: { object: { amount_paid: 4200, currency: 'eur', lines: [{ id: 'li_1', price: 1000 }, { id: 'li_2', price: 3200 }], tags: ['vip', 'eu'], note: null } },
};
const subject: FilterSubject = { payload: invoice, headers: { 'Stripe-Signature': 't=1,v1=x', 'X-Event-Type': ['invoice.paid', 'again'] } };
const cond = (field: string, operator: FilterOperator, value: JsonValue = null): FilterCondition => ({ field, operator, value });

describe('filter conditions on a Stripe invoice.paid', () => {
  it.each([
    [cond('type', 'equals', 'invoice.paid'), true],
    [cond('body.type', 'equals', 'invoice.paid'), true],
    [cond('$.data.object.currency', 'equals', 'eur'), true],
    [cond('data.object.amount_paid', 'equals', '4200'), true], // the MCP server sends values as strings
    [cond('data.object.amount_paid', 'equals', 4200), true],
    [cond('livemode', 'equals', 'false'), true],
    [cond('data.object.tags', 'equals', ['vip', 'eu']), true],
    [cond('data.object.tags', 'equals', ['eu', 'vip']), false],
    [cond('type', 'equals', 'invoice.PAID'), false],
    [cond('missing.path', 'equals', 'x'), false],
    [cond('type', 'not_equals', 'charge.failed'), true],
    [cond('missing.path', 'not_equals', 'x'), true],
    [cond('type', 'contains', 'paid'), true],
    [cond('data.object.tags', 'contains', 'vip'), true],
    [cond('data.object.tags', 'contains', 'us'), false],
    [cond('data.object.amount_paid', 'contains', '20'), true],
    [cond('type', 'starts_with', 'invoice.'), true],
    [cond('type', 'ends_with', '.paid'), true],
    [cond('type', 'ends_with', '.failed'), false],
    [cond('data.object', 'starts_with', '{'), false], // objects have no text
    [cond('data.object.lines.1.id', 'equals', 'li_2'), true],
    [cond('data.object.lines[0].price', 'less_than', '1001'), true],
    [cond('data.object.amount_paid', 'greater_than', '999'), true],
    [cond('data.object.amount_paid', 'greater_than', 4200), false],
    [cond('data.object.amount_paid', 'less_than', 'abc'), false],
    [cond('created', 'greater_than', '2025-12-31T23:59:59Z'), true], // ISO times order as text
    [cond('data.object.note', 'exists'), true], // a null value is present
    [cond('data.object.refund', 'exists'), false],
    [cond('data.object.refund', 'not_exists'), true],
    [cond('headers.stripe-signature', 'exists'), true],
    [cond('headers.x-event-type', 'equals', 'invoice.paid, again'), true],
    [cond('headers.x-missing', 'not_exists'), true],
    [cond('type', 'regex', '^invoice\\.(paid|finalized)$'), true],
    [cond('type', 'regex', '^charge\\.'), false],
    [cond('data.object.amount_paid', 'regex', '^\\d{4}$'), true],
  ])('%j → %s', (condition, expected) => {
    expect(evaluateCondition(condition, subject)).toBe(expected);
  });

  it('answers every condition and the combination, as the official test route does', () => {
    const filter: FilterDefinition = { logic: 'and', conditions: [cond('type', 'equals', 'invoice.paid'), cond('data.object.currency', 'equals', 'usd')] };
    expect(evaluateFilter(filter, subject)).toEqual({ matches: false, results: [{ passed: true }, { passed: false }], logic: 'and' });
    expect(evaluateFilter({ ...filter, logic: 'or' }, subject)).toEqual({ matches: true, results: [{ passed: true }, { passed: false }], logic: 'or' });
    expect(evaluateFilter({ logic: 'and', conditions: [] }, subject).matches).toBe(true);
  });

  it('a payload that is not JSON: payload fields are missing, headers still read', () => {
    const text: FilterSubject = { payload: undefined, headers: { 'content-type': 'text/plain' } };
    expect(evaluateCondition(cond('type', 'exists'), text)).toBe(false);
    expect(evaluateCondition(cond('headers.content-type', 'starts_with', 'text/'), text)).toBe(true);
  });

  it('regex runs in linear time: a pattern that backtracks exponentially elsewhere answers at once on 4 KiB', () => {
    const evil: FilterSubject = { payload: { s: `${'a'.repeat(4000)}!` }, headers: {} };
    const started = performance.now();
    expect(evaluateCondition(cond('s', 'regex', '^(a+)+$'), evil)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000); // a backtracking engine needs 2^4000 steps
  });

  it('regex over a value longer than 4096 characters does not match', () => {
    expect(evaluateCondition(cond('s', 'regex', 'a'), { payload: { s: 'a'.repeat(4097) }, headers: {} })).toBe(false);
  });
});

// Properties over arbitrary JSON payloads, fields and values.
const jsonValue = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
const key = fc.constantFrom('a', 'b', 'c', '0', '1');
const path = fc.array(key, { minLength: 1, maxLength: 3 }).map((keys) => keys.join('.'));
const payload = fc.dictionary(key, jsonValue, { maxKeys: 4 });
const operator = fc.constantFrom<FilterOperator>('equals', 'not_equals', 'contains', 'starts_with', 'ends_with', 'exists', 'not_exists', 'greater_than', 'less_than');
const condition = fc.record({ field: path, operator, value: jsonValue });
const NEGATION: Partial<Record<FilterOperator, FilterOperator>> = { equals: 'not_equals', not_equals: 'equals', exists: 'not_exists', not_exists: 'exists' };
const negatable = fc.record({ field: path, operator: fc.constantFrom<FilterOperator>('equals', 'not_equals', 'exists', 'not_exists'), value: jsonValue });
const runs = { numRuns: 300 };

describe('filter laws (fast-check)', () => {
  it('not_equals is the negation of equals, and not_exists of exists', () => {
    fc.assert(
      fc.property(payload, path, jsonValue, (p, field, value) => {
        const s = { payload: p, headers: {} };
        expect(evaluateCondition({ field, operator: 'not_equals', value }, s)).toBe(!evaluateCondition({ field, operator: 'equals', value }, s));
        expect(evaluateCondition({ field, operator: 'not_exists', value }, s)).toBe(!evaluateCondition({ field, operator: 'exists', value }, s));
      }),
      runs,
    );
  });

  it('a value placed at a path equals itself there, and exists', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 }), jsonValue, (keys, value) => {
        const p = keys.reduceRight<JsonValue>((inner, k) => ({ [k]: inner }), value);
        const s = { payload: p, headers: {} };
        expect(evaluateCondition({ field: keys.join('.'), operator: 'equals', value }, s)).toBe(true);
        expect(evaluateCondition({ field: keys.join('.'), operator: 'exists', value: null }, s)).toBe(true);
      }),
      runs,
    );
  });

  it('and is every, or is some, and each result is the condition alone', () => {
    fc.assert(
      fc.property(payload, fc.array(condition, { maxLength: 6 }), (p, conditions) => {
        const s = { payload: p, headers: {} };
        const alone = conditions.map((c) => evaluateCondition(c, s));
        const and = evaluateFilter({ logic: 'and', conditions }, s);
        const or = evaluateFilter({ logic: 'or', conditions }, s);
        expect(and.results.map((r) => r.passed)).toEqual(alone);
        expect(and.matches).toBe(alone.every(Boolean));
        expect(or.matches).toBe(conditions.length === 0 || alone.some(Boolean));
      }),
      runs,
    );
  });

  it('De Morgan: (and of conditions) is the negation of (or of their negations)', () => {
    fc.assert(
      fc.property(payload, fc.array(negatable, { minLength: 1, maxLength: 5 }), (p, conditions) => {
        const s = { payload: p, headers: {} };
        const negated = conditions.map((c) => ({ ...c, operator: NEGATION[c.operator]! }));
        expect(evaluateFilter({ logic: 'and', conditions }, s).matches).toBe(!evaluateFilter({ logic: 'or', conditions: negated }, s).matches);
      }),
      runs,
    );
  });

  it('greater_than and less_than are never both true, and are antisymmetric on numbers', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), (a, b) => {
        const s = { payload: { n: a }, headers: {} };
        const gt = evaluateCondition({ field: 'n', operator: 'greater_than', value: b }, s);
        const lt = evaluateCondition({ field: 'n', operator: 'less_than', value: b }, s);
        expect(gt && lt).toBe(false);
        expect(gt).toBe(a > b);
        expect(lt).toBe(a < b);
      }),
      runs,
    );
  });
});
