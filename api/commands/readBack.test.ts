import { describe, expect, it } from 'vitest';
import { DomainError, notFound } from '../../domain/errors';
import { readBack } from './common';

// readBack: what a command has just written is read again for a moment when a store shows it late (jongodb).
describe('readBack', () => {
  it('reads again after a not-found until the write shows', async () => {
    let reads = 0;
    const shownAt = Date.now() + 50;
    const doc = await readBack(async () => {
      reads++;
      if (Date.now() < shownAt) throw notFound('route', 'rte_1');
      return { id: 'rte_1' };
    });
    expect(doc).toEqual({ id: 'rte_1' });
    expect(reads).toBeGreaterThan(1);
  });

  it('answers the not-found once the bounded wait is over', async () => {
    let reads = 0;
    const started = Date.now();
    const error = await readBack(async () => {
      reads++;
      throw notFound('route', 'rte_gone');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('route_not_found');
    expect(reads).toBe(8);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('does not read again after any other error', async () => {
    let reads = 0;
    await expect(
      readBack(async () => {
        reads++;
        throw new Error('store unreachable');
      }),
    ).rejects.toThrow('store unreachable');
    expect(reads).toBe(1);
  });
});
