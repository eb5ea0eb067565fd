import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../domain/json';
import type { TransformContext } from './transforms';
import { DEFAULT_TRANSFORM_LIMITS, TransformError, compileTransform, runTransform } from './transforms';

const context: TransformContext = { now: new Date('2026-01-01T00:00:00.000Z'), limits: DEFAULT_TRANSFORM_LIMITS };
const invoice = {
  id: 'evt_1',
  type: 'invoice.paid',
  created: 1_767_225_600,
  data: { object: { amount_paid: '4200', currency: 'eur', paid: 'true', lines: [{ id: 'li_1' }], customer: { email: 'a@example.com' } } },
};

const run = async (type: Parameters<typeof compileTransform>[0], code: string, input: JsonValue = invoice, ctx: TransformContext = context) =>
  runTransform(await compileTransform(type, code), input, ctx);

const failure = async (promise: Promise<unknown>): Promise<TransformError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TransformError) return error;
    throw error;
  }
  throw new Error('expected a TransformError');
};

describe('mapping transforms', () => {
  it('maps the official FieldMapping list, converting each type and building nested targets', async () => {
    const code = JSON.stringify([
      { source: '$.id', target: 'event_id', type: 'string' },
      { source: 'data.object.amount_paid', target: 'amount.value', type: 'number' },
      { source: 'data.object.currency', target: 'amount.currency', type: 'string' },
      { source: 'data.object.paid', target: 'paid', type: 'boolean' },
      { source: 'created', target: 'paid_at', type: 'timestamp' },
      { source: 'data.object.lines[0]', target: 'first_line', type: 'json' },
      { source: 'data.object.customer', target: 'customer_text', type: 'string' },
      { source: 'data.object.missing', target: 'received_at', type: 'timestamp', default: 'now()' },
      { source: 'data.object.tier', target: 'tier', type: 'string', default: 'standard' },
      { source: 'data.object.absent', target: 'absent', type: 'json' },
    ]);
    const { output } = await run('mapping', code);
    expect(output).toEqual({
      event_id: 'evt_1',
      amount: { value: 4200, currency: 'eur' },
      paid: true,
      paid_at: '2026-01-01T00:00:00.000Z',
      first_line: { id: 'li_1' },
      customer_text: '{"email":"a@example.com"}',
      received_at: '2026-01-01T00:00:00.000Z',
      tier: 'standard',
    });
  });

  it('takes the short form {target: source}', async () => {
    const { output } = await run('mapping', JSON.stringify({ 'order.id': 'id', 'order.email': 'data.object.customer.email', whole: '$' }));
    expect(output).toEqual({ order: { id: 'evt_1', email: 'a@example.com' }, whole: invoice });
  });

  it.each([
    ['not json', 'A mapping transform is JSON'],
    ['42', 'A mapping transform is JSON'],
    [JSON.stringify([{ source: 'a', target: '', type: 'json' }]), 'mapping[0].target must name a field'],
    [JSON.stringify([{ source: 'a', target: '__proto__.polluted', type: 'json' }]), 'mapping[0].target must not use the key __proto__'],
    [JSON.stringify([{ source: 'a', target: 'b', type: 'date' }]), 'mapping[0].type must be one of'],
    [JSON.stringify([{ source: 'a', target: 'b', type: 'json', default: 3 }]), 'mapping[0].default must be a string'],
  ])('refuses the code %s: %s', async (code, message) => {
    const error = await failure(compileTransform('mapping', code));
    expect(error.code).toBe('invalid_code');
    expect(error.message).toContain(message);
  });

  it('fails a run whose value does not convert, naming the mapping and the path', async () => {
    const error = await failure(run('mapping', JSON.stringify([{ source: 'data.object.currency', target: 'n', type: 'number' }])));
    expect({ code: error.code, message: error.message }).toEqual({ code: 'failed', message: 'mapping[0]: the value at data.object.currency is not a number' });
  });

  it('refuses an input or an output over the limits', async () => {
    const small = { ...context, limits: { ...DEFAULT_TRANSFORM_LIMITS, maxInputBytes: 50 } };
    expect((await failure(run('mapping', '{"a":"id"}', invoice, small))).code).toBe('input_too_large');
    const wide = { blob: 'x'.repeat(200) };
    const tight = { ...context, limits: { ...DEFAULT_TRANSFORM_LIMITS, maxOutputBytes: 1000 } };
    const copies = JSON.stringify(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`c${i}`, 'blob'])));
    expect((await failure(run('mapping', copies, wide, tight))).code).toBe('output_too_large');
  });

  it('stops a run past its deadline', async () => {
    const code = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ source: 'id', target: `t${i}`, type: 'string' })));
    const expired = { ...context, limits: { ...DEFAULT_TRANSFORM_LIMITS, timeoutMs: -1 } };
    expect((await failure(run('mapping', code, invoice, expired))).code).toBe('timeout');
  });
});

