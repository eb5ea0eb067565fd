import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { EventLog, LogPosition, LoggedEvent } from './log';
import { comparePositions } from './log';
import { persistentPb, sharedPb } from './pb';
import type { EventFilter } from './wire';
import { rpcError } from './wire';

/**
 * Persistent subscriptions to `$all`, after EventStoreDB v24.10's
 * src/EventStore.Core/Services/PersistentSubscription/PersistentSubscription.cs (cited by method below):
 * - a new event goes out with retry count 0 (OutstandingMessage.ForNewEvent); a retried one (nack retry, message
 *   timeout, a consumer that went away) with its count + 1 (ForRetriedEvent), parked once the count reached
 *   maxRetryCount (ActionTakenForRetriedMessage);
 * - parked events are links in `$persistentsubscription-$all::<group>-parked`; a replay reads them resolved and
 *   delivers each with retry count 0 (ForParkedEvent) and the link's position (PersistentSubscriptions.Read.cs,
 *   ConvertToReadEvent gives both records the resolved event's OriginalPosition, the link's); the consumer acks it by
 *   the link's id; a link whose event is gone is passed over (HandleParkedReadCompleted: `if (ev.Event == null)
 *   continue`);
 * - round robin between consumers, each with at most its buffer size in flight;
 * - the checkpoint is the event before the lowest unacknowledged one, written after checkpointAfter when at least
 *   minCheckpointCount events were completed, or at once past maxCheckpointCount (TryMarkCheckpoint);
 * - an update or a restart of the subsystem reloads the group from its checkpoint: what was in flight comes back
 *   as new, with retry count 0, and connected consumers are dropped.
 */

type Message = {
  event: LoggedEvent;
  /** The parked link, for a replayed parked event. */
  link?: LoggedEvent;
  retryCount: number;
  /** Order among new events (for the checkpoint); absent for replayed parked events. */
  sequence?: number;
};

export type Consumer = {
  id: string;
  call: ServerDuplexStream<InstanceType<typeof persistentPb.ReadReq>, InstanceType<typeof persistentPb.ReadResp>>;
  bufferSize: number;
  inFlight: Set<string>;
};

type Outstanding = { message: Message; consumer: Consumer; expires: number };

export type GroupSettings = {
  startFrom: LogPosition | 'start' | 'end';
  messageTimeoutMs: number;
  maxRetryCount: number;
  checkpointAfterMs: number;
  minCheckpointCount: number;
  maxCheckpointCount: number;
  maxSubscriberCount: number;
  liveBufferSize: number;
  readBatchSize: number;
  historyBufferSize: number;
  resolveLinks: boolean;
  extraStatistics: boolean;
  consumerStrategy: string;
};

export type SettingsMessage = InstanceType<typeof persistentPb.CreateReq.Settings> | InstanceType<typeof persistentPb.UpdateReq.Settings>;

const STRATEGIES = ['DispatchToSingle', 'RoundRobin', 'Pinned'];

export const settingsFrom = (s: SettingsMessage | undefined, startFrom: GroupSettings['startFrom']): GroupSettings => ({
  startFrom,
  messageTimeoutMs: s?.getMessageTimeoutMs() || 30_000,
  maxRetryCount: s?.getMaxRetryCount() ?? 10,
  checkpointAfterMs: s?.getCheckpointAfterMs() || 2_000,
  minCheckpointCount: s?.getMinCheckpointCount() || 10,
  maxCheckpointCount: s?.getMaxCheckpointCount() || 1_000,
  maxSubscriberCount: s?.getMaxSubscriberCount() ?? 0,
  liveBufferSize: s?.getLiveBufferSize() || 500,
  readBatchSize: s?.getReadBatchSize() || 20,
  historyBufferSize: s?.getHistoryBufferSize() || 500,
  resolveLinks: s?.getResolveLinks() ?? false,
  extraStatistics: s?.getExtraStatistics() ?? false,
  consumerStrategy: s?.getNamedConsumerStrategy() !== undefined ? (STRATEGIES[s.getNamedConsumerStrategy()] ?? 'RoundRobin') : 'RoundRobin',
});

export const notFound = (group: string) =>
  rpcError(status.NOT_FOUND, `Subscription group ${group} on stream $all does not exist.`, {
    exception: 'persistent-subscription-does-not-exist',
    'stream-name': '$all',
    'group-name': group,
  });

const positionText = (p: LogPosition): string => `C:${p.commit}/P:${p.prepare}`;

