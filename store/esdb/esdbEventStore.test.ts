import {
  StreamNotFoundError as ClientStreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
} from '@eventstore/db-client';
import type { PrefixesFilter, RegexFilter } from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import type { Position, RecordedEvent } from '../eventStore';
import {
  PersistentSubscriptionExistsError,
  PersistentSubscriptionNotFoundError,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  positionFromString,
  positionToString,
} from '../eventStore';
import { EsdbEventStore } from './esdbEventStore';
import { FakeEsdbClient, record, resolved, serverError } from './fakeClient';
import { PositionsUnsupportedError } from '../clientSemantics';
import { requirePosition, toClientExpectedRevision, toReadPosition } from './translate';

/** Unit tests of the EventStoreDB adapter against a stand-in of the client at its edge (no server runs here). */

const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
};
const at = (events: readonly RecordedEvent[]): number[] => events.map((e) => Number(e.position.commit));
const pos = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });

describe('EventStoreDB adapter: positions', () => {
  it('stores positions beyond 2^53 as decimal strings and reads them back exactly', () => {
    const big = { commit: 18_446_744_073_709_551_000n, prepare: 9_007_199_254_740_993n };
    const text = positionToString(big);
    expect(text).toBe('18446744073709551000/9007199254740993');
    expect(positionFromString(text)).toEqual(big);
  });

  it("maps the port's START to the client's 'start' and any other position to itself", () => {
    expect(toReadPosition(undefined)).toBe('start');
    expect(toReadPosition(START)).toBe('start');
    expect(toReadPosition(pos(12))).toEqual({ commit: 12n, prepare: 12n });
  });

  it('refuses a server that returns no position, naming the version needed', () => {
    expect(() => requirePosition(undefined, 'an append to s')).toThrow(PositionsUnsupportedError);
    expect(() => requirePosition(undefined, 'an append to s')).toThrow(/later than 22\.6\.0/);
  });

  it('checks at connection that the server returns positions, naming the version needed when it does not', async () => {
    const fake = new FakeEsdbClient();
    fake.all.push(record(1, '$stats-0', '$statsCollected'), record(2, 'message-1', 'MessageSent'));
    const store = new EsdbEventStore(fake.asClient());
    await store.verifyServer(1_000);
    expect(fake.reads[0]).toMatchObject({ direction: 'backwards', fromPosition: 'end', maxCount: 1, deadline: 1_000 });
    fake.all.push({ ...record(3, '$stats-0', '$statsCollected'), withoutPosition: true });
    const error = await store.verifyServer(1_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PositionsUnsupportedError);
    expect((error as Error).message).toMatch(/EventStoreDB later than 22\.6\.0/);
  });

  it('refuses an event read from $all without a position', async () => {
    const fake = new FakeEsdbClient();
    fake.all.push({ ...record(1, 'message-1', 'MessageSent'), withoutPosition: true });
    const store = new EsdbEventStore(fake.asClient());
    await expect(collect(store.readAll())).rejects.toThrow(PositionsUnsupportedError);
  });
});

