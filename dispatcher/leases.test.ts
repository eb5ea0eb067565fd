import { describe, expect, it } from 'vitest';
import type { Condition, Document, PutCondition, ReadStore } from '../store/readStore';
import { collections } from '../projections/readModels';
import type { DueDeliveryDoc, OutboundDoc } from '../projections/readModels';
import type { LeaseDoc } from './leases';
import { claimDueDeliveries, deliveryLeases, LeaseReleaser, releaseLease, releaseLeases, releaseLeasesOfGoneInstances, renewLease, sweepExpiredLeases } from './leases';
import { instanceGone, newInstanceId } from './instanceLiveness';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import type { Harness } from './testHarness';
import { createEndpoint, sendMessage, sleep, useHarness, waitFor } from './testHarness';

let h: Harness;
const receiver = useHarness((opened) => {
  h = opened;
});

const due = (id: string, attemptNumber = 2): DueDeliveryDoc => ({ id, applicationId: 'app', messageId: 'msg', endpointId: 'ep', attemptNumber, dueAt: '2024-01-01T00:00:00.000Z' });

describe('claimDueDeliveries', () => {
  it('gives each due delivery to one owner at a time', async () => {
    const docs = Array.from({ length: 20 }, (_, i) => due(`out_${i}`));
    const now = Date.now();
    const [a, b] = await Promise.all([claimDueDeliveries(h.reads, docs, 'a', 1_000, now), claimDueDeliveries(h.reads, docs, 'b', 1_000, now)]);
    expect(a.length + b.length).toBe(20);
    expect(new Set([...a, ...b].map((d) => d.id)).size).toBe(20);
    expect(await claimDueDeliveries(h.reads, docs, 'c', 1_000, now)).toEqual([]);
  });

  it("takes over an expired lease, and a lease on an earlier attempt never blocks a later one", async () => {
    const now = Date.now();
    expect(await claimDueDeliveries(h.reads, [due('out_1', 2)], 'a', 100, now)).toHaveLength(1);
    expect(await claimDueDeliveries(h.reads, [due('out_1', 2)], 'b', 100, now + 50)).toHaveLength(0);
    expect(await claimDueDeliveries(h.reads, [due('out_1', 3)], 'b', 100, now + 50)).toHaveLength(1);
    expect(await claimDueDeliveries(h.reads, [due('out_1', 3)], 'c', 100, now + 200)).toHaveLength(1);
    expect(await h.reads.collection<LeaseDoc>(deliveryLeases).get('out_1')).toMatchObject({ owner: 'c', attemptNumber: 3 });
  });

  it('renews and releases only a lease that is still ours', async () => {
    const now = Date.now();
    await claimDueDeliveries(h.reads, [due('out_1')], 'a', 100, now);
    expect(await renewLease(h.reads, 'out_1', 'a', 2, now + 10_000)).toBe(true);
    expect(await renewLease(h.reads, 'out_1', 'b', 2, now + 10_000)).toBe(false);
    await releaseLease(h.reads, 'out_1', 'b', 2);
    expect(await h.reads.collection<LeaseDoc>(deliveryLeases).get('out_1')).not.toBeNull();
    await releaseLease(h.reads, 'out_1', 'a', 2);
    expect(await h.reads.collection<LeaseDoc>(deliveryLeases).get('out_1')).toBeNull();
    await claimDueDeliveries(h.reads, [due('out_2')], 'a', 10, now - 1_000);
    expect(await sweepExpiredLeases(h.reads, now)).toBe(1);
  });
});