export class Group {
  readonly consumers: Consumer[] = [];
  private nextConsumer = 0;
  /** Index in the log of the next event to consider. */
  private cursor = 0;
  private readonly retries: Message[] = [];
  private readonly outstanding = new Map<string, Outstanding>();
  /** New events pushed and not yet completed, by sequence: the checkpoint is the event before the lowest. */
  private readonly pending = new Map<number, LoggedEvent>();
  private nextSequence = 0;
  private lastPushed: LoggedEvent | undefined;
  private lastPushedSequence = -1;
  private checkpointedSequence = -1;
  private lastCheckpointTime = Date.now();
  checkpoint: LogPosition | undefined;
  private endAtCreation: number | undefined;
  /** Index in the parked stream of the first link not yet replayed. */
  private parkedFrom = 0;
  totalItems = 0;

  constructor(
    private readonly log: EventLog,
    readonly name: string,
    public settings: GroupSettings,
    readonly filter: EventFilter | undefined,
  ) {
    this.load();
  }

  get parkedStream(): string {
    return `$persistentsubscription-$all::${this.name}-parked`;
  }

  private get checkpointStream(): string {
    return `$persistentsubscription-$all::${this.name}-checkpoint`;
  }

  /** Starts (again) from the checkpoint, or from `startFrom` (OnCheckpointLoaded). */
  load(): void {
    this.retries.length = 0;
    this.outstanding.clear();
    this.pending.clear();
    this.lastPushed = undefined;
    this.lastPushedSequence = -1;
    this.checkpointedSequence = -1;
    this.nextSequence = 0;
    const from = this.checkpoint ?? this.settings.startFrom;
    if (from === 'start') this.cursor = 0;
    else if (from === 'end') {
      // A group that starts from the end starts, until its first checkpoint, from where the log ended when it was created.
      this.endAtCreation ??= this.log.events.length;
      this.cursor = this.endAtCreation;
    } else {
      this.cursor = this.log.indexAtOrAfter(from);
      // The checkpointed event itself was completed (`_skipFirstEvent`).
      const at = this.log.events[this.cursor];
      if (this.checkpoint && at && comparePositions(at.position, from) === 0) this.cursor++;
    }
  }

  /** Drops every consumer (they see the subscription dropped) and reloads from the checkpoint. */
  restart(): void {
    for (const consumer of this.consumers.splice(0)) {
      consumer.call.emit(
        'error',
        rpcError(status.CANCELLED, `Subscription group ${this.name} on stream $all was dropped.`, {
          exception: 'persistent-subscription-dropped',
          'stream-name': '$all',
          'group-name': this.name,
        }),
      );
    }
    this.load();
  }

  addConsumer(consumer: Consumer): void {
    this.consumers.push(consumer);
    this.push();
  }

  /** A consumer that went away: what it had in flight is retried (RemoveClientByCorrelationId → RetryMessage). */
  removeConsumer(consumer: Consumer): void {
    const i = this.consumers.indexOf(consumer);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    const lost = [...consumer.inFlight].flatMap((id) => {
      const o = this.outstanding.get(id);
      this.outstanding.delete(id);
      return o ? [o.message] : [];
    });
    lost.sort((a, b) => comparePositions(a.event.position, b.event.position));
    for (const m of lost) this.retries.push({ ...m, retryCount: m.retryCount + 1 });
    this.push();
  }

  ack(ids: readonly string[]): void {
    for (const id of ids) this.complete(id);
    this.markCheckpoint(false);
    this.push();
  }

  nack(ids: readonly string[], action: number): void {
    const Action = persistentPb.ReadReq.Nack.Action;
    for (const id of ids) {
      const o = this.outstanding.get(id);
      if (!o) continue;
      switch (action) {
        case Action.PARK:
          this.park(o.message);
          this.complete(id);
          break;
        case Action.SKIP:
          this.complete(id);
          break;
        case Action.STOP:
          // StopSubscription() is a TODO on the real server: the event stays in flight until it times out.
          break;
        default:
          // Retry and Unknown (HandleNackedMessage).
          this.retryOrPark(id, o);
      }
    }
    this.markCheckpoint(false);
    this.push();
  }

  /** Clock tick (NotifyClockTick): messages past their timeout are retried, or parked at maxRetryCount. */
  tick(now: number): void {
    for (const [id, o] of [...this.outstanding]) if (o.expires <= now) this.retryOrPark(id, o);
    this.push();
    this.markCheckpoint(true);
  }

