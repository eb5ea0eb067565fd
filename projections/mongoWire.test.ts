import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventMetadata } from '../domain/events';
import { streams } from '../domain/streams';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { positionToString } from '../store/eventStore';
import { connectMongo } from '../store/mongo/connect';
import type { MongoStores } from '../store/mongo/connect';
import type { Document } from '../store/readStore';
import { wireMongoUrl } from '../test/wire/databases';
import { allProjections, collections } from './index';
import { ProjectionLeadership, acquireProjectionLease, projectionLeaseHolder } from './leadership';
import { readProgress } from './progress';
import { readRebuildJob, requestRebuild } from './rebuildJobs';
import { ProjectionRunner } from './runner';
import { verifyReadModels } from './verify';

/**
 * The projections over the MongoDB adapter on the real wire: the run's jongodb (a database per case), the real
 * `mongodb` driver, the real runner, rebuild and drift check; the events in an embedded store.
 */
const appId = (i: number): string => `app_01JMONGOWIRE${String(i).padStart(13, '0')}`;

const createApplications = async (events: SqliteEventStore, count: number, from = 0) => {
  let last = null;
  for (let i = from; i < from + count; i++) {
    last = await events.appendToStream(
      streams.application(appId(i)),
      [{ type: 'ApplicationCreated', data: { applicationId: appId(i), name: `app ${i}`, uid: i % 2 ? `uid-${i}` : null, metadata: { i: String(i) }, createdAt: new Date(i * 1000).toISOString() }, metadata: eventMetadata('ApplicationCreated') }],
      { expectedRevision: 'no_stream' },
    );
  }
  if (!last) throw new Error('no event');
  return last.position;
};

describe('projections over MongoDB (jongodb wire server)', () => {
  let events: SqliteEventStore;
  let mongo: MongoStores;
  beforeEach(async () => {
    const url = wireMongoUrl('projections');
    if (!url) throw new Error('no MongoDB wire server: run under vitest with test/wire/globalSetup.ts');
    events = SqliteEventStore.open(':memory:');
    mongo = await connectMongo(url, { timeoutMs: 10_000 });
  });
  afterEach(async () => {
    await events.close();
    await mongo.reads.close();
    await mongo.ops.close();
  });

  it('the runner commits each batch with its checkpoints and the progress document', async () => {
    const position = await createApplications(events, 5);
    const lines: string[] = [];
    // Its log says why a batch did not commit (the subscription drops and comes back).
    const runner = new ProjectionRunner(events, mongo.reads, allProjections, (line) => lines.push(line));
    try {
      await runner.start();
      expect(await runner.waitFor(position, 10_000)).toBe(true);
    } finally {
      await runner.stop();
    }
    expect(lines).toEqual([]);
    expect(await mongo.reads.getCheckpoint('applications')).toBe(positionToString(position));
    expect((await readProgress(mongo.reads))?.position).toBe(positionToString(position));
    const apps = mongo.reads.collection<Document>(collections.applications);
    expect(await apps.count()).toBe(5);
    expect(await apps.get(appId(3))).toMatchObject({ id: appId(3), name: 'app 3', uid: 'uid-3', metadata: { i: '3' }, disabled: false });
    // Started again over its own checkpoints: nothing is projected twice, new events are.
    const next = await createApplications(events, 2, 5);
    const again = new ProjectionRunner(events, mongo.reads, allProjections);
    try {
      await again.start();
      expect(await again.waitFor(next, 10_000)).toBe(true);
    } finally {
      await again.stop();
    }
    expect(await apps.count()).toBe(7);
  });

  it('gives the projections lease to one of several processes claiming it at once, and to another once it ran out', async () => {
    const owners = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
    const now = 1_000_000;
    const won = await Promise.all(owners.map((owner) => acquireProjectionLease(mongo.ops, owner, 5_000, now)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const holder = owners[won.indexOf(true)];
    expect((await projectionLeaseHolder(mongo.ops))?.owner).toBe(holder);
    // Renewed by its holder, refused to the others while it runs.
    expect(await acquireProjectionLease(mongo.ops, holder ?? '', 5_000, now + 1_000)).toBe(true);
    expect(await acquireProjectionLease(mongo.ops, 'late', 5_000, now + 5_999)).toBe(false);
    const after = await Promise.all(owners.filter((o) => o !== holder).map((owner) => acquireProjectionLease(mongo.ops, owner, 5_000, now + 6_000)));
    expect(after.filter(Boolean)).toHaveLength(1);
  });

  it('a rebuild job replaces the read models by ones replayed from $all, and the drift check finds them clean', async () => {
    await createApplications(events, 30);
    const leadership = new ProjectionLeadership(events, mongo.reads, mongo.ops, allProjections, { owner: 'wire', leaseMs: 2_000, standbyCheckMs: 50 });
    try {
      await leadership.start();
      const apps = mongo.reads.collection<Document>(collections.applications);
      const deadline = Date.now() + 15_000;
      while ((await apps.count()) < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await apps.count()).toBe(30);
      // A document no event explains: the drift check names it, the rebuild drops it.
      await mongo.reads.transaction((tx) => tx.collection<Document>(collections.applications).put({ id: 'app_planted', name: 'x' }));
      const scratch = (): SqliteReadStore => SqliteReadStore.open(':memory:');
      const drifted = scratch();
      try {
        const report = await verifyReadModels(events, mongo.reads, drifted, allProjections);
        expect(report.clean).toBe(false);
        expect(report.differences).toEqual([{ collection: 'applications', id: 'app_planted', field: '*', expected: null, found: { id: 'app_planted', name: 'x' } }]);
      } finally {
        await drifted.close();
      }
      const job = await requestRebuild(mongo.ops, ['applications'], new Date());
      const until = Date.now() + 20_000;
      let state = job.state;
      while (state !== 'done' && state !== 'failed' && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
        state = (await readRebuildJob(mongo.ops, job.id))?.state ?? state;
      }
      expect(await readRebuildJob(mongo.ops, job.id)).toMatchObject({ state: 'done', error: null, processedEvents: 30 });
      expect(await apps.get('app_planted')).toBeNull();
      expect(await apps.count()).toBe(30);
      expect(await apps.get(appId(7))).toMatchObject({ name: 'app 7', uid: 'uid-7' });
      expect(await mongo.reads.collection<Document>({ ...collections.applications, name: 'shadow__applications' }).count()).toBe(0);
      const clean = scratch();
      try {
        const report = await verifyReadModels(events, mongo.reads, clean, allProjections);
        expect(report).toMatchObject({ clean: true, differences: [] });
        expect(report.checkedDocuments).toBeGreaterThanOrEqual(30);
      } finally {
        await clean.close();
      }
    } finally {
      await leadership.stop();
    }
  });
});
