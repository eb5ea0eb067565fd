import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventMetadata } from '../domain/events';
import { streams } from '../domain/streams';
import { allProjections, collections } from '../projections';
import { ProjectionLeadership } from '../projections/leadership';
import { claimProgress } from '../projections/progress';
import { Rebuild } from '../projections/rebuild';
import { claimRebuildJob, readRebuildJob, requestRebuild } from '../projections/rebuildJobs';
import type { RebuildJobDoc } from '../projections/rebuildJobs';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import type { Position } from '../store/eventStore';
import { positionToString } from '../store/eventStore';
import type { CollectionDef, Document, FindOptions, IndexDef, Scalar } from '../store/readStore';
import { eventually, startReceiver, startTestHookbase } from './harness';

/**
 * A rebuild loads its shadow collections without their declared indexes and builds them in the swap
 * (CollectionDef.indexesDeferred): what a user of the rebuilt read models would check — every list query shape answers
 * as before and from its index, the same indexes are there, and an interrupted rebuild started again ends identical.
 */

const defs: CollectionDef[] = [...new Map(allProjections.flatMap((p) => p.collections).map((c) => [c.name, c])).values()];
const FILLER_APPS = 3000;
/** Two applications × (25 messages to the first endpoint + the 9 of type other.event to the second). */
const OUTBOUND = 2 * (25 + 9);

type Snapshot = Readonly<{ docs: Record<string, Document[]>; indexes: string[]; answers: Record<string, unknown> }>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The equality values of one stored document for `index` (null for a missing field: matches missing or null). */
const whereOf = (doc: Document, index: IndexDef): Record<string, Scalar> =>
  Object.fromEntries(index.equal.map((key) => [key, (doc[key] ?? null) as Scalar]));