describe('other transform types', () => {
  it('javascript is refused: no real sandbox', async () => {
    const error = await failure(compileTransform('javascript', 'return payload'));
    expect({ code: error.code, message: error.message }).toEqual({
      code: 'unsupported',
      message: 'javascript transforms are not supported: there is no real sandbox with time and memory limits here (node:vm is not a sandbox)',
    });
  });

  it('xslt and liquid are refused', async () => {
    expect((await failure(compileTransform('xslt', '<xsl:stylesheet/>'))).code).toBe('unsupported');
    expect((await failure(compileTransform('liquid', '{{ a }}'))).code).toBe('unsupported');
  });
});

describe('jsonata transforms (the jsonata package, with its guardrails)', () => {
  it('reshapes a Stripe invoice.paid', async () => {
    const code = '{"invoice": id, "kind": type, "amount": $number(data.object.amount_paid) / 100, "currency": $uppercase(data.object.currency), "email": data.object.customer.email}';
    const { output } = await run('jsonata', code);
    expect(output).toEqual({ invoice: 'evt_1', kind: 'invoice.paid', amount: 42, currency: 'EUR', email: 'a@example.com' });
  });

  it('an expression that selects nothing gives null', async () => {
    expect((await run('jsonata', 'data.object.refund')).output).toBeNull();
  });

  it('refuses an expression that does not parse, saying where', async () => {
    const error = await failure(compileTransform('jsonata', '{"a": '));
    expect(error.code).toBe('invalid_code');
    expect(error.message).toMatch(/^The JSONata expression does not parse: .+ \(S\d+ at \d+\)$/);
  });

  it('stops a runaway expression at the time limit', async () => {
    const quick = { ...context, limits: { ...DEFAULT_TRANSFORM_LIMITS, timeoutMs: 50 } };
    const started = performance.now();
    const error = await failure(run('jsonata', '[1..99999].($sum([1..99999]))', invoice, quick));
    expect({ code: error.code, message: error.message }).toEqual({ code: 'timeout', message: 'The transform ran for more than 50 ms' });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('stops endless recursion at the nesting limit, and a huge sequence at the sequence limit', async () => {
    const recursion = await failure(run('jsonata', '($f := function($x){ 1 + $f($x) }; $f(1))'));
    expect(recursion.code).toBe('failed');
    expect(recursion.message).toContain('Stack overflow');
    const sequence = await failure(run('jsonata', '[1..10000000]'));
    expect(sequence.code).toBe('failed');
    expect(sequence.message).toContain('maximum sequence length of 100000');
  });

  it('runs regexes on the linear engine: a pattern that backtracks exponentially elsewhere answers at once', async () => {
    const evil = { s: `${'a'.repeat(5000)}!` };
    const { output } = await run('jsonata', '{"m": $contains(s, /^(a+)+$/), "first": $match("xaab aab", /a+b/).match}', evil);
    expect(output).toEqual({ m: false, first: ['aab', 'aab'] });
  });

  it('refuses a regex the linear engine cannot run, naming the rule', async () => {
    const error = await failure(run('jsonata', '$contains(type, /PAID/i)'));
    expect({ code: error.code, message: error.message }).toEqual({
      code: 'failed',
      message: 'A regex in a JSONata expression must run in linear time: no backreferences, lookarounds, large counted repeats, or i/u flags',
    });
  });

  it('refuses an output over the size limit', async () => {
    const tight = { ...context, limits: { ...DEFAULT_TRANSFORM_LIMITS, maxOutputBytes: 1000 } };
    expect((await failure(run('jsonata', '$pad("", 5000, "x")', invoice, tight))).code).toBe('output_too_large');
  });
});
