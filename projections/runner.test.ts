import { describe, expect, it } from 'vitest';
import { eventMetadata } from '../domain/events';
import { streams } from '../domain/streams';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { allProjections } from './index';
import { ProjectionRunner } from './runner';

const createApplication = (events: SqliteEventStore, id: string) =>
  events.appendToStream(
    streams.application(id),
    [{ type: 'ApplicationCreated', data: { applicationId: id, name: id, uid: null, metadata: {}, createdAt: new Date().toISOString() }, metadata: eventMetadata('ApplicationCreated') }],
    { expectedRevision: 'no_stream' },
  );

describe('ProjectionRunner', () => {
  it('started again over read models that are up to date, it says so at once: no batch is needed', async () => {
    const events = SqliteEventStore.open(':memory:');
    const reads = SqliteReadStore.open(':memory:');
    try {
      const { position } = await createApplication(events, 'app_01JRUNNER000000000000000A');
      const first = new ProjectionRunner(events, reads, allProjections);
      await first.start();
      expect(await first.waitFor(position, 5_000)).toBe(true);
      await first.stop();

      const again = new ProjectionRunner(events, reads, allProjections);
      await again.start();
      // Nothing new to project, so no batch will come: the checkpoints themselves answer.
      expect(await again.waitFor(position, 200)).toBe(true);
      const status = await again.status();
      expect(status.every((s) => s.lag === 0 && s.state === 'running')).toBe(true);
      await again.stop();
    } finally {
      await events.close();
      await reads.close();
    }
  });
});