  /** Replays every parked event so far (RetryParkedMessages, HandleParkedReadCompleted). */
  replayParked(): void {
    const links = this.log.stream(this.parkedStream) ?? [];
    for (const link of links.slice(this.parkedFrom)) {
      const target = this.resolve(link);
      if (!target) continue;
      this.retries.push({ event: target, link, retryCount: 0 });
    }
    this.parkedFrom = links.length;
    this.push();
  }

  parkedCount(): number {
    return (this.log.stream(this.parkedStream)?.length ?? 0) - this.parkedFrom;
  }

  info(): InstanceType<typeof persistentPb.SubscriptionInfo> {
    const s = this.settings;
    const start = s.startFrom === 'start' ? 'C:0/P:0' : s.startFrom === 'end' ? 'C:-1/P:-1' : positionText(s.startFrom);
    const info = new persistentPb.SubscriptionInfo()
      .setEventSource('$all')
      .setGroupName(this.name)
      .setStatus(this.consumers.length > 0 ? 'Live' : 'Live')
      .setAveragePerSecond(0)
      .setTotalItems(String(this.totalItems))
      .setCountSinceLastMeasurement('0')
      .setLastCheckpointedEventPosition(this.checkpoint ? positionText(this.checkpoint) : '')
      .setLastKnownEventPosition(this.lastPushed ? positionText(this.lastPushed.position) : '')
      .setResolveLinkTos(s.resolveLinks)
      .setStartFrom(start)
      .setMessageTimeoutMilliseconds(s.messageTimeoutMs)
      .setExtraStatistics(s.extraStatistics)
      .setMaxRetryCount(s.maxRetryCount)
      .setLiveBufferSize(s.liveBufferSize)
      .setBufferSize(s.historyBufferSize)
      .setReadBatchSize(s.readBatchSize)
      .setCheckPointAfterMilliseconds(s.checkpointAfterMs)
      .setMinCheckPointCount(s.minCheckpointCount)
      .setMaxCheckPointCount(s.maxCheckpointCount)
      .setReadBufferCount(0)
      .setLiveBufferCount('0')
      .setRetryBufferCount(this.retries.length)
      .setTotalInFlightMessages(this.outstanding.size)
      .setOutstandingMessagesCount(this.outstanding.size)
      .setNamedConsumerStrategy(s.consumerStrategy)
      .setMaxSubscriberCount(s.maxSubscriberCount)
      .setParkedMessageCount(String(this.parkedCount()));
    info.setConnectionsList(
      this.consumers.map((c) =>
        new persistentPb.SubscriptionInfo.ConnectionInfo()
          .setFrom('127.0.0.1')
          .setUsername('')
          .setAverageItemsPerSecond(0)
          .setTotalItems('0')
          .setCountSinceLastMeasurement('0')
          .setAvailableSlots(c.bufferSize - c.inFlight.size)
          .setInFlightMessages(c.inFlight.size)
          .setConnectionName(c.id),
      ),
    );
    return info;
  }

  private retryOrPark(id: string, o: Outstanding): void {
    o.consumer.inFlight.delete(id);
    this.outstanding.delete(id);
    if (o.message.retryCount >= this.settings.maxRetryCount) {
      this.park(o.message);
      if (o.message.sequence !== undefined) this.pending.delete(o.message.sequence);
      return;
    }
    this.retries.push({ ...o.message, retryCount: o.message.retryCount + 1 });
  }

  private complete(id: string): void {
    const o = this.outstanding.get(id);
    if (!o) return;
    this.outstanding.delete(id);
    o.consumer.inFlight.delete(id);
    if (o.message.sequence !== undefined) this.pending.delete(o.message.sequence);
  }

  /** A link to the event in the parked stream (the parked message of a replayed one is parked again as its event). */
  private park(message: Message): void {
    const e = message.event;
    this.log.write(
      this.parkedStream,
      [{ id: randomUUID(), type: '$>', contentType: 'application/octet-stream', data: Buffer.from(`${e.revision}@${e.streamId}`), metadata: new Uint8Array() }],
      'any',
    );
  }

  private resolve(link: LoggedEvent): LoggedEvent | undefined {
    const text = Buffer.from(link.data).toString('utf8');
    const at = text.indexOf('@');
    const revision = Number(text.slice(0, at));
    const stream = this.log.stream(text.slice(at + 1));
    return stream?.[revision];
  }

