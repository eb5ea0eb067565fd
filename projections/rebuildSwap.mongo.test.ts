import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventMetadata } from '../domain/events';
import { streams } from '../domain/streams';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { connectMongo } from '../store/mongo/connect';
import type { MongoStores } from '../store/mongo/connect';
import { wireMongoUrl } from '../test/wire/databases';
import { allProjections, collections } from './index';
import { ProjectionLeadership } from './leadership';
import type { ApplicationStatsDoc } from './readModels';
import { readRebuildJob, requestRebuild } from './rebuildJobs';

/**
 * A rebuild's swap while messages keep coming, on the MongoDB adapter (the run's jongodb, the real driver, the real
 * leadership, runner and rebuild; events embedded). The live runner stops for the swap: a batch it was applying
 * then must commit before the swap, never after it (it would add its events to read models that already hold them:
 * `application_stats.messagesSent` one too high, as `audit verify` found in the production suite).
 */
const APP = 'app_01JREBUILDSWAP0000000000001';

describe('a rebuild under steady appends, over MongoDB (jongodb wire server)', () => {
  let events: SqliteEventStore;
  let mongo: MongoStores;
  beforeEach(async () => {
    const url = wireMongoUrl('rebuildswap');
    if (!url) throw new Error('no MongoDB wire server: run under vitest with test/wire/globalSetup.ts');
    events = SqliteEventStore.open(':memory:');
    mongo = await connectMongo(url, { timeoutMs: 10_000 });
  });
  afterEach(async () => {
    await events.close();
    await mongo.reads.close();
    await mongo.ops.close();
  });

  it('counts every message once in application_stats, rebuild after rebuild, while messages keep coming', async () => {
    let sent = 0;
    const send = async (): Promise<void> => {
      const id = `msg_${String(sent).padStart(10, '0')}`;
      await events.appendToStream(
        streams.message(id),
        [{ type: 'MessageSent', data: { messageId: id, applicationId: APP, eventType: 'order.created', payload: { n: sent }, eventId: null, timestamp: new Date().toISOString(), outbound: [] }, metadata: eventMetadata('MessageSent') }],
        { expectedRevision: 'no_stream' },
      );
      sent += 1;
    };
    const leadership = new ProjectionLeadership(events, mongo.reads, mongo.ops, allProjections, { owner: 'wire', leaseMs: 2_000, standbyCheckMs: 50 });
    const stats = mongo.reads.collection<ApplicationStatsDoc>(collections.applicationStats);
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    try {
      await leadership.start();
      for (let i = 0; i < 20; i++) await send();
      for (let round = 0; round < 3; round++) {
        let sending = true;
        // Slower as the round goes on: messages keep coming through the rebuild and its swap, but a round that a
        // loaded machine stretches does not grow the collections without bound. A write on jongodb costs more the
        // larger its collection (docs/production.md): the one failed run had sent 2,148 messages by round 2, against
        // about 280 in a run alone, and its live runner then fell behind.
        const sender = (async () => {
          for (let inRound = 0; sending; inRound++) {
            await send();
            await sleep(5 + Math.floor(inRound / 4));
          }
        })();
        const job = await requestRebuild(mongo.ops, ['outbound'], new Date());
        const until = Date.now() + 30_000;
        let state = job.state;
        while (state !== 'done' && state !== 'failed' && Date.now() < until) {
          await sleep(20);
          state = (await readRebuildJob(mongo.ops, job.id))?.state ?? state;
        }
        sending = false;
        await sender;
        expect(state).toBe('done');
        // Catching up may be slow when the run's other files load jongodb too: wait for the count, which must then be
        // exact. A count that never gets there is a loss, and still fails. (The failed run was 194 short 10 s after
        // its last send. Measured since, the live runner on jongodb takes longer per batch the more messages the
        // collection holds: a batch of 500 took 4.3 s up to 841 messages, 15 s up to 1,841, 65 s up to 4,134; so
        // that run was most likely behind, not short. store/mongo/swapCopying.ts's wait for the copy to be visible
        // now fails the rebuild rather than give up after 2 s, so a give-up would show as `failed` above.)
        const deadline = Date.now() + 30_000;
        while (((await stats.get(APP))?.messagesSent ?? 0) < sent && Date.now() < deadline) await sleep(20);
        // A batch committed late would land after the count reached `sent`: give it the time to.
        await sleep(300);
        expect({ round, messagesSent: (await stats.get(APP))?.messagesSent }).toEqual({ round, messagesSent: sent });
      }
    } finally {
      await leadership.stop();
    }
  }, 240_000);
});
