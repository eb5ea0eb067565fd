import { MongoClient } from 'mongodb';
import type { CommandStartedEvent } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDueDeliveries, renewLease } from '../../dispatcher/leases';
import type { DueDeliveryDoc } from '../../projections/readModels';
import { wireMongoUrl } from '../../test/wire/databases';
import type { CollectionDef, Document } from '../readStore';
import { redactUrl } from '../unreachable';
import { JONGODB_LACKS } from './jongodbLacks';
import { MongoReadStore } from './mongoReadStore';
import type { MongoDoc } from './query';
import { waitUntilCopied } from './swapCopying';

/**
 * The MongoDB adapter's own behaviour over the real driver and the real wire (what the ReadStore contract does not
 * cover): against the run's jongodb always, and against a real MongoDB when HOOKBASE_MONGO_URL is set. A case
 * jongodb cannot run is skipped there under a title naming what it lacks; it runs against the real server.
 */
type Target = Readonly<{ title: string; url: () => string; jongodb: boolean }>;

const targets: Target[] = [];
const real = process.env.HOOKBASE_MONGO_URL;
if (real) targets.push({ title: `MongoDB at ${redactUrl(real)}`, url: () => real, jongodb: false });
if (wireMongoUrl()) targets.push({ title: 'MongoDB wire server jongodb', url: () => wireMongoUrl('adapter') ?? '', jongodb: true });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const until = async (check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
};