  private idOf(m: Message): string {
    return (m.link ?? m.event).id;
  }

  /** TryPushingMessagesToClients: retries first, then new events, round robin to consumers with a free slot. */
  private push(): void {
    for (;;) {
      const consumer = this.freeConsumer();
      if (!consumer) return;
      let message = this.retries.shift();
      if (!message) {
        const next = this.nextNew();
        if (!next) return;
        message = next;
      }
      const id = this.idOf(message);
      if (this.outstanding.has(id)) continue;
      this.outstanding.set(id, { message, consumer, expires: Date.now() + this.settings.messageTimeoutMs });
      consumer.inFlight.add(id);
      this.totalItems++;
      consumer.call.write(new persistentPb.ReadResp().setEvent(readEvent(message)));
    }
  }

  private nextNew(): Message | undefined {
    for (;;) {
      const e = this.log.events[this.cursor];
      if (!e) return undefined;
      this.cursor++;
      if (this.filter && !this.filter(e)) continue;
      const sequence = this.nextSequence++;
      this.pending.set(sequence, e);
      this.lastPushed = e;
      this.lastPushedSequence = sequence;
      return { event: e, retryCount: 0, sequence };
    }
  }

  private freeConsumer(): Consumer | undefined {
    for (let i = 0; i < this.consumers.length; i++) {
      const c = this.consumers[(this.nextConsumer + i) % this.consumers.length] as Consumer;
      if (c.inFlight.size < c.bufferSize) {
        this.nextConsumer = (this.nextConsumer + i + 1) % this.consumers.length;
        return c;
      }
    }
    return undefined;
  }

  /** TryMarkCheckpoint. */
  private markCheckpoint(isTimeCheck: boolean): void {
    let lowest = Number.POSITIVE_INFINITY;
    for (const s of this.pending.keys()) if (s < lowest) lowest = s;
    let sequence: number;
    let position: LogPosition | undefined;
    if (lowest !== Number.POSITIVE_INFINITY) {
      sequence = lowest - 1;
      // The event just before the lowest pending one: all of it and before is done.
      const before = this.log.events[this.log.indexAtOrAfter((this.pending.get(lowest) as LoggedEvent).position) - 1];
      position = sequence >= 0 ? before?.position : undefined;
      if (position === undefined) return;
    } else {
      sequence = this.lastPushedSequence;
      position = this.lastPushed?.position;
    }
    if (sequence < 0 || position === undefined) return;
    const difference = sequence - this.checkpointedSequence;
    const now = Date.now();
    if (now - this.lastCheckpointTime < this.settings.checkpointAfterMs && difference < this.settings.maxCheckpointCount) return;
    if ((difference >= this.settings.minCheckpointCount && isTimeCheck) || difference >= this.settings.maxCheckpointCount) {
      this.lastCheckpointTime = now;
      this.checkpointedSequence = sequence;
      this.checkpoint = position;
      this.log.write(
        this.checkpointStream,
        [{ id: randomUUID(), type: '$SubscriptionCheckpoint', contentType: 'application/json', data: Buffer.from(JSON.stringify(positionText(position))), metadata: new Uint8Array() }],
        'any',
      );
    }
  }
}

const recorded = (e: LoggedEvent, position: LogPosition): InstanceType<typeof persistentPb.ReadResp.ReadEvent.RecordedEvent> => {
  const m = new persistentPb.ReadResp.ReadEvent.RecordedEvent();
  m.setId(new sharedPb.UUID().setString(e.id));
  m.setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(e.streamId, 'utf8')));
  m.setStreamRevision(e.revision.toString());
  m.setCommitPosition(position.commit.toString());
  m.setPreparePosition(position.prepare.toString());
  m.getMetadataMap().set('type', e.type).set('content-type', e.contentType).set('created', e.createdTicks.toString());
  m.setCustomMetadata(e.metadata);
  m.setData(e.data);
  return m;
};

/** ConvertToReadEvent (PersistentSubscriptions.Read.cs): both records carry the original (the link's, if any) position. */
const readEvent = (m: Message): InstanceType<typeof persistentPb.ReadResp.ReadEvent> => {
  const original = (m.link ?? m.event).position;
  const r = new persistentPb.ReadResp.ReadEvent();
  r.setEvent(recorded(m.event, original));
  if (m.link) r.setLink(recorded(m.link, original));
  r.setCommitPosition(original.commit.toString());
  r.setRetryCount(m.retryCount);
  return r;
};
