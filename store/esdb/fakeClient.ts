import { PassThrough } from 'node:stream';
import { Metadata, status } from '@grpc/grpc-js';
import { convertToCommandError } from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  AppendExpectedRevision,
  EventData,
  Filter,
  PersistentSubscriptionToAll,
  PersistentSubscriptionToAllInfo,
  PersistentSubscriptionToAllSettings,
  Position,
  ReadAllOptions,
  ReadPosition,
} from '@eventstore/db-client';
import type { EsdbClient } from './esdbEventStore';

/**
 * A stand-in for `@eventstore/db-client` at the adapter's edge, for unit tests only: it records the calls and
 * answers from an in-memory `$all` the way the real client does (inclusive `fromPosition`, no read filter, system
 * records included, positions as bigints). Each method is cast to the client's own signature.
 */

export type FakeRecord = Readonly<{ streamId: string; type: string; position: Position; revision?: bigint; data?: unknown; withoutPosition?: boolean }>;

export const record = (commit: number, streamId: string, type: string): FakeRecord => ({
  streamId,
  type,
  position: { commit: BigInt(commit), prepare: BigInt(commit) },
});

export const resolved = (r: FakeRecord): AllStreamResolvedEvent =>
  ({
    event: {
      streamId: r.streamId,
      id: `00000000-0000-4000-8000-${r.position.commit.toString().padStart(12, '0')}`,
      isJson: true,
      revision: r.revision ?? 0n,
      type: r.type,
      created: new Date(0),
      data: r.data ?? { at: Number(r.position.commit) },
      metadata: undefined,
      ...(r.withoutPosition ? {} : { position: r.position }),
    },
    commitPosition: r.position.commit,
  }) as AllStreamResolvedEvent;

/**
 * An error as the server sends it (gRPC status with the `exception` metadata), turned into the client's own error
 * class by the client's own conversion.
 */
export const serverError = (exception: string, fields: Readonly<Record<string, string>> = {}, code = status.UNKNOWN): Error => {
  const metadata = new Metadata();
  metadata.set('exception', exception);
  for (const [key, value] of Object.entries(fields)) metadata.set(key, value);
  const error = Object.assign(new Error(`${code} ${exception}`), { code, details: exception, metadata });
  return convertToCommandError(error);
};

const cmp = (a: Position, b: Position): number => (a.commit === b.commit ? Number(a.prepare - b.prepare) : a.commit < b.commit ? -1 : 1);

/** A readable that yields `items` then ends, as the client's StreamingRead does (errors thrown while iterating). */
const streamOf = <T>(items: readonly T[], error?: Error): AsyncIterable<T> & { cancel(): Promise<void> } => ({
  async *[Symbol.asyncIterator]() {
    for (const item of items) yield item;
    if (error) throw error;
  },
  cancel: async () => {},
});

export type SubscribeCall = Readonly<{ fromPosition: ReadPosition | undefined; filter: Filter | undefined; stream: PassThrough & { unsubscribed: boolean } }>;

export class FakeEsdbClient {
  readonly all: FakeRecord[] = [];
  readonly appends: { streamName: string; events: EventData[]; expectedRevision: AppendExpectedRevision | undefined }[] = [];
  readonly reads: ReadAllOptions[] = [];
  readonly subscribes: SubscribeCall[] = [];
  appendError: Error | null = null;
  readStreamError: Error | null = null;
  disposed = false;
  readonly groups = new Map<string, { settings: PersistentSubscriptionToAllSettings; filter: Filter | undefined; updates: PersistentSubscriptionToAllSettings[] }>();
  readonly persistentStreams: { group: string; stream: PassThrough & { acks: string[]; nacks: { action: string; reason: string; id: string }[] } }[] = [];
  readonly replays: string[] = [];

