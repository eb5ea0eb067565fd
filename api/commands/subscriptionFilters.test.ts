import { describe, expect, it } from 'vitest';
import { passesFilter, subscriptionFilterIn } from './subscriptionFilters';

describe('subscription filters', () => {
  it('labels: all needs every named label, any one; a list allows any of its values', async () => {
    const all = { labels: { env: 'production', region: ['us-east', 'us-west'] }, labelMode: 'all' as const, expression: null };
    expect(await passesFilter(all, {}, { env: 'production', region: 'us-west' })).toBe(true);
    expect(await passesFilter(all, {}, { env: 'production', region: 'eu-west' })).toBe(false);
    expect(await passesFilter(all, {}, { region: 'us-east' })).toBe(false);
    const any = { ...all, labelMode: 'any' as const };
    expect(await passesFilter(any, {}, { region: 'us-east' })).toBe(true);
    expect(await passesFilter(any, {}, {})).toBe(false);
    expect(await passesFilter(null, {}, {})).toBe(true);
  });

  it("expression: JSONata over the payload, by JSONata's truth; one that fails does not match", async () => {
    const f = (expression: string) => ({ labels: null, labelMode: 'all' as const, expression });
    expect(await passesFilter(f('amount > 100'), { amount: 150 }, {})).toBe(true);
    expect(await passesFilter(f('amount > 100'), { amount: 50 }, {})).toBe(false);
    expect(await passesFilter(f('items'), { items: [] }, {})).toBe(false);
    expect(await passesFilter(f('items'), { items: [1] }, {})).toBe(true);
    expect(await passesFilter(f('$number("x")'), {}, {})).toBe(false);
  });

  it('in: nothing sent changes nothing; null clears; a broken expression or label value is a 422 naming the field', async () => {
    expect(await subscriptionFilterIn({}, null)).toBeUndefined();
    expect(await subscriptionFilterIn({ labelFilters: { env: 'prod' } }, null)).toEqual({ labels: { env: 'prod' }, labelMode: 'all', expression: null });
    const current = { labels: { env: 'prod' }, labelMode: 'any' as const, expression: 'a = 1' };
    expect(await subscriptionFilterIn({ filterExpression: null }, current)).toEqual({ labels: { env: 'prod' }, labelMode: 'any', expression: null });
    expect(await subscriptionFilterIn({ labelFilters: null, filterExpression: null }, current)).toBeNull();
    await expect(subscriptionFilterIn({ filterExpression: 'a >' }, null)).rejects.toThrow(/filterExpression|JSONata/);
    await expect(subscriptionFilterIn({ labelFilters: { env: [] } }, null)).rejects.toThrow(/labelFilters\.env/);
  });
});
