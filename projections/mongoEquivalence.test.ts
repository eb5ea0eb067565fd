import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { connectMongo } from '../store/mongo/connect';
import type { MongoStores } from '../store/mongo/connect';
import type { CollectionDef, Document, FindOptions, ReadStore, Scalar } from '../store/readStore';
import { eventually, startReceiver, startTestHookbase } from '../test/harness';
import type { Receiver, TestHookbase } from '../test/harness';
import { wireMongoUrl } from '../test/wire/databases';
import { allProjections } from './index';
import { ProjectionRunner } from './runner';
import { verifyReadModels } from './verify';

/**
 * The same `$all` projected by the embedded store and by MongoDB (the run's jongodb, the real driver) must give the
 * same read models, document for document: a real Hookbase makes the events (applications, endpoints, deliveries
 * that succeed, fail and are retried, a disabled endpoint, a rotated secret, an archived event type), then its
 * events are replayed into MongoDB. Whatever the adapters store differently (an undefined field as null, a number
 * type, an order) shows here, and in the drift check that `audit verify` runs.
 */
const everything = async (store: ReadStore, def: CollectionDef): Promise<Document[]> => {
  const docs: Document[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.collection<Document>(def).find({ limit: 1000, cursor });
    docs.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return docs;
};

/** Every page of a query, 3 items a page (so that cursors are crossed), as ids in page order. */
const pagedIds = async (store: ReadStore, def: CollectionDef, options: FindOptions): Promise<string[]> => {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.collection<Document>(def).find({ ...options, limit: 3, cursor });
    ids.push(...page.items.map((d) => d.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids;
};

const scalar = (value: unknown): Scalar => (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null);

describe('the read models on MongoDB (jongodb) equal the embedded ones for the same events', () => {
  let hb: TestHookbase;
  let ok: Receiver;
  let failing: Receiver;
  let events: SqliteEventStore;
  let embedded: SqliteReadStore;
  let mongo: MongoStores;

  beforeAll(async () => {
    ok = await startReceiver();
    failing = await startReceiver((_req, res) => {
      res.statusCode = 500;
      res.end('no');
    });
    hb = await startTestHookbase({ dispatcher: { retryScheduleMs: [50, 50] } });
    await hb.sdk.eventTypes.create({ name: 'order.created', description: 'An order' });
    await hb.sdk.eventTypes.create({ name: 'order.archived' });
    await hb.sdk.eventTypes.archive('order.archived');
    const app = await hb.sdk.applications.create({ name: 'Shop', uid: 'shop-1', metadata: { plan: 'pro' } });
    const other = await hb.sdk.applications.create({ name: 'No uid' });
    await hb.sdk.applications.update(other.id, { name: 'Renamed' });
    const good = await hb.sdk.endpoints.create(app.id, { url: ok.url, description: 'good' });
    const bad = await hb.sdk.endpoints.create(app.id, { url: failing.url, eventTypes: ['order.created'], retryDelays: [1, 1], headers: { 'x-tenant': 'shop' } });
    await hb.sdk.endpoints.rotateSecret(app.id, good.id);
    for (let i = 0; i < 8; i++) await hb.sdk.messages.send(app.id, { eventType: 'order.created', payload: { i }, ...(i % 3 === 0 ? { eventId: `evt-${i}` } : {}) });
    await eventually(async () => {
      const outbound = (await hb.sdk.messages.listOutbound(app.id, { limit: 100 })).data;
      const toBad = outbound.filter((o) => o.endpointId === bad.id);
      // Some failed deliveries wait for a retry (the due-queue read model has them), others are settled.
      return outbound.length === 16 && outbound.filter((o) => o.endpointId === good.id).every((o) => o.status === 'success') && toBad.filter((o) => o.status === 'failed').length >= 3;
    }, 30_000);
    await hb.sdk.endpoints.disable(app.id, bad.id);
    await hb.stop({ keepData: true });
    events = SqliteEventStore.open(join(hb.dataDir, 'events.db'));
    embedded = SqliteReadStore.open(join(hb.dataDir, 'read-models.db'));
    const url = wireMongoUrl('equivalence');
    if (!url) throw new Error('no MongoDB wire server: run under vitest with test/wire/globalSetup.ts');
    mongo = await connectMongo(url, { timeoutMs: 10_000 });
    const runner = new ProjectionRunner(events, mongo.reads, allProjections);
    await runner.start();
    try {
      expect(await runner.waitFor(await events.headPosition(), 20_000)).toBe(true);
    } finally {
      await runner.stop();
    }
  }, 90_000);

  afterAll(async () => {
    await mongo?.reads.close();
    await mongo?.ops.close();
    await embedded?.close();
    await events?.close();
    await ok?.close();
    await failing?.close();
    if (hb) rmSync(hb.dataDir, { recursive: true, force: true });
  });

  it('every document of every projection’s collections, field for field', async () => {
    let compared = 0;
    for (const def of allProjections.flatMap((p) => p.collections)) {
      const expected = await everything(embedded, def);
      // toStrictEqual: a field stored as null where the other adapter leaves it out is a difference.
      expect({ collection: def.name, docs: await everything(mongo.reads, def) }).toStrictEqual({ collection: def.name, docs: expected });
      compared += expected.length;
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('answers every declared query shape the same, page by page in both directions, with the same counts', async () => {
    let queries = 0;
    for (const def of allProjections.flatMap((p) => p.collections)) {
      const docs = await everything(embedded, def);
      for (const index of def.indexes) {
        // The equality values the documents have (null for a missing field), a few of each shape.
        const wheres = new Map<string, Record<string, Scalar>>();
        for (const doc of docs) {
          const where = Object.fromEntries(index.equal.map((key) => [key, scalar(doc[key])]));
          wheres.set(JSON.stringify(where), where);
          if (wheres.size >= 4) break;
        }
        for (const where of wheres.values()) {
          const sort = index.sort ?? 'id';
          for (const direction of ['asc', 'desc'] as const) {
            const options: FindOptions = { where, orderBy: { key: sort, direction } };
            expect({ collection: def.name, options, ids: await pagedIds(mongo.reads, def, options) }).toEqual({ collection: def.name, options, ids: await pagedIds(embedded, def, options) });
            queries++;
          }
          expect(await mongo.reads.collection(def).count(where)).toBe(await embedded.collection(def).count(where));
        }
      }
    }
    expect(queries).toBeGreaterThan(20);
  });

  it('the drift check (audit verify) finds MongoDB’s read models clean', async () => {
    const scratch = SqliteReadStore.open(':memory:');
    try {
      const report = await verifyReadModels(events, mongo.reads, scratch, allProjections);
      expect(report.differences).toEqual([]);
      expect(report.clean).toBe(true);
      expect(report.checkedDocuments).toBeGreaterThan(40);
    } finally {
      await scratch.close();
    }
  });
});
