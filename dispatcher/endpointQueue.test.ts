import { describe, expect, it } from 'vitest';
import { EndpointQueue, EndpointQueues, TokenBucket, UNPROVEN_CONCURRENCY } from './endpointQueue';

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

/** A job that runs until `done()` is called. */
const gate = () => {
  let done: () => void = () => {};
  const promise = new Promise<void>((resolve) => (done = resolve));
  return { work: () => promise, done: () => done() };
};

describe('EndpointQueue: what it holds for the subscription', () => {
  it('runs only a few jobs at once until the endpoint has answered, then its full concurrency', async () => {
    const q = new EndpointQueue(32);
    const gates = Array.from({ length: 40 }, gate);
    const runs = gates.map((g) => q.run(g.work));
    expect(q.inFlight).toBe(UNPROVEN_CONCURRENCY);
    q.answered();
    expect(q.inFlight).toBe(32);
    expect(q.queued).toBe(8);
    for (const g of gates) g.done();
    await Promise.all(runs);
  });

  it('counts the fresh jobs it holds, waiting or running, in its own and in the shared count', async () => {
    const queues = new EndpointQueues(2);
    const q = queues.get('ep_1');
    const gates = Array.from({ length: 5 }, gate);
    const runs = [q.run(gates[0]!.work, { fresh: true }), q.run(gates[1]!.work), q.run(gates[2]!.work, { fresh: true }), q.run(gates[3]!.work, { fresh: true })];
    expect(q.held).toBe(3);
    expect(q.queuedFresh).toBe(2);
    expect(queues.held).toBe(3);
    gates[0]!.done();
    await runs[0];
    await sleep(0);
    expect(q.held).toBe(2);
    expect(queues.held).toBe(2);
    for (const g of gates) g.done();
    await Promise.all(runs);
    expect(queues.held).toBe(0);
  });

  it('sheds the newest fresh jobs that have not started, settling them with onShed', async () => {
    const queues = new EndpointQueues(1);
    const q = queues.get('ep_1');
    const running = gate();
    const first = q.run(async () => (await running.work(), 'first ran'), { fresh: true, onShed: async () => 'first shed' });
    const due = q.run(async () => 'due ran');
    const older = q.run(async () => 'older ran', { fresh: true, onShed: async () => 'older shed' });
    const newer = q.run(async () => 'newer ran', { fresh: true, onShed: async () => 'newer shed' });
    expect(q.shed(1)).toBe(1);
    await expect(newer).resolves.toBe('newer shed');
    expect(q.held).toBe(2);
    expect(queues.held).toBe(2);
    // Only waiting fresh jobs are shed: the running one and the due delivery stay.
    expect(q.shed(10)).toBe(1);
    await expect(older).resolves.toBe('older shed');
    running.done();
    await expect(first).resolves.toBe('first ran');
    await expect(due).resolves.toBe('due ran');
    expect(queues.held).toBe(0);
  });

  it('keeps up while its jobs finish quickly and nothing waits long', async () => {
    let now = 0;
    const q = new EndpointQueue(1, { held: 0 }, () => {}, () => now);
    // Never finished anything: it does not keep up.
    expect(q.keepingUp(1_000)).toBe(false);
    await q.run(async () => {
      now += 50;
    });
    expect(q.keepingUp(1_000)).toBe(true);
    // A job that ran for longer than the limit.
    await q.run(async () => {
      now += 2_000;
    });
    expect(q.keepingUp(1_000)).toBe(false);
    await q.run(async () => {});
    expect(q.keepingUp(1_000)).toBe(true);
    // Nothing finished lately.
    now += 1_500;
    expect(q.keepingUp(1_000)).toBe(false);
    // The head of the queue has waited too long.
    const running = gate();
    const a = q.run(running.work);
    const b = q.run(async () => {});
    now += 10;
    running.done();
    await a;
    expect(q.keepingUp(1_000)).toBe(true);
    await b;
    const stuck = gate();
    const c = q.run(stuck.work);
    const d = q.run(async () => {});
    now += 1_001;
    expect(q.oldestWaitMs()).toBe(1_001);
    expect(q.keepingUp(1_000)).toBe(false);
    stuck.done();
    await Promise.all([c, d]);
  });

  it('tells when a queue the due poller wanted to fill has room again', async () => {
    let woken = 0;
    const q = new EndpointQueue(4, { held: 0 }, () => woken++);
    q.answered();
    const gates = Array.from({ length: 8 }, gate);
    const runs = gates.map((g) => q.run(g.work));
    q.wanted = true;
    gates[0]!.done();
    await runs[0];
    await sleep(0);
    expect(woken).toBe(0); // 3 still waiting: more than half the limit
    gates[1]!.done();
    await runs[1];
    await sleep(0);
    expect(woken).toBe(1);
    expect(q.wanted).toBe(false);
    for (const g of gates) g.done();
    await Promise.all(runs);
    expect(woken).toBe(1);
  });
});