describe('releasing leases', () => {
  it('releases a batch in one transaction, only the leases still ours', async () => {
    const now = Date.now();
    await claimDueDeliveries(h.reads, [due('out_1'), due('out_2'), due('out_3')], 'a', 10_000, now);
    await claimDueDeliveries(h.reads, [due('out_4')], 'b', 10_000, now);
    await releaseLeases(h.reads, [
      { id: 'out_1', owner: 'a', attemptNumber: 2 },
      { id: 'out_2', owner: 'a', attemptNumber: 2 },
      { id: 'out_3', owner: 'a', attemptNumber: 1 }, // taken for another attempt
      { id: 'out_4', owner: 'a', attemptNumber: 2 }, // someone else's
    ]);
    const leases = h.reads.collection<LeaseDoc>(deliveryLeases);
    expect(await leases.get('out_1')).toBeNull();
    expect(await leases.get('out_2')).toBeNull();
    expect(await leases.get('out_3')).not.toBeNull();
    expect(await leases.get('out_4')).not.toBeNull();
  });

  it('groups the releases made meanwhile into one transaction', async () => {
    const now = Date.now();
    const docs = Array.from({ length: 30 }, (_, i) => due(`out_${i}`));
    await claimDueDeliveries(h.reads, docs, 'a', 10_000, now);
    let transactions = 0;
    const counting = new Proxy(h.reads, {
      get(target, prop) {
        if (prop === 'transaction') return (...args: Parameters<typeof target.transaction>) => (transactions++, target.transaction(...args));
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const releaser = new LeaseReleaser(counting);
    for (const doc of docs) releaser.release({ id: doc.id, owner: 'a', attemptNumber: 2 });
    await releaser.flush();
    expect(transactions).toBe(1);
    expect(await h.reads.collection<LeaseDoc>(deliveryLeases).count()).toBe(0);
  });
});

/** The pid of a process that ran and exited (a dispatcher that crashed). */
const exitedPid = async (): Promise<number> => {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
};

describe('leases of a dispatcher that is gone', () => {
  it('knows an instance gone only on this host: its process exited, or it is an earlier process with our pid', async () => {
    const startedS = Math.floor(Date.now() / 1000 - process.uptime());
    expect(instanceGone(newInstanceId('0a1b2c3d'))).toBe(false);
    // A restarted container's process has the pid of the one before it (1) and another start time.
    expect(instanceGone(`${hostname()}-${process.pid}-${startedS - 120}-0a1b2c3d`)).toBe(true);
    expect(instanceGone(`${hostname()}-${await exitedPid()}-${startedS}-0a1b2c3d`)).toBe(true);
    // Not known gone: a running process (our parent), another host, an id of another shape.
    expect(instanceGone(`${hostname()}-${process.ppid}-${startedS}-0a1b2c3d`)).toBe(false);
    expect(instanceGone(`another-host-${await exitedPid()}-${startedS}-0a1b2c3d`)).toBe(false);
    expect(instanceGone('one')).toBe(false);
  });

  it("takes back the live leases of a gone instance at once, and no one else's", async () => {
    const now = Date.now();
    const startedS = Math.floor(now / 1000 - process.uptime());
    const crashed = `${hostname()}-${await exitedPid()}-${startedS}-0a1b2c3d`;
    const running = newInstanceId('4e5f6a7b');
    await claimDueDeliveries(h.reads, [due('out_dead')], crashed, 60_000, now);
    await claimDueDeliveries(h.reads, [due('out_live')], running, 60_000, now);
    // Before: a 60 s lease blocks everyone else.
    expect(await claimDueDeliveries(h.reads, [due('out_dead'), due('out_live')], 'other', 60_000, now + 10)).toEqual([]);
    expect(await releaseLeasesOfGoneInstances(h.reads, now + 20, instanceGone)).toBe(1);
    expect((await claimDueDeliveries(h.reads, [due('out_dead'), due('out_live')], 'other', 60_000, now + 30)).map((d) => d.id)).toEqual(['out_dead']);
    expect(await h.reads.collection<LeaseDoc>(deliveryLeases).get('out_live')).toMatchObject({ owner: running });
  });
});

describe('two dispatchers on the same stores', () => {
  it('never attempt the same due delivery twice, nor at the same time', async () => {
    const firstSeen = new Set<string>();
    const active = new Map<string, number>();
    let overlap = 0;
    const r = await receiver(async (req) => {
      const id = req.headers['webhook-id'] as string;
      const now = (active.get(id) ?? 0) + 1;
      active.set(id, now);
      if (now > 1) overlap++;
      await sleep(40);
      active.set(id, (active.get(id) ?? 1) - 1);
      if (firstSeen.has(id)) return { status: 200 };
      firstSeen.add(id);
      return { status: 500 };
    });
    const ep = await createEndpoint(h, { url: r.url });
    await h.dispatcher({ instanceId: 'one', retryScheduleMs: [30, 30] });
    await h.dispatcher({ instanceId: 'two', retryScheduleMs: [30, 30] });
    const sent = await Promise.all(Array.from({ length: 20 }, () => sendMessage(h, [ep], { maxAttempts: 3 })));
    await waitFor('all delivered', async () => (await h.reads.collection<OutboundDoc>(collections.outbound).count({ endpointId: ep.id, status: 'success' })) === 20, 8_000);

    const perMessage = new Map<string, number>();
    for (const q of r.requests) perMessage.set(q.headers['webhook-id'] as string, (perMessage.get(q.headers['webhook-id'] as string) ?? 0) + 1);
    expect(overlap).toBe(0);
    for (const s of sent) expect(perMessage.get(s.messageId)).toBe(2);
    for (const s of sent) expect((await h.reads.collection<OutboundDoc>(collections.outbound).get(s.outboundIds[0]!))?.attempts).toBe(2);
  });
});

/** A store offering only `putIf` on one map (and `collection().get`): its transaction must not be used. */
const putIfStore = (): { store: ReadStore; docs: Map<string, Record<string, unknown>>; calls: number } => {
  const docs = new Map<string, Record<string, unknown>>();
  const meets = (stored: Record<string, unknown>, condition: Condition): boolean =>
    Object.entries(condition).every(([key, test]) => ('eq' in test ? stored[key] === test.eq : (stored[key] as number | string) < (test.lt as number | string)));
  const state = { docs, calls: 0, store: {} as ReadStore };
  state.store = {
    collection: () => ({ get: async (id: string) => (docs.get(id) ?? null) as never, find: async () => ({ items: [], nextCursor: null }), count: async () => docs.size }),
    transaction: async () => {
      throw new Error('the transaction path was used');
    },
    putIf: async <T extends Document>(_def: unknown, doc: T, condition: PutCondition): Promise<boolean> => {
      state.calls++;
      const stored = docs.get(doc.id);
      if (stored ? !condition.anyOf.some((c) => meets(stored, c)) : !condition.orAbsent) return false;
      docs.set(doc.id, { ...stored, ...doc });
      return true;
    },
  } as unknown as ReadStore;
  return state;
};

describe('leases on a store with putIf (MongoDB’s findOneAndUpdate)', () => {
  it('claims and renews with one conditional write per lease, never a transaction, with the same rules', async () => {
    const s = putIfStore();
    const now = Date.now();
    expect(await claimDueDeliveries(s.store, [due('out_1', 2), due('out_2', 2)], 'a', 100, now)).toHaveLength(2);
    expect(s.calls).toBe(2);
    // Held and not expired, same attempt: not claimed.
    expect(await claimDueDeliveries(s.store, [due('out_1', 2)], 'b', 100, now + 50)).toEqual([]);
    // A later attempt takes it.
    expect(await claimDueDeliveries(s.store, [due('out_1', 3)], 'b', 100, now + 50)).toHaveLength(1);
    // Expired: taken over.
    expect(await claimDueDeliveries(s.store, [due('out_2', 2)], 'c', 100, now + 200)).toHaveLength(1);
    expect(s.docs.get('out_1')).toMatchObject({ owner: 'b', attemptNumber: 3 });
    expect(s.docs.get('out_2')).toMatchObject({ owner: 'c', attemptNumber: 2 });
    // Renewed only by its owner, for its attempt; never created.
    expect(await renewLease(s.store, 'out_1', 'b', 3, now + 10_000)).toBe(true);
    expect(s.docs.get('out_1')).toMatchObject({ expiresAt: new Date(now + 10_000).toISOString() });
    expect(await renewLease(s.store, 'out_1', 'a', 3, now + 20_000)).toBe(false);
    expect(await renewLease(s.store, 'out_1', 'b', 2, now + 20_000)).toBe(false);
    expect(await renewLease(s.store, 'out_9', 'b', 2, now + 20_000)).toBe(false);
    expect(s.docs.has('out_9')).toBe(false);
    expect(await claimDueDeliveries(s.store, [], 'a', 100, now)).toEqual([]);
  });
});