for (const { title, url, jongodb } of targets) {
  describe(`MongoDB adapter on the wire: ${title}`, () => {
    const opened: MongoClient[] = [];
    afterEach(async () => {
      for (const client of opened.splice(0)) await client.close();
    });
    const open = async (options: { monitorCommands?: boolean } = {}): Promise<{ client: MongoClient; store: MongoReadStore }> => {
      const client = new MongoClient(url(), { serverSelectionTimeoutMS: 10_000, ...options });
      opened.push(client);
      await client.connect();
      return { client, store: new MongoReadStore(client, client.db()) };
    };

    it('creates a collection’s indexes while no transaction of its own is open, then runs the body again', async () => {
      const { client, store } = await open({ monitorCommands: true });
      const def: CollectionDef = { name: 'indexed', indexes: [{ equal: ['status'], sort: 'n' }], unique: ['uid'] };
      const other: CollectionDef = { name: 'read_first', indexes: [] };
      const open_: Set<string> = new Set();
      const builtWhileOpen: string[] = [];
      client.on('commandStarted', (event: CommandStartedEvent) => {
        const lsid = JSON.stringify(event.command.lsid ?? null);
        if (event.command.startTransaction === true) open_.add(lsid);
        if (event.commandName === 'commitTransaction' || event.commandName === 'abortTransaction') open_.delete(lsid);
        if (event.commandName === 'createIndexes' && open_.size > 0) builtWhileOpen.push(String(event.command.createIndexes));
      });
      let runs = 0;
      await store.transaction(async (tx) => {
        runs += 1;
        // A read first, as a projection does: the transaction is open on the server from here on.
        await tx.collection(other).get('x');
        await tx.collection<Document>(def).put({ id: 'a', status: 's', n: 1, uid: 'u' });
      });
      expect(builtWhileOpen).toEqual([]);
      expect(runs).toBe(2);
      const names = (await client.db().collection('rm_indexed').listIndexes().toArray()).map((index) => String(index.name));
      expect(names).toEqual(expect.arrayContaining(['status_1_n_1__id_1', 'hb_u_uid']));
      expect(await store.collection(def).get('a')).toEqual({ id: 'a', status: 's', n: 1, uid: 'u' });
      // Known from now on: the next transaction runs once.
      runs = 0;
      await store.transaction(async (tx) => {
        runs += 1;
        await tx.collection<Document>(def).put({ id: 'b', status: 's', n: 2 });
      });
      expect(runs).toBe(1);
    });

    it('claims a delivery lease once among concurrent claimers (one findOneAndUpdate each: a duplicate key means held), renews only its own', async () => {
      const { store } = await open();
      const due: DueDeliveryDoc = { id: 'out_1', applicationId: 'app', messageId: 'msg', endpointId: 'ep', attemptNumber: 1, dueAt: '2026-01-01T00:00:00.000Z' };
      const now = Date.parse('2026-01-01T00:00:00.000Z');
      const claims = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => claimDueDeliveries(store, [due], owner, 30_000, now)));
      expect(claims.filter((claimed) => claimed.length === 1)).toHaveLength(1);
      const owner = ['a', 'b', 'c', 'd'][claims.findIndex((claimed) => claimed.length === 1)] ?? '';
      expect(await renewLease(store, 'out_1', owner, 1, now + 60_000)).toBe(true);
      expect(await renewLease(store, 'out_1', owner === 'a' ? 'b' : 'a', 1, now + 60_000)).toBe(false);
      // Expired, or held for an earlier attempt: claimed again.
      expect(await claimDueDeliveries(store, [{ ...due, attemptNumber: 2 }], 'e', 30_000, now)).toHaveLength(1);
      expect(await claimDueDeliveries(store, [{ ...due, attemptNumber: 2 }], 'f', 30_000, now + 31_000)).toHaveLength(1);
      expect(await claimDueDeliveries(store, [{ ...due, attemptNumber: 2 }], 'g', 30_000, now + 32_000)).toHaveLength(0);
    });

    it('a swap by copying goes on only once the live collection shows the copy, and fails naming it when it never does', async () => {
      const { client } = await open();
      const db = client.db();
      const from = db.collection<MongoDoc>('rm_swap_copy_from');
      const to = db.collection<MongoDoc>('rm_swap_copy_to');
      await Promise.all([from.deleteMany({}), to.deleteMany({})]);
      await from.insertMany([{ _id: 'a', n: 1 }, { _id: 'b', n: 2 }]);
      await to.insertMany([{ _id: 'a', n: 1 }, { _id: 'b', n: 1 }]);
      // One document differs: the live runner would add to a count from before the copy.
      await expect(waitUntilCopied(from, to, 200)).rejects.toThrow("the swap's copy into rm_swap_copy_to was not visible after 200 ms (it shows 2 documents, the copy has 2)");
      const waiting = waitUntilCopied(from, to, 10_000);
      await sleep(100);
      await to.updateOne({ _id: 'b' }, { $set: { n: 2 } });
      await expect(waiting).resolves.toBeUndefined();
    });

    (jongodb ? it : it.skip)(
      `reads its writes by polling when the server has no change streams${jongodb ? '' : ' — SKIPPED on a real MongoDB: it has change streams (the case below)'}`,
      async () => {
        const { client, store } = await open();
        const lines: string[] = [];
        let changes = 0;
        const stop = store.watchCollection('projection_progress', () => changes++, (line) => lines.push(line), { pollMs: 20 });
        try {
          await until(() => lines.length > 0);
          expect(lines[0]).toMatch(/no change streams on this server .*reading rm_projection_progress every 20 ms instead/);
          const seen = changes;
          await client.db().collection('rm_projection_progress').insertOne({ _id: 'progress' as never });
          await until(() => changes >= seen + 2);
        } finally {
          stop();
        }
        const stopped = changes;
        await sleep(100);
        expect(changes).toBe(stopped);
      },
    );

    (jongodb ? it.skip : it)(
      `is told of every change through a change stream, reopened after an invalidate (collection dropped)${jongodb ? ` — SKIPPED ${JONGODB_LACKS.changeStreams}` : ''}`,
      async () => {
        const { client, store } = await open();
        const lines: string[] = [];
        let changes = 0;
        const watched = client.db().collection<{ _id: string; n: number }>('rm_projection_progress');
        await watched.insertOne({ _id: 'progress', n: 0 });
        const stop = store.watchCollection('projection_progress', () => changes++, (line) => lines.push(line), { backoffMs: 50 });
        try {
          // The stream is open once a write made after its start is seen.
          await until(async () => {
            await watched.updateOne({ _id: 'progress' }, { $inc: { n: 1 } });
            await sleep(50);
            return changes > 0;
          }, 10_000);
          await watched.drop();
          await until(() => lines.some((line) => line.includes('invalidated')));
          const before = changes;
          await until(async () => {
            await watched.updateOne({ _id: 'progress' }, { $inc: { n: 1 } }, { upsert: true });
            await sleep(50);
            return changes > before + 1;
          }, 10_000);
          expect(lines.filter((line) => line.includes('no change streams'))).toEqual([]);
        } finally {
          stop();
        }
      },
    );
  });
}
