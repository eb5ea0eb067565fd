import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../domain/json';
import { derivedSubscriptionId } from '../domain/ids';
import { eventMetadata } from '../domain/events';
import type { HookbaseEventType } from '../domain/events';
import { streams } from '../domain/streams';
import { SqliteEventStore } from '../store/embedded/sqliteEventStore';
import { SqliteReadStore } from '../store/embedded/sqliteReadStore';
import { allProjections } from './index';
import { collections } from './readModels';
import type { EndpointDoc, SubscriptionDoc } from './readModels';
import { ProjectionRunner } from './runner';

// The subscriptions read model and the endpoint's routing filter, projected from an endpoint stream holding
// events of the version before subscriptions were events (v1) followed by events written now.

const T0 = '2025-06-01T00:00:00.000Z';
const T1 = '2025-06-02T00:00:00.000Z';
const T2 = '2026-01-01T00:00:00.000Z';
const EP = 'ep_01JSUBSCRIPTIONS000000000A';
const APP = 'app_01JSUBSCRIPTIONS00000000A';
const secret = { alg: 'A256GCM', iv: 'aXYx', tag: 'dGFnMQ==', data: 'c2VjcmV0MQ==' };
const v1Settings = { url: 'https://example.com/hooks', description: '', headers: {}, rateLimitPerSecond: null, timeoutSeconds: 15, retryDelays: null, metadata: {} };

const event = (type: HookbaseEventType, data: JsonObject, schemaVersion?: number) => ({
  type,
  data,
  metadata: schemaVersion === undefined ? eventMetadata(type) : { schemaVersion },
});

const project = async (events: SqliteEventStore, reads: SqliteReadStore, position: Parameters<ProjectionRunner['waitFor']>[0]): Promise<void> => {
  const runner = new ProjectionRunner(events, reads, allProjections);
  await runner.start();
  expect(await runner.waitFor(position, 5_000)).toBe(true);
  await runner.stop();
};

const subsOf = async (reads: SqliteReadStore): Promise<Omit<SubscriptionDoc, 'createdAt' | 'updatedAt'>[]> =>
  (await reads.collection<SubscriptionDoc>(collections.subscriptions).find({ where: { endpointId: EP } })).items
    .map(({ createdAt: _c, updatedAt: _u, ...rest }) => rest)
    .sort((a, b) => a.eventTypeName.localeCompare(b.eventTypeName));

describe('subscriptions projection', () => {
  it('reads v1 events as the subscriptions they imply, then follows the subscription events', async () => {
    const events = SqliteEventStore.open(':memory:');
    const reads = SqliteReadStore.open(':memory:');
    try {
      const stream = streams.endpoint(EP);
      // 1. what a store of the previous version holds: a filter on creation, replaced by an update and a PUT
      let { position } = await events.appendToStream(
        stream,
        [
          event('EndpointCreated', { ...v1Settings, eventTypes: ['a', 'b'], endpointId: EP, applicationId: APP, disabled: false, secret, createdAt: T0 }, 1),
          event('EndpointUpdated', { ...v1Settings, eventTypes: ['b', 'c'], endpointId: EP, updatedAt: T1 }, 1),
        ],
        { expectedRevision: 'no_stream' },
      );
      await project(events, reads, position);
      const sub = (name: string) => ({ id: derivedSubscriptionId(EP, name), endpointId: EP, applicationId: APP, eventTypeName: name, isEnabled: true });
      expect(await subsOf(reads)).toEqual([sub('b'), sub('c')]);
      const endpoints = reads.collection<EndpointDoc>(collections.endpoints);
      expect(await endpoints.get(EP)).toMatchObject({ eventTypes: ['b', 'c'], subscriptionCount: 2 });

      // 2. written now: a pair disabled, one removed, one added
      ({ position } = await events.appendToStream(
        stream,
        [
          event('EndpointSubscriptionDisabled', { endpointId: EP, subscriptionId: sub('b').id, eventType: 'b', disabledAt: T2 }),
          event('EndpointSubscriptionRemoved', { endpointId: EP, subscriptionId: sub('c').id, eventType: 'c', removedAt: T2 }),
          event('EndpointSubscriptionAdded', { endpointId: EP, applicationId: APP, subscriptionId: 'sub_NEW', eventType: 'd', addedAt: T2 }),
        ],
        { expectedRevision: 1n },
      ));
      await project(events, reads, position);
      expect(await subsOf(reads)).toEqual([{ ...sub('b'), isEnabled: false }, { id: 'sub_NEW', endpointId: EP, applicationId: APP, eventTypeName: 'd', isEnabled: true }]);
      expect(await endpoints.get(EP)).toMatchObject({ eventTypes: ['d'], subscriptionCount: 2, updatedAt: T2 });

      // 3. a rebuild from the events gives the same documents
      const before = { subs: await subsOf(reads), endpoint: await endpoints.get(EP) };
      for (const p of allProjections) {
        for (const c of p.collections) await reads.dropCollection(c.name);
        await reads.deleteCheckpoint(p.name);
      }
      await project(events, reads, position);
      expect({ subs: await subsOf(reads), endpoint: await endpoints.get(EP) }).toEqual(before);

      // 4. a deleted endpoint leaves no subscription behind
      ({ position } = await events.appendToStream(stream, [event('EndpointDeleted', { endpointId: EP, deletedAt: T2 })], { expectedRevision: 4n }));
      await project(events, reads, position);
      expect(await subsOf(reads)).toEqual([]);
    } finally {
      await events.close();
      await reads.close();
    }
  });

  it('an endpoint document written by the previous version (a filter, no subscriptions) takes the next event', async () => {
    const events = SqliteEventStore.open(':memory:');
    const reads = SqliteReadStore.open(':memory:');
    try {
      const stream = streams.endpoint(EP);
      let { position } = await events.appendToStream(
        stream,
        [event('EndpointCreated', { ...v1Settings, eventTypes: ['a'], endpointId: EP, applicationId: APP, disabled: false, secret, createdAt: T0 }, 1)],
        { expectedRevision: 'no_stream' },
      );
      await project(events, reads, position);
      // What the previous version's projection wrote: no subscriptions, no count.
      const endpoints = reads.collection<EndpointDoc>(collections.endpoints);
      const { subscriptions: _s, subscriptionCount: _c, ...old } = (await endpoints.get(EP))!;
      await reads.transaction((tx) => tx.collection<EndpointDoc>(collections.endpoints).put(old));
      ({ position } = await events.appendToStream(
        stream,
        [event('EndpointSubscriptionDisabled', { endpointId: EP, subscriptionId: derivedSubscriptionId(EP, 'a'), eventType: 'a', disabledAt: T2 })],
        { expectedRevision: 0n },
      ));
      await project(events, reads, position);
      expect(await endpoints.get(EP)).toMatchObject({ eventTypes: [], subscriptionCount: 1 });
    } finally {
      await events.close();
      await reads.close();
    }
  });
});
