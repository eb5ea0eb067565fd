/**
 * Operational webhooks: what goes wrong in delivery, told to the company running Hookbase as webhooks of its own.
 * The operator registers an ordinary application (uid HOOKBASE_OPERATIONAL_APP, default `hookbase-operational`),
 * the event types below and endpoints subscribed to them, through /v1 like any other. This reactor (a persistent
 * subscription group of its own, in every process with the api role) turns the domain events into messages of that
 * application, sent through the same command as POST .../messages: signed, retried and recorded like every webhook.
 * Each message's eventId derives from the source event's id, so a redelivered or replayed event never sends twice.
 */
import type { JsonObject } from '../../domain/json';
import { ensurePersistentSubscriptionToAll } from '../../store/ensurePersistentSubscription';
import { PersistentSubscriptionNotFoundError } from '../../store/eventStore';
import type { EventStore, PersistentSubscription, Position, RecordedEvent } from '../../store/eventStore';
import { collections } from '../../projections/readModels';
import type { ApplicationDoc, EndpointDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';
import { sendMessage } from '../commands/messages';

/**
 * The group, filtered by the event types `noticeFor` reacts to. Its first version (`operational-webhooks`) took
 * every event of the message, outbound and endpoint streams, every attempt included: about a quarter of the API
 * thread's CPU under load went to claiming, parsing and acking events it then ignored. A filter is fixed at a
 * group's creation, hence a new name; the new group starts where the old one's checkpoint stood (see `start`).
 */
export const OPERATIONAL_GROUP = 'operational-webhooks-v2';
/** The group of earlier versions, left in the store without a consumer (the port cannot delete a group). */
export const RETIRED_OPERATIONAL_GROUP = 'operational-webhooks';
/** The event types `noticeFor` reacts to (the filter matches prefixes: no other type begins with one of these). */
export const OPERATIONAL_SOURCE_TYPES = ['MessageSent', 'DeliveryExhausted', 'EndpointDisabled', 'EndpointCircuitOpened', 'EndpointCircuitClosed'] as const;
export const OPERATIONAL_EVENT_TYPES = ['delivery.exhausted', 'endpoint.disabled', 'endpoint.circuit_opened', 'endpoint.circuit_closed', 'message.failed_to_fan_out'] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

type Notice = Readonly<{ eventType: OperationalEventType; applicationId: string | null; payload: JsonObject }>;

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The operational message a domain event calls for (null: none). */
export const noticeFor = async (deps: ApiDeps, event: RecordedEvent): Promise<Notice | null> => {
  const d = event.data;
  const endpointApp = async (): Promise<string | null> => (await deps.reads.collection<EndpointDoc>(collections.endpoints).get(str(d.endpointId) ?? ''))?.applicationId ?? null;
  switch (event.type) {
    case 'DeliveryExhausted':
      return { eventType: 'delivery.exhausted', applicationId: str(d.applicationId), payload: { outboundId: d.outboundId ?? null, messageId: d.messageId ?? null, endpointId: d.endpointId ?? null, applicationId: d.applicationId ?? null, attempts: d.attempts ?? null, reason: d.reason ?? null, exhaustedAt: d.exhaustedAt ?? null } };
    case 'MessageSent':
      if (!Array.isArray(d.outbound) || d.outbound.length > 0) return null;
      return { eventType: 'message.failed_to_fan_out', applicationId: str(d.applicationId), payload: { messageId: d.messageId ?? null, applicationId: d.applicationId ?? null, eventType: d.eventType ?? null, eventId: d.eventId ?? null } };
    case 'EndpointDisabled': {
      const applicationId = await endpointApp();
      return { eventType: 'endpoint.disabled', applicationId, payload: { endpointId: d.endpointId ?? null, applicationId, reason: d.reason ?? null, disabledAt: d.disabledAt ?? null } };
    }
    case 'EndpointCircuitOpened': {
      const applicationId = await endpointApp();
      return { eventType: 'endpoint.circuit_opened', applicationId, payload: { endpointId: d.endpointId ?? null, applicationId, consecutiveFailures: d.consecutiveFailures ?? null, lastError: d.lastError ?? null, openedAt: d.openedAt ?? null, probeAt: d.probeAt ?? null } };
    }
    case 'EndpointCircuitClosed': {
      const applicationId = await endpointApp();
      return { eventType: 'endpoint.circuit_closed', applicationId, payload: { endpointId: d.endpointId ?? null, applicationId, closedAt: d.closedAt ?? null } };
    }
    default:
      return null;
  }
};

/** Where the retired group's checkpoint stands ('end' when there is no such group, or it has no checkpoint yet). */
const retiredGroupCheckpoint = async (events: EventStore): Promise<'end' | Position> => {
  try {
    return (await events.getPersistentSubscriptionToAllInfo(RETIRED_OPERATIONAL_GROUP)).checkpoint ?? 'end';
  } catch (error) {
    if (error instanceof PersistentSubscriptionNotFoundError) return 'end';
    throw error;
  }
};

/** Creates the group on the first start (see `OperationalWebhooks.start`); afterwards brings its timeout up to date. */
export const ensureOperationalGroup = async (events: EventStore): Promise<void> => {
  await ensurePersistentSubscriptionToAll(events, OPERATIONAL_GROUP, {
    startFrom: await retiredGroupCheckpoint(events),
    messageTimeoutMs: 30_000,
    filter: { eventTypePrefixes: [...OPERATIONAL_SOURCE_TYPES] },
  });
};

export class OperationalWebhooks {
  private subscription: PersistentSubscription | null = null;
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly deps: ApiDeps,
    /** The operational application's uid (or id). */
    private readonly appUid: string,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * From where `$all` stands at the first start: history before it is not announced. A data dir that ran the
   * retired group starts from that group's checkpoint instead, so what it had not acked yet is still announced
   * (an event between its checkpoint and its last acks is sent again with the same eventId: not twice).
   */
  async start(): Promise<void> {
    await ensureOperationalGroup(this.deps.events);
    this.running = true;
    this.loop = this.consume();
  }

  private async operationalApp(): Promise<ApplicationDoc | null> {
    const apps = this.deps.reads.collection<ApplicationDoc>(collections.applications);
    return (await apps.get(this.appUid)) ?? (await apps.find({ where: { uid: this.appUid }, limit: 1 })).items[0] ?? null;
  }

  /** Sends the notice an event calls for; false when nothing is to be sent. */
  async handle(event: RecordedEvent): Promise<boolean> {
    const notice = await noticeFor(this.deps, event);
    if (!notice) return false;
    const app = await this.operationalApp();
    // No operational application registered; or the event is about it (its own failures would loop).
    if (!app || notice.applicationId === app.id) return false;
    const types = this.deps.reads.collection(collections.eventTypes);
    if (!(await types.get(notice.eventType))) return false;
    await sendMessage(this.deps, app.id, { eventType: notice.eventType, payload: notice.payload, eventId: `op_${event.id}` });
    return true;
  }

  private async consume(): Promise<void> {
    let backoffMs = 100;
    while (this.running) {
      try {
        const sub = this.deps.events.subscribeToPersistentSubscriptionToAll(OPERATIONAL_GROUP, { bufferSize: 32 });
        this.subscription = sub;
        for await (const pe of sub) {
          backoffMs = 100;
          try {
            await this.handle(pe.event);
            await sub.ack(pe);
          } catch (error) {
            this.log(`operational webhooks: ${pe.event.type} at ${pe.event.streamId} failed: ${error instanceof Error ? error.message : String(error)}`);
            await sub.nack('retry', 'failed', pe).catch(() => {});
          }
        }
      } catch (error) {
        if (!this.running) break;
        this.log(`operational webhooks: subscription dropped (${error instanceof Error ? error.message : String(error)})`);
      }
      if (!this.running) break;
      await new Promise((r) => setTimeout(r, backoffMs).unref());
      backoffMs = Math.min(backoffMs * 2, 5_000);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.subscription?.stop();
    this.subscription = null;
    await this.loop;
  }
}