describe('EventStoreDB adapter: $all reads', () => {
  const seed = (fake: FakeEsdbClient): void => {
    fake.all.push(
      record(1, '$stats-0', '$statsCollected'),
      record(2, 'message-a', 'MessageSent'),
      record(3, 'endpoint-x', 'EndpointCreated'),
      record(4, 'message-b', 'MessageSent'),
      record(5, '$persistentsubscription-$all::dispatcher-parked', '$>'),
      record(6, 'message-c', 'MessageSent'),
      record(7, 'outbound-1', 'AttemptSucceeded'),
    );
  };

  it('reads from a position exclusively, though the client includes the record at it', async () => {
    const fake = new FakeEsdbClient();
    seed(fake);
    const store = new EsdbEventStore(fake.asClient());
    expect(at(await collect(store.readAll({ fromPosition: pos(4) })))).toEqual([6, 7]);
    expect(fake.reads[0]?.fromPosition).toEqual({ commit: 4n, prepare: 4n });
    expect(at(await collect(store.readAll()))).toEqual([2, 3, 4, 6, 7]);
    expect(fake.reads[1]?.fromPosition).toBe('start');
  });

  it('pages through $all, dropping system records and the repeated first record of each page', async () => {
    const fake = new FakeEsdbClient();
    seed(fake);
    const store = new EsdbEventStore(fake.asClient(), { pageSize: 3 });
    expect(at(await collect(store.readAll()))).toEqual([2, 3, 4, 6, 7]);
    // Each page starts at the last record of the one before (inclusive): 1-3, 3-5, 5-7, 7.
    expect(fake.reads.map((r) => r.fromPosition)).toEqual(['start', pos(3), pos(5), pos(7)]);
  });

  it('applies the filter and maxCount after dropping system records', async () => {
    const fake = new FakeEsdbClient();
    seed(fake);
    const store = new EsdbEventStore(fake.asClient(), { pageSize: 2 });
    const read = await collect(store.readAll({ filter: { streamNamePrefixes: ['message-'] }, maxCount: 2 }));
    expect(read.map((e) => e.streamId)).toEqual(['message-a', 'message-b']);
    const byType = await collect(store.readAll({ filter: { eventTypePrefixes: ['Attempt'] } }));
    expect(byType.map((e) => e.type)).toEqual(['AttemptSucceeded']);
  });

  it('gives as head the last event that is not a system record, reading backwards', async () => {
    const fake = new FakeEsdbClient();
    seed(fake);
    fake.all.push(record(8, '$stats-0', '$statsCollected'), record(9, '$$message-a', '$metadata'));
    const store = new EsdbEventStore(fake.asClient(), { pageSize: 2 });
    expect(await store.headPosition()).toEqual(pos(7));
    expect(fake.reads[0]).toMatchObject({ direction: 'backwards', fromPosition: 'end' });
  });

  it('gives START as head when $all holds only system records', async () => {
    const fake = new FakeEsdbClient();
    fake.all.push(record(1, '$stats-0', '$statsCollected'), record(2, '$stats-0', '$statsCollected'));
    expect(await new EsdbEventStore(fake.asClient(), { pageSize: 1 }).headPosition()).toEqual(START);
  });
});

