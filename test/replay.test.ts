import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { allProjections, resetProjections } from '../projections';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { eventually, startReceiver, startTestHookbase } from './harness';
import type { Receiver } from './harness';

// Read models are disposable: dropping them all and replaying $all gives the same API answers.
describe('dropping every read model and replaying $all', () => {
  let receiver: Receiver;
  afterAll(async () => receiver?.close());

  it('answers every query exactly as before', async () => {
    let failNext = 2;
    receiver = await startReceiver((_req, res) => {
      res.statusCode = failNext-- > 0 ? 503 : 200;
      res.end();
    });
    const apiKey = `replay_key_${'x'.repeat(16)}`;
    const first = await startTestHookbase({ apiKey, dispatcher: { retryScheduleMs: [20, 20, 20] } });
    const { sdk } = first;
    const app = await sdk.applications.create({ name: 'Replayed', uid: 'replayed', metadata: { tier: 'gold' } });
    const other = await sdk.applications.getOrCreate('other', { name: 'Other' });
    await sdk.applications.update(other.id, { name: 'Other, renamed' });
    await sdk.eventTypes.create({ name: 'user.created', category: 'Users', schema: { type: 'object', required: ['id'] } });
    await sdk.eventTypes.create({ name: 'user.deleted', category: 'Users' });
    await sdk.eventTypes.archive('user.deleted');
    const ep = await sdk.endpoints.create(app.id, { url: receiver.url, eventTypes: ['user.created'], retryDelays: [0, 0, 0] });
    const ep2 = await sdk.endpoints.create(app.id, { url: receiver.url, description: 'second' });
    await sdk.endpoints.update(app.id, ep2.id, { description: 'second, edited', headers: { 'x-team': 'blue' } });
    await sdk.endpoints.disable(app.id, ep2.id);
    for (let i = 0; i < 3; i++) await sdk.messages.send(app.id, { eventType: 'user.created', payload: { id: `u${i}` }, eventId: `user-${i}` });
    await eventually(async () => {
      const { data } = await sdk.messages.listAllOutbound(app.id, { status: 'success' });
      return data.length === 3;
    });

    const queries = [
      '/v1/applications',
      `/v1/applications/${app.id}`,
      '/v1/applications/uid/other',
      '/v1/event-types?includeArchived=true',
      '/v1/event-types/user.created',
      `/v1/applications/${app.id}/endpoints`,
      `/v1/applications/${app.id}/endpoints/${ep.id}`,
      `/v1/applications/${app.id}/endpoints/${ep.id}/stats`,
      `/v1/applications/${app.id}/messages`,
      `/v1/applications/${app.id}/outbound`,
      `/v1/applications/${app.id}/outbound?status=success`,
    ];
    const { data: outbound } = await sdk.messages.listAllOutbound(app.id, {});
    for (const o of outbound) queries.push(`/v1/applications/${app.id}/outbound/${o.id}/attempts`);
    const answer = async (hb: typeof first) => Promise.all(queries.map(async (q) => ({ q, body: (await hb.request('GET', q)).body })));
    const before = await answer(first);
    await first.stop({ keepData: true });

    // Drop every read model and checkpoint, then start again on the same event store.
    const reads = SqliteReadStore.open(`${first.dataDir}/read-models.db`);
    await resetProjections(reads, allProjections);
    expect(await reads.getCheckpoint('outbound')).toBeNull();
    await reads.close();

    const second = await startTestHookbase({ apiKey, dataDir: first.dataDir, roles: ['api', 'projections'] });
    try {
      const after = await answer(second);
      expect(after).toEqual(before);
    } finally {
      await second.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