  asClient(): EsdbClient {
    return {
      appendToStream: (async (streamName: string, events: EventData | EventData[], options?: { expectedRevision?: AppendExpectedRevision }) => {
        this.appends.push({ streamName, events: Array.isArray(events) ? events : [events], expectedRevision: options?.expectedRevision });
        if (this.appendError) throw this.appendError;
        return { success: true, nextExpectedRevision: 0n, position: { commit: 7n, prepare: 7n } };
      }) as EsdbClient['appendToStream'],
      readStream: ((streamName: string) => streamOf([], this.readStreamError ?? new Error(`no stream ${streamName}`))) as unknown as EsdbClient['readStream'],
      readAll: ((options: ReadAllOptions = {}) => {
        this.reads.push(options);
        const backwards = options.direction === 'backwards';
        const ordered = backwards ? [...this.all].reverse() : this.all;
        const from = options.fromPosition;
        const inRange = ordered.filter((r) => {
          if (from === undefined || from === 'start' || from === 'end') return true;
          return backwards ? cmp(r.position, from) <= 0 : cmp(r.position, from) >= 0;
        });
        const max = options.maxCount === undefined ? inRange.length : Number(options.maxCount);
        return streamOf(inRange.slice(0, max).map(resolved));
      }) as unknown as EsdbClient['readAll'],
      subscribeToAll: ((options: { fromPosition?: ReadPosition; filter?: Filter } = {}) => {
        const stream = Object.assign(new PassThrough({ objectMode: true }), {
          unsubscribed: false,
          unsubscribe: async () => {
            stream.unsubscribed = true;
            stream.end();
          },
        });
        this.subscribes.push({ fromPosition: options.fromPosition, filter: options.filter, stream });
        return stream as unknown as AllStreamSubscription;
      }) as EsdbClient['subscribeToAll'],
      createPersistentSubscriptionToAll: (async (group: string, settings: PersistentSubscriptionToAllSettings, options?: { filter?: Filter }) => {
        if (this.groups.has(group)) throw serverError('persistent-subscription-exists', { 'group-name': group, 'stream-name': '$all' });
        this.groups.set(group, { settings, filter: options?.filter, updates: [] });
      }) as EsdbClient['createPersistentSubscriptionToAll'],
      updatePersistentSubscriptionToAll: (async (group: string, settings: PersistentSubscriptionToAllSettings) => {
        const existing = this.groups.get(group);
        if (!existing) throw serverError('persistent-subscription-does-not-exist', { 'group-name': group, 'stream-name': '$all' });
        existing.updates.push(settings);
        existing.settings = settings;
      }) as EsdbClient['updatePersistentSubscriptionToAll'],
      subscribeToPersistentSubscriptionToAll: ((group: string) => {
        const stream = Object.assign(new PassThrough({ objectMode: true }), {
          acks: [] as string[],
          nacks: [] as { action: string; reason: string; id: string }[],
          // As the client: a delivery is settled by its link's id when it has one (a replayed parked event).
          ack: async (...events: AllStreamResolvedEvent[]) => void stream.acks.push(...events.map((e) => e.link?.id ?? e.event?.id ?? '')),
          nack: async (action: string, reason: string, ...events: AllStreamResolvedEvent[]) =>
            void stream.nacks.push(...events.map((e) => ({ action, reason, id: e.link?.id ?? e.event?.id ?? '' }))),
          unsubscribe: async () => void stream.end(),
        });
        this.persistentStreams.push({ group, stream });
        return stream as unknown as PersistentSubscriptionToAll;
      }) as EsdbClient['subscribeToPersistentSubscriptionToAll'],
      getPersistentSubscriptionToAllInfo: (async (group: string) => {
        const existing = this.groups.get(group);
        if (!existing) throw serverError('persistent-subscription-does-not-exist', { 'group-name': group, 'stream-name': '$all' });
        return {
          eventSource: '$all',
          groupName: group,
          status: 'Live',
          settings: existing.settings,
          stats: { parkedMessageCount: 3n, totalInFlightMessages: 2, lastCheckpointedEventPosition: { commit: 40n, prepare: 39n } },
          connections: [],
        } as unknown as PersistentSubscriptionToAllInfo;
      }) as EsdbClient['getPersistentSubscriptionToAllInfo'],
      replayParkedMessagesToAll: (async (group: string) => {
        this.replays.push(group);
      }) as EsdbClient['replayParkedMessagesToAll'],
      dispose: async () => {
        this.disposed = true;
      },
    };
  }
}
