import { describe, expect, it } from 'vitest';
import { eventMetadata } from '../domain/events';
import { streams } from '../domain/streams';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { allProjections } from './index';
import { ProjectionRunner } from './runner';

describe('ProjectionRunner and events its subscription drops', () => {
  it('releases a command waiting on the position of an event no batch carries (a system event)', async () => {
    const events = SqliteEventStore.open(':memory:');
    const reads = SqliteReadStore.open(':memory:');
    const runner = new ProjectionRunner(events, reads, allProjections);
    try {
      await runner.start();
      const id = 'app_01JRUNNERCHECKPOINT000000A';
      const created = await events.appendToStream(streams.application(id), [
        { type: 'ApplicationCreated', data: { applicationId: id, name: id, uid: null, metadata: {}, createdAt: new Date().toISOString() }, metadata: eventMetadata('ApplicationCreated') },
      ]);
      expect(await runner.waitFor(created.position, 5_000)).toBe(true);
      // A command whose own event the projections never see (a `$` type) waits for its position all the same.
      const system = await events.appendToStream('$settings', [{ type: '$metadata', data: { note: 'system' } }]);
      const started = Date.now();
      expect(await runner.waitFor(system.position, 3_000)).toBe(true);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(runner.position).toEqual(system.position);
    } finally {
      await runner.stop();
      await events.close();
      await reads.close();
    }
  });
});