/** Every page of one query, in small pages (cursors included). */
const findAll = async (reads: SqliteReadStore, def: CollectionDef, options: FindOptions): Promise<Document[]> => {
  const out: Document[] = [];
  let cursor: string | undefined;
  do {
    const page = await reads.collection<Document>(def).find({ ...options, limit: 7, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
};

describe('a rebuild with deferred indexes', () => {
  let dataDir = '';
  let events: SqliteEventStore;
  let reads: SqliteReadStore;
  let ops: SqliteReadStore;
  const leaderships: ProjectionLeadership[] = [];

  beforeAll(async () => {
    // Real read models: messages, deliveries and attempts through a real Hookbase and receiver.
    const receiver = await startReceiver();
    const hb = await startTestHookbase();
    try {
      await hb.sdk.eventTypes.create({ name: 'deferred.event' });
      await hb.sdk.eventTypes.create({ name: 'other.event' });
      for (const name of ['First', 'Second']) {
        const appId = (await hb.sdk.applications.create({ name })).id;
        await hb.sdk.endpoints.create(appId, { url: receiver.url });
        await hb.sdk.endpoints.create(appId, { url: receiver.url, eventTypes: ['other.event'] });
        for (let i = 0; i < 25; i++) await hb.sdk.messages.send(appId, { eventType: i % 3 === 0 ? 'other.event' : 'deferred.event', payload: { i } });
      }
      await eventually(async () => {
        const res = await hb.request('GET', '/v1/admin/projections');
        const db = new Database(join(hb.dataDir, 'read-models.db'), { readonly: true });
        try {
          const pending = db.prepare("SELECT count(*) AS n FROM rm_outbound WHERE json_extract(doc, '$.status') <> 'success'").get() as { n: number };
          const total = db.prepare('SELECT count(*) AS n FROM rm_outbound').get() as { n: number };
          return res.status === 200 && total.n === OUTBOUND && pending.n === 0;
        } finally {
          db.close();
        }
      }, 30_000);
    } finally {
      await hb.stop({ keepData: true });
      await receiver.close();
    }
    dataDir = hb.dataDir;
    events = SqliteEventStore.open(join(dataDir, 'events.db'), { synchronous: 'NORMAL' });
    reads = SqliteReadStore.open(join(dataDir, 'read-models.db'));
    ops = SqliteReadStore.open(join(dataDir, 'operational.db'));
    // Enough events that a rebuild can be stopped in the middle of its replay.
    for (let i = 0; i < FILLER_APPS; i++) {
      const applicationId = `app_01JDEFER${String(i).padStart(17, '0')}`;
      await events.appendToStream(
        streams.application(applicationId),
        [{ type: 'ApplicationCreated', data: { applicationId, name: `filler ${i}`, uid: null, metadata: {}, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }, metadata: eventMetadata('ApplicationCreated') }],
        { expectedRevision: 'no_stream' },
      );
    }
  }, 120_000);

  afterAll(async () => {
    for (const l of leaderships.splice(0)) await l.stop();
    await events?.close();
    await reads?.close();
    await ops?.close();
  });

  const lead = async (owner: string): Promise<ProjectionLeadership> => {
    const leadership = new ProjectionLeadership(events, reads, ops, allProjections, { owner, leaseMs: 600, standbyCheckMs: 50 });
    leaderships.push(leadership);
    await leadership.start();
    return leadership;
  };
  const finished = async (jobId: string): Promise<RebuildJobDoc> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const job = await readRebuildJob(ops, jobId);
      if (job && (job.state === 'done' || job.state === 'failed')) return job;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job?.state}`);
      await sleep(10);
    }
  };

  const indexSql = (): string[] => {
    const db = new Database(join(dataDir, 'read-models.db'), { readonly: true });
    try {
      return (db.prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'rm\\_%' ESCAPE '\\' ORDER BY name").all() as { name: string; tbl_name: string; sql: string | null }[])
        .map((r) => `${r.tbl_name} ${r.name} ${r.sql ?? '(automatic)'}`);
    } finally {
      db.close();
    }
  };

  /** Every document of every read model, and the answer to every declared query shape, from a sample document's keys. */
  const snapshot = async (): Promise<Snapshot> => {
    const docs: Record<string, Document[]> = {};
    const answers: Record<string, unknown> = {};
    for (const def of defs) {
      docs[def.name] = await findAll(reads, def, {});
      const sample = docs[def.name]?.[Math.floor((docs[def.name]?.length ?? 0) / 2)];
      for (const index of def.indexes) {
        if (!sample) continue;
        const where = whereOf(sample, index);
        for (const direction of ['asc', 'desc'] as const) {
          const options: FindOptions = { where, orderBy: { key: index.sort ?? 'id', direction } };
          answers[`${def.name} ${JSON.stringify(options)}`] = (await findAll(reads, def, options)).map((d) => d.id);
          // From the index: no table scan, no sort of its own (the very statements the adapter runs).
          for (const plan of reads.explainFind(def, { ...options, limit: 7 })) {
            for (const line of plan) expect(line, `${def.name} ${JSON.stringify(options)}`).toMatch(/^(SEARCH|SCAN) \S+ USING (COVERING )?(INDEX|PRIMARY KEY)/);
            expect(plan.join('; ')).not.toMatch(/TEMP B-TREE/);
          }
        }
        answers[`${def.name} count ${JSON.stringify(where)}`] = await reads.collection(def).count(where);
      }
    }
    return { docs, indexes: indexSql(), answers };
  };

  it('swaps in collections that answer every declared query shape as before, from the same indexes', async () => {
    const leadership = await lead('first');
    const head = await events.headPosition();
    // The live read models first catch up with the filler.
    await eventually(async () => (await reads.getCheckpoint('applications')) === positionToString(head), 30_000);
    const before = await snapshot();
    expect(before.docs[collections.outbound.name]).toHaveLength(OUTBOUND);
    expect(before.docs[collections.applications.name]).toHaveLength(FILLER_APPS + 2);

    const job = await requestRebuild(ops, [], new Date());
    expect(await finished(job.id)).toMatchObject({ state: 'done', error: null });
    const after = await snapshot();
    expect(after.indexes).toEqual(before.indexes);
    expect(after.answers).toEqual(before.answers);
    expect(after.docs).toEqual(before.docs);
    await leadership.stop();
  }, 120_000);

  it('replays into shadow collections that have their unique indexes only (and the one a projection queries)', async () => {
    const head = await events.headPosition();
    let shadowIndexes: string[] = [];
    // This test is the lease holder (the swap is fenced by the progress document's owner).
    await claimProgress(reads, 'inspector');
    const job = (await claimRebuildJob(ops, (await requestRebuild(ops, [], new Date())).id, 'inspector', new Date()))!;
    const rebuild = new Rebuild({
      events,
      reads,
      ops,
      job,
      projections: allProjections,
      owner: 'inspector',
      log: () => {},
      host: {
        livePosition: (): Position => head,
        // Where the swap would start: the replay caught up, nothing built yet.
        withLiveStopped: async (work) => {
          shadowIndexes = indexSql().filter((line) => line.startsWith('rm_shadow__'));
          await work(head);
        },
      },
    });
    await rebuild.run();
    expect(await readRebuildJob(ops, job.id)).toMatchObject({ state: 'done', error: null });
    const declared = shadowIndexes.filter((line) => line.includes('__i__')).map((line) => line.split(' ')[1]);
    // subscriptions: EndpointUpdated reads an endpoint's set by endpointId (projections/subscriptions.ts).
    expect(declared).toEqual(['rm_shadow__subscriptions__i__endpointId']);
    const unique = shadowIndexes.filter((line) => line.includes('__u__')).map((line) => line.split(' ')[1]);
    // Uniqueness is kept while loading (the collections written: applications have a uid).
    expect(unique).toContain(`rm_shadow__${collections.applications.name}__u__uid`);
  }, 60_000);

  it('a rebuild stopped in the middle of its replay, and one that crashed leaving a shadow behind, end identical to the live models when run again', async () => {
    const leadership = await lead('interrupted');
    const before = await snapshot();
    const job = await requestRebuild(ops, [], new Date());
    // Stopped while the shadow is half filled (its process stops: the job goes back to pending).
    const db = new Database(join(dataDir, 'read-models.db'), { readonly: true });
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const table = db.prepare("SELECT 1 AS x FROM sqlite_master WHERE name = 'rm_shadow__applications'").get();
        const rows = table ? (db.prepare('SELECT count(*) AS n FROM rm_shadow__applications').get() as { n: number }).n : 0;
        if (rows > 0 && rows < FILLER_APPS) break;
        if (Date.now() > deadline) throw new Error('the replay was never seen half done');
        await sleep(1);
      }
    } finally {
      db.close();
    }
    await leadership.stop();
    expect(await readRebuildJob(ops, job.id)).toMatchObject({ state: 'pending', runner: null });
    // A crash leaves its shadow behind: a document no event explains, in a shadow collection with an index.
    await reads.transaction(async (tx) => {
      await tx.collection<Document>({ ...collections.messages, name: 'shadow__messages', indexesDeferred: true }).put({ id: 'msg_left_by_a_crash', applicationId: 'app_x' });
    });
    await lead('restarted');
    expect(await finished(job.id)).toMatchObject({ state: 'done', error: null });
    const after = await snapshot();
    expect(after.indexes).toEqual(before.indexes);
    expect(after.answers).toEqual(before.answers);
    expect(after.docs).toEqual(before.docs);
  }, 120_000);
});
