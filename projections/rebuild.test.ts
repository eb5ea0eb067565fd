import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventMetadata } from '../domain/events';
import { streams } from '../domain/streams';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import type { Document } from '../store/readStore';
import { allProjections, collections } from './index';
import { ProjectionLeadership } from './leadership';
import { claimRebuildJob, readRebuildJob, requestRebuild, RebuildInProgressError } from './rebuildJobs';

const appId = (i: number): string => `app_01JREBU${String(i).padStart(19, '0')}`;

/** A rebuild job in the operational store, run by whichever process holds the projections lease. */
describe('rebuild jobs', () => {
  let dir = '';
  let events: SqliteEventStore;
  let reads: SqliteReadStore;
  let ops: SqliteReadStore;
  const leaderships: ProjectionLeadership[] = [];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hookbase-rebuild-'));
    events = SqliteEventStore.open(join(dir, 'events.db'));
    reads = SqliteReadStore.open(join(dir, 'read-models.db'));
    ops = SqliteReadStore.open(join(dir, 'operational.db'));
    for (let i = 0; i < 50; i++) {
      await events.appendToStream(
        streams.application(appId(i)),
        [{ type: 'ApplicationCreated', data: { applicationId: appId(i), name: `app ${i}`, uid: null, metadata: {}, createdAt: new Date(0).toISOString() }, metadata: eventMetadata('ApplicationCreated') }],
        { expectedRevision: 'no_stream' },
      );
    }
  });
  afterEach(async () => {
    for (const l of leaderships.splice(0)) await l.stop();
    await events.close();
    await reads.close();
    await ops.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (owner: string): Promise<ProjectionLeadership> => {
    const leadership = new ProjectionLeadership(events, reads, ops, allProjections, { owner, leaseMs: 600, standbyCheckMs: 50 });
    leaderships.push(leadership);
    await leadership.start();
    return leadership;
  };

  const finished = async (jobId: string) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const job = await readRebuildJob(ops, jobId);
      if (job && (job.state === 'done' || job.state === 'failed')) return job;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job?.state}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('allows one job at a time, and a new lease holder runs a job its dead runner left behind', async () => {
    const job = await requestRebuild(ops, ['applications'], new Date());
    await expect(requestRebuild(ops, [], new Date())).rejects.toBeInstanceOf(RebuildInProgressError);
    // Claimed by a process that died before it finished (nobody renews its lease).
    await claimRebuildJob(ops, job.id, 'dead-process', new Date());
    // A document the rebuild must drop: no event explains it.
    await reads.transaction((tx) => tx.collection<Document>(collections.applications).put({ id: 'app_planted' }));
    await start('survivor');
    const done = await finished(job.id);
    expect(done).toMatchObject({ state: 'done', runner: 'survivor', names: ['applications'], error: null, processedEvents: 50 });
    const apps = reads.collection<Document>(collections.applications);
    expect(await apps.get('app_planted')).toBeNull();
    expect(await apps.count()).toBe(50);
    // The shadow is gone, and another job may start.
    expect(await reads.collection<Document>({ ...collections.applications, name: 'shadow__applications' }).count()).toBe(0);
    expect((await requestRebuild(ops, [], new Date())).state).toBe('pending');
  });

  it('hands a running job back as pending when its process stops, for the next lease holder', async () => {
    const first = await start('first');
    const job = await requestRebuild(ops, [], new Date());
    const deadline = Date.now() + 5_000;
    while ((await readRebuildJob(ops, job.id))?.state !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    await first.stop();
    expect(await readRebuildJob(ops, job.id)).toMatchObject({ state: 'pending', runner: null, error: null });
    await start('second');
    expect(await finished(job.id)).toMatchObject({ state: 'done', error: null });
  });
});
