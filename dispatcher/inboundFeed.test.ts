import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundDueDoc } from '../projections/readModels';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { InboundFeed } from './inboundFeed';

// The inbound feed on the real embedded store: what it hands over (receipts to route, created deliveries to claim),
// from where (the head at start), and that a failing handler does not stop it.

let dir: string;
let events: SqliteEventStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookbase-feed-'));
  events = SqliteEventStore.open(join(dir, 'events.db'), { synchronous: 'NORMAL' });
});
afterEach(async () => {
  await events.close();
  rmSync(dir, { recursive: true, force: true });
});

const receive = (id: string) => events.appendToStream(`inbound-${id}`, [{ type: 'InboundEventReceived', data: { inboundEventId: id }, metadata: {} }]);
const create = (id: string, destinationIds: string[]) =>
  events.appendToStream(`inbound_delivery-${id}`, [{ type: 'InboundDeliveryCreated', data: { deliveryId: id, destinationIds, createdAt: '2026-12-07T10:00:00.000Z' }, metadata: {} }]);

const until = async (check: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`the feed did not hand over ${what} in 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('InboundFeed', () => {
  it('hands over receipts and created deliveries appended after it started, and nothing else', async () => {
    await receive('ibe_before');
    const received: string[] = [];
    const created: InboundDueDoc[] = [];
    const feed = new InboundFeed(events, { received: async (ids) => void received.push(...ids), created: async (due) => void created.push(...due) }, () => {});
    await feed.start();
    await events.appendToStream('message-msg_1', [{ type: 'MessageSent', data: {}, metadata: {} }]);
    await receive('ibe_after');
    await create('ibd_1', ['dst_a', 'dst_b']);
    await until(() => received.length >= 1 && created.length >= 1, 'the receipt and the delivery');
    await feed.stop();
    await receive('ibe_stopped');
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(received).toEqual(['ibe_after']);
    // Due now, on its first destination, as the projection lists it in `inbound_due`.
    expect(created).toEqual([{ id: 'ibd_1', destinationId: 'dst_a', attemptNumber: 1, dueAt: '2026-12-07T10:00:00.000Z' }]);
  });

  it('reads on after a handler fails (the work lists keep what it did not do), and says so', async () => {
    const received: string[] = [];
    const logged: string[] = [];
    let calls = 0;
    const feed = new InboundFeed(
      events,
      {
        received: async (ids) => {
          if (++calls === 1) throw new Error('store busy');
          received.push(...ids);
        },
        created: async () => {},
      },
      (line) => logged.push(line),
    );
    await feed.start();
    await receive('ibe_1');
    await until(() => calls >= 1, 'the first receipt');
    await receive('ibe_2');
    await until(() => received.length >= 1, 'the second receipt');
    await feed.stop();
    expect(received).toEqual(['ibe_2']);
    expect(logged.join('\n')).toContain('inbound feed handler failed: store busy');
  });
});
