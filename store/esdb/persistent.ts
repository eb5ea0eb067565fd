import { persistentSubscriptionToAllSettingsFromDefaults } from '@eventstore/db-client';
import type {
  PersistentSubscriptionToAll,
  PersistentSubscriptionToAllInfo,
  PersistentSubscriptionToAllResolvedEvent,
  PersistentSubscriptionToAllSettings,
} from '@eventstore/db-client';
import type { NackAction, PersistentEvent, PersistentSubscription, PersistentSubscriptionInfo, PersistentSubscriptionSettings } from '../eventStore';
import { DEFAULT_MAX_RETRY_COUNT, DEFAULT_MESSAGE_TIMEOUT_MS, START, comparePositions, matchesFilter } from '../eventStore';
import { mapClientError, toRecordedEvent } from './translate';

/** The settings the client needs in full, from the port's (every setting the port does not name keeps the client's default). */
export const toClientSettings = (settings: PersistentSubscriptionSettings): PersistentSubscriptionToAllSettings => {
  const from = settings.startFrom ?? 'end';
  const startFrom = from === 'start' || from === 'end' ? from : comparePositions(from, START) === 0 ? 'start' : { commit: from.commit, prepare: from.prepare };
  return persistentSubscriptionToAllSettingsFromDefaults({
    startFrom,
    messageTimeout: settings.messageTimeoutMs ?? DEFAULT_MESSAGE_TIMEOUT_MS,
    maxRetryCount: settings.maxRetryCount ?? DEFAULT_MAX_RETRY_COUNT,
  });
};

/** What the port reports of a group, from the client's info. */
export const fromClientInfo = (group: string, info: PersistentSubscriptionToAllInfo): PersistentSubscriptionInfo => ({
  group,
  settings: { messageTimeoutMs: info.settings.messageTimeout, maxRetryCount: info.settings.maxRetryCount },
  checkpoint: info.stats.lastCheckpointedEventPosition
    ? { commit: info.stats.lastCheckpointedEventPosition.commit, prepare: info.stats.lastCheckpointedEventPosition.prepare }
    : null,
  parkedCount: Number(info.stats.parkedMessageCount),
  inFlight: info.stats.totalInFlightMessages,
});

/**
 * A consumer of a persistent-subscription group over the client's duplex stream. ack/nack go back to the server
 * with the client's own resolved event (kept beside the port's event). System events, which the group's filter
 * should not let through, are acknowledged and never handed out; a delivery whose event is gone is skipped and logged. Iteration ends when `stop()` is called; a drop
 * throws from the iteration (mapped to the port's errors), and the caller subscribes again.
 */
export class EsdbPersistentSubscription implements PersistentSubscription {
  private readonly originals = new WeakMap<PersistentEvent, PersistentSubscriptionToAllResolvedEvent>();
  private stopped = false;

  constructor(
    private readonly subscription: PersistentSubscriptionToAll,
    private readonly group: string,
    private readonly filter: PersistentSubscriptionSettings['filter'],
    private readonly log: (line: string) => void = () => {},
  ) {
    // Errors are thrown from the iteration; without a listener an 'error' before it starts would crash the process.
    subscription.on('error', () => {});
  }

  async ack(...events: PersistentEvent[]): Promise<void> {
    if (events.length === 0) return;
    // The client's ack takes several events: one message on the stream for all of them.
    await this.subscription.ack(...events.map((event) => this.original(event)));
  }

  async nack(action: NackAction, reason: string, event: PersistentEvent): Promise<void> {
    await this.subscription.nack(action, reason, this.original(event));
  }

  [Symbol.asyncIterator](): AsyncIterator<PersistentEvent> {
    return this.events();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.subscription.unsubscribe();
  }

  private original(event: PersistentEvent): PersistentSubscriptionToAllResolvedEvent {
    const original = this.originals.get(event);
    if (!original) throw new Error(`Event ${event.event.id} was not delivered by this subscription to ${this.group}`);
    return original;
  }

  private async *events(): AsyncGenerator<PersistentEvent> {
    try {
      for await (const resolved of this.subscription) {
        if (this.stopped) return;
        const event = resolved.event;
        if (!event) {
          // A link whose event is gone (a parked event whose stream was deleted or scavenged): nothing to hand out,
          // and left unsettled the server would time it out and park it again, forever. Skipped, and said.
          const link = resolved.link;
          this.log(`esdb: persistent subscription ${this.group}: skipped ${link ? `link ${link.id} (${link.streamId}@${link.revision})` : 'a delivery'} whose event is gone`);
          await this.subscription.nack('skip', 'its event is gone', resolved);
          continue;
        }
        if (event.type.startsWith('$') || event.streamId.startsWith('$')) {
          await this.subscription.ack(resolved);
          continue;
        }
        const recorded = toRecordedEvent(event, `persistent subscription ${this.group}`);
        if (!matchesFilter(this.filter, recorded)) {
          await this.subscription.ack(resolved);
          continue;
        }
        const pe: PersistentEvent = { event: recorded, retryCount: resolved.retryCount };
        this.originals.set(pe, resolved);
        yield pe;
      }
    } catch (error) {
      if (this.stopped) return;
      throw mapClientError(error, { group: this.group });
    }
  }
}