describe('EventStoreDB adapter: appends and errors', () => {
  it('passes the expected revision through and returns the position', async () => {
    const fake = new FakeEsdbClient();
    const store = new EsdbEventStore(fake.asClient());
    const result = await store.appendToStream('message-1', [{ type: 'MessageSent', data: { a: 1 }, id: '4f1f3a52-2a67-4a8e-9a8c-0c6b0a1d3e55' }], { expectedRevision: 'no_stream' });
    expect(result).toEqual({ nextExpectedRevision: 0n, position: { commit: 7n, prepare: 7n } });
    expect(fake.appends[0]).toMatchObject({ streamName: 'message-1', expectedRevision: 'no_stream' });
    expect(fake.appends[0]?.events[0]).toMatchObject({ id: '4f1f3a52-2a67-4a8e-9a8c-0c6b0a1d3e55', type: 'MessageSent', data: { a: 1 }, contentType: 'application/json' });
    await store.appendToStream('message-1', [{ type: 'MessageResent', data: {} }], { expectedRevision: 3n });
    expect(fake.appends[1]?.expectedRevision).toBe(3n);
    await store.appendToStream('message-1', [{ type: 'MessageResent', data: {} }]);
    expect(fake.appends[2]?.expectedRevision).toBe('any');
  });

  it('maps every expected revision to the client constant', () => {
    expect(['no_stream', 'stream_exists', 'any', 0n, 41n].map((r) => toClientExpectedRevision(r as never))).toEqual(['no_stream', 'stream_exists', 'any', 0n, 41n]);
    expect(() => toClientExpectedRevision(-1n)).toThrow(RangeError);
  });

  it("maps the client's WrongExpectedVersionError to the port's, with the actual revision", async () => {
    const fake = new FakeEsdbClient();
    const store = new EsdbEventStore(fake.asClient());
    fake.appendError = new ClientWrongExpectedVersionError(undefined, { streamName: 'application_uid-u1', expected: 'no_stream', current: 0n });
    const error = await store.appendToStream('application_uid-u1', [{ type: 'ApplicationUidClaimed', data: {} }], { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect(error).toMatchObject({ streamId: 'application_uid-u1', expected: 'no_stream', actual: 0n });
    fake.appendError = serverError('wrong-expected-version', { 'stream-name': 'endpoint-e', 'expected-version': '4' });
    const fromServer = await store.appendToStream('endpoint-e', [{ type: 'EndpointUpdated', data: {} }], { expectedRevision: 4n }).catch((e: unknown) => e);
    expect(fromServer).toMatchObject({ name: 'WrongExpectedVersionError', streamId: 'endpoint-e', expected: 4n, actual: 'no_stream' });
  });

  it('throws StreamNotFoundError while iterating a stream that does not exist', async () => {
    const fake = new FakeEsdbClient();
    fake.readStreamError = new ClientStreamNotFoundError(undefined, 'message-none');
    const store = new EsdbEventStore(fake.asClient());
    const read = store.readStream('message-none');
    const error = await collect(read).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamNotFoundError);
    expect(error).toMatchObject({ streamId: 'message-none' });
  });

  it('leaves other errors as they are', async () => {
    const fake = new FakeEsdbClient();
    fake.appendError = new UnavailableError(undefined, 'connection refused');
    const store = new EsdbEventStore(fake.asClient());
    await expect(store.appendToStream('s', [{ type: 'T', data: {} }])).rejects.toBeInstanceOf(UnavailableError);
  });
});

describe('EventStoreDB adapter: persistent subscriptions', () => {
  it('creates a group with full settings and a server-side filter, and refuses a second one', async () => {
    const fake = new FakeEsdbClient();
    const store = new EsdbEventStore(fake.asClient());
    await store.createPersistentSubscriptionToAll('dispatcher', { startFrom: 'start', messageTimeoutMs: 60_000, maxRetryCount: 5, filter: { streamNamePrefixes: ['message-', 'outbound-'] } });
    const group = fake.groups.get('dispatcher');
    expect(group?.settings).toMatchObject({ startFrom: 'start', messageTimeout: 60_000, maxRetryCount: 5, consumerStrategyName: 'RoundRobin', checkPointAfter: 2_000 });
    expect((group?.filter as PrefixesFilter).prefixes).toEqual(['message-', 'outbound-']);
    expect(group?.filter?.filterOn).toBe('streamName');
    await expect(store.createPersistentSubscriptionToAll('dispatcher')).rejects.toBeInstanceOf(PersistentSubscriptionExistsError);
  });

  it('excludes system events when a group has no filter; defaults start from the end', async () => {
    const fake = new FakeEsdbClient();
    await new EsdbEventStore(fake.asClient()).createPersistentSubscriptionToAll('g');
    expect(fake.groups.get('g')?.settings).toMatchObject({ startFrom: 'end', messageTimeout: 30_000, maxRetryCount: 10 });
    expect((fake.groups.get('g')?.filter as RegexFilter).regex).toMatch(/\$/);
  });

  it('updates a group with its current settings and the changed ones, and reports info', async () => {
    const fake = new FakeEsdbClient();
    const store = new EsdbEventStore(fake.asClient());
    await store.createPersistentSubscriptionToAll('g', { startFrom: 'start' });
    await store.updatePersistentSubscriptionToAll('g', { maxRetryCount: 3 });
    expect(fake.groups.get('g')?.updates[0]).toMatchObject({ startFrom: 'start', messageTimeout: 30_000, maxRetryCount: 3 });
    const info = await store.getPersistentSubscriptionToAllInfo('g');
    expect(info).toMatchObject({ group: 'g', settings: { messageTimeoutMs: 30_000, maxRetryCount: 3 }, checkpoint: { commit: 40n, prepare: 39n }, parkedCount: 3, inFlight: 2 });
    await expect(store.updatePersistentSubscriptionToAll('none', { maxRetryCount: 1 })).rejects.toBeInstanceOf(PersistentSubscriptionNotFoundError);
    await store.replayParkedEvents('g');
    expect(fake.replays).toEqual(['g']);
  });

  it('hands out events with their retry count, acks and nacks them with the client event, acks system records itself', async () => {
    const fake = new FakeEsdbClient();
    const store = new EsdbEventStore(fake.asClient());
    const sub = store.subscribeToPersistentSubscriptionToAll('dispatcher', { bufferSize: 20 });
    const client = fake.persistentStreams[0]?.stream;
    if (!client) throw new Error('no subscription');
    client.write({ ...resolved(record(1, 'message-a', 'MessageSent')), retryCount: 0 });
    client.write({ ...resolved(record(2, '$stats-0', '$statsCollected')), retryCount: 0 });
    client.write({ ...resolved(record(3, 'message-b', 'MessageSent')), retryCount: 4 });
    const seen: [number, number][] = [];
    for await (const pe of sub) {
      seen.push([Number(pe.event.position.commit), pe.retryCount]);
      if (pe.retryCount === 0) await sub.ack(pe);
      else await sub.nack('park', 'too many', pe);
      if (seen.length === 2) await sub.stop();
    }
    expect(seen).toEqual([[1, 0], [3, 4]]);
    expect(client.acks.map((id) => Number(id.slice(-12)))).toEqual([1, 2]);
    expect(client.nacks).toEqual([{ action: 'park', reason: 'too many', id: expect.stringMatching(/3$/) }]);
  });

  // The server resolves a parked link when it replays it; a link whose event is gone came to the adapter without
  // an event, was passed over unsettled, timed out, was parked again, and so on forever.
  it('skips (settles) and logs a delivery whose event is gone, and goes on', async () => {
    const fake = new FakeEsdbClient();
    const lines: string[] = [];
    const store = new EsdbEventStore(fake.asClient(), { log: (line) => lines.push(line) });
    const sub = store.subscribeToPersistentSubscriptionToAll('dispatcher');
    const client = fake.persistentStreams[0]?.stream;
    if (!client) throw new Error('no subscription');
    const link = resolved(record(9, '$persistentsubscription-$all::dispatcher-parked', '$>')).event;
    client.write({ link, retryCount: 0, commitPosition: 9n });
    client.write({ ...resolved(record(10, 'message-b', 'MessageSent')), retryCount: 0 });
    const seen: number[] = [];
    for await (const pe of sub) {
      seen.push(Number(pe.event.position.commit));
      await sub.ack(pe);
      await sub.stop();
    }
    expect(seen).toEqual([10]);
    expect(client.nacks).toEqual([{ action: 'skip', reason: 'its event is gone', id: link?.id }]);
    expect(lines.join('\n')).toMatch(/dispatcher: skipped link .* whose event is gone/);
  });

  it('throws PersistentSubscriptionNotFoundError from the iteration when the group is gone', async () => {
    const fake = new FakeEsdbClient();
    const sub = new EsdbEventStore(fake.asClient()).subscribeToPersistentSubscriptionToAll('gone');
    fake.persistentStreams[0]?.stream.destroy(serverError('persistent-subscription-does-not-exist', { 'group-name': 'gone', 'stream-name': '$all' }));
    await expect(collect(sub)).rejects.toBeInstanceOf(PersistentSubscriptionNotFoundError);
  });

  it('stops its subscriptions and disposes of the client on close', async () => {
    const fake = new FakeEsdbClient();
    const store = new EsdbEventStore(fake.asClient());
    store.subscribeToAll({}, { onEvents: async () => {} });
    await store.close();
    expect(fake.subscribes[0]?.stream.unsubscribed).toBe(true);
    expect(fake.disposed).toBe(true);
    expect(() => store.subscribeToAll({}, { onEvents: async () => {} })).toThrow(/closed/);
  });
});
