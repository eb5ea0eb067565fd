import { describe, expect, it } from 'vitest';
import { EndpointQueue, TokenBucket } from './endpointQueue';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TokenBucket', () => {
  it('refills at the rate with a burst of a tenth of a second', () => {
    let now = 0;
    const bucket = new TokenBucket(50, () => now);
    expect(bucket.capacity).toBe(5);
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(20);
    now += 20;
    expect(bucket.take()).toBe(0);
    expect(new TokenBucket(2, () => now).capacity).toBe(1);
  });
});

describe('EndpointQueue', () => {
  it('runs at most `concurrency` jobs at once, in order', async () => {
    const q = new EndpointQueue(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        q.run(async () => {
          running++;
          peak = Math.max(peak, running);
          order.push(i);
          await sleep(10);
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(q.idle).toBe(true);
  });

  it('spaces jobs by the rate limit', async () => {
    const q = new EndpointQueue(10);
    q.setRateLimit(20);
    const started: number[] = [];
    await Promise.all(Array.from({ length: 5 }, () => q.run(async () => void started.push(Date.now()))));
    // A burst of 2 (a tenth of a second's worth), then one every 50 ms.
    expect(started[1]! - started[0]!).toBeLessThan(25);
    expect(started[4]! - started[0]!).toBeGreaterThanOrEqual(3 * 50 - 10);
  });

  it('passes results and errors through, and frees the slot either way', async () => {
    const q = new EndpointQueue(1);
    await expect(q.run(async () => 7)).resolves.toBe(7);
    await expect(q.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(q.run(async () => 'after')).resolves.toBe('after');
    expect(q.free).toBe(1);
  });
});
