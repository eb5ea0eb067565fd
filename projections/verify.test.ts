import { describe, expect, it } from 'vitest';
import { eventMetadata } from '../domain/events';
import type { HookbaseEvent } from '../domain/events';
import { streams } from '../domain/streams';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { allProjections } from './index';
import { collections } from './readModels';
import type { AttemptDoc } from './readModels';
import { ProjectionRunner } from './runner';
import { verifyReadModels } from './verify';

describe('the drift check across a change of document shape', () => {
  it('takes the fields an earlier version wrote to attempt documents for no drift, and still finds a changed field', async () => {
    const events = SqliteEventStore.open(':memory:');
    const live = SqliteReadStore.open(':memory:');
    const ref = { outboundId: 'out_v1', messageId: 'msg_v1', endpointId: 'ep_v1', applicationId: 'app_v1' };
    const appended: HookbaseEvent[] = [
      { type: 'MessageSent', data: { messageId: 'msg_v1', applicationId: 'app_v1', eventType: 'order.created', payload: { n: 1 }, eventId: null, timestamp: '2026-12-01T10:00:00.000Z', outbound: [{ outboundId: 'out_v1', endpointId: 'ep_v1', endpointUrl: 'https://example.com/hook', maxAttempts: 3 }] } },
      { type: 'AttemptSucceeded', data: { ...ref, attemptId: 'att_v1', attemptNumber: 1, responseStatus: 200, responseBody: 'ok', latencyMs: 12, attemptedAt: '2026-12-01T10:00:01.000Z' } },
    ];
    for (const e of appended) {
      const stream = e.type === 'MessageSent' ? streams.message('msg_v1') : streams.outbound('out_v1');
      await events.appendToStream(stream, [{ type: e.type, data: e.data, metadata: eventMetadata(e.type) }]);
    }
    const runner = new ProjectionRunner(events, live, allProjections);
    await runner.start();
    expect(await runner.waitFor(await events.headPosition(), 10_000)).toBe(true);
    await runner.stop();

    const attempts = live.collection<AttemptDoc>(collections.attempts);
    const projected = await attempts.get('att_v1');
    expect(projected).not.toHaveProperty('applicationId');
    expect(projected).not.toHaveProperty('endpointId');
    // The document as the version before this one wrote it.
    await live.transaction(async (tx) => tx.collection<AttemptDoc>(collections.attempts).put({ ...projected!, applicationId: 'app_v1', endpointId: 'ep_v1' }));
    const upgraded = await verifyReadModels(events, live, SqliteReadStore.open(':memory:'), allProjections);
    expect(upgraded.differences).toEqual([]);
    expect(upgraded.clean).toBe(true);

    await live.transaction(async (tx) => tx.collection<AttemptDoc>(collections.attempts).put({ ...projected!, applicationId: 'app_v1', endpointId: 'ep_v1', latencyMs: 99 }));
    const drifted = await verifyReadModels(events, live, SqliteReadStore.open(':memory:'), allProjections);
    expect(drifted.differences).toEqual([{ collection: 'attempts', id: 'att_v1', field: 'latencyMs', expected: 12, found: 99 }]);
    await live.close();
    await events.close();
  });
});
