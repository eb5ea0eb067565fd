import type { DueDeliveryDoc } from '../projections/readModels';
import type { CollectionDef, ReadStore } from '../store/readStore';

/**
 * Leases on due deliveries (invariant 4): any dispatcher instance may run a due delivery, but only the one holding
 * its lease does. A lease is claimed or renewed with the store's atomic `putIf` when it has one (MongoDB), else in
 * a read-store transaction; either way claims by several instances are serialised. A crashed instance's leases
 * expire. Releases and sweeps always use transactions.
 */
export const deliveryLeases = { name: 'delivery_leases', indexes: [{ equal: [], sort: 'expiresAt' }] } as const satisfies CollectionDef;

export type LeaseDoc = {
  id: string; // outbound id
  owner: string;
  /** The attempt the lease was taken for: a lease on an earlier attempt never blocks a later one. */
  attemptNumber: number;
  expiresAt: string;
};

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Takes a lease on each due delivery that has none, whose lease expired, or whose lease was taken for an earlier
 * attempt; returns those claimed. With a store that offers `putIf` (MongoDB), one conditional write per lease and
 * no transaction; otherwise one transaction for the whole batch (the embedded store). Inbound deliveries (`ibd_`
 * ids) are leased alike (dispatcher/inboundDeliverer.ts).
 */
export const claimDueDeliveries = async <D extends Pick<DueDeliveryDoc, 'id' | 'attemptNumber'>>(
  reads: ReadStore,
  due: readonly D[],
  owner: string,
  leaseMs: number,
  nowMs: number,
): Promise<D[]> => {
  if (due.length === 0) return [];
  const now = iso(nowMs);
  const { putIf } = reads;
  if (putIf) {
    // One atomic conditional write per lease, no transaction (MongoDB: findOneAndUpdate).
    const claimed: D[] = [];
    for (const doc of due) {
      const lease: LeaseDoc = { id: doc.id, owner, attemptNumber: doc.attemptNumber, expiresAt: iso(nowMs + leaseMs) };
      const won = await putIf.call(reads, deliveryLeases, lease, {
        orAbsent: true,
        anyOf: [{ expiresAt: { lt: now } }, { attemptNumber: { lt: doc.attemptNumber } }],
      });
      if (won) claimed.push(doc);
    }
    return claimed;
  }
  return reads.transaction(async (tx) => {
    const leases = tx.collection<LeaseDoc>(deliveryLeases);
    const claimed: D[] = [];
    for (const doc of due) {
      const lease = await leases.get(doc.id);
      if (lease && lease.expiresAt > now && lease.attemptNumber >= doc.attemptNumber) continue;
      await leases.put({ id: doc.id, owner, attemptNumber: doc.attemptNumber, expiresAt: iso(nowMs + leaseMs) });
      claimed.push(doc);
    }
    return claimed;
  });
};

/** Extends our lease until `untilMs`; false when it is no longer ours (it expired and another instance took it). */
export const renewLease = async (reads: ReadStore, id: string, owner: string, attemptNumber: number, untilMs: number): Promise<boolean> =>
  reads.putIf
    ? // One conditional write: sets expiresAt to `untilMs` (the dispatcher only renews to a later time).
      reads.putIf<LeaseDoc>(deliveryLeases, { id, owner, attemptNumber, expiresAt: iso(untilMs) }, { orAbsent: false, anyOf: [{ owner: { eq: owner }, attemptNumber: { eq: attemptNumber } }] })
    : renewInTransaction(reads, id, owner, attemptNumber, untilMs);

const renewInTransaction = async (reads: ReadStore, id: string, owner: string, attemptNumber: number, untilMs: number): Promise<boolean> =>
  reads.transaction(async (tx) => {
    const leases = tx.collection<LeaseDoc>(deliveryLeases);
    const lease = await leases.get(id);
    if (!lease || lease.owner !== owner || lease.attemptNumber !== attemptNumber) return false;
    await leases.put({ ...lease, expiresAt: iso(Math.max(untilMs, Date.parse(lease.expiresAt))) });
    return true;
  });

/** Gives a lease back early, if it is still ours. */
export const releaseLease = async (reads: ReadStore, id: string, owner: string, attemptNumber: number): Promise<void> =>
  releaseLeases(reads, [{ id, owner, attemptNumber }]);

export type LeaseKey = Readonly<{ id: string; owner: string; attemptNumber: number }>;

/** Gives leases back early, those still ours, in one transaction. */
export const releaseLeases = async (reads: ReadStore, keys: readonly LeaseKey[]): Promise<void> => {
  if (keys.length === 0) return;
  await reads.transaction(async (tx) => {
    const leases = tx.collection<LeaseDoc>(deliveryLeases);
    for (const { id, owner, attemptNumber } of keys) {
      const lease = await leases.get(id);
      if (lease && lease.owner === owner && lease.attemptNumber === attemptNumber) await leases.delete(id);
    }
  });
};

/**
 * Releases leases in batches: those given back while a transaction runs go together in the next one. Releasing
 * early is an optimisation (an unreleased lease expires), so a failed batch is only reported.
 */
export class LeaseReleaser {
  private pending: LeaseKey[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly reads: ReadStore,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  release(key: LeaseKey): void {
    this.pending.push(key);
    this.flushing ??= this.drain();
  }

  /** Resolves once every lease given back so far is released (or its batch failed). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    // Let the releases of the same turn of the event loop join the batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        await releaseLeases(this.reads, batch).catch(this.onError);
      }
    } finally {
      this.flushing = null;
    }
  }
}

/** Deletes leases that expired before `beforeMs` (they block nothing; this only keeps the collection small). */
export const sweepExpiredLeases = async (reads: ReadStore, beforeMs: number, limit = 500): Promise<number> => {
  const page = await reads.collection<LeaseDoc>(deliveryLeases).find({ range: { key: 'expiresAt', lt: iso(beforeMs) }, orderBy: { key: 'expiresAt', direction: 'asc' }, limit });
  if (page.items.length === 0) return 0;
  return reads.transaction(async (tx) => {
    const leases = tx.collection<LeaseDoc>(deliveryLeases);
    let n = 0;
    for (const stale of page.items) {
      const lease = await leases.get(stale.id);
      if (lease && lease.expiresAt < iso(beforeMs)) {
        await leases.delete(lease.id);
        n++;
      }
    }
    return n;
  });
};

/**
 * Deletes the live leases of instances known to be gone (`instanceGone`: a crashed process on this host), so their
 * deliveries are claimed at once instead of after the lease expires. Checked again inside the transaction: a lease
 * renewed or taken by another instance meanwhile is kept.
 */
export const releaseLeasesOfGoneInstances = async (reads: ReadStore, nowMs: number, gone: (owner: string) => boolean, limit = 500): Promise<number> => {
  const page = await reads.collection<LeaseDoc>(deliveryLeases).find({ range: { key: 'expiresAt', gte: iso(nowMs) }, orderBy: { key: 'expiresAt', direction: 'asc' }, limit });
  const abandoned = page.items.filter((lease) => gone(lease.owner));
  if (abandoned.length === 0) return 0;
  return reads.transaction(async (tx) => {
    const leases = tx.collection<LeaseDoc>(deliveryLeases);
    let n = 0;
    for (const seen of abandoned) {
      const lease = await leases.get(seen.id);
      if (lease && lease.owner === seen.owner && lease.expiresAt === seen.expiresAt) {
        await leases.delete(lease.id);
        n++;
      }
    }
    return n;
  });
};
