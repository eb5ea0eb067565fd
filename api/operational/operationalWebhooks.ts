/**
 * Operational webhooks: what goes wrong in delivery, told to the company running Hookbase as webhooks of its own.
 * The operator registers an ordinary application (uid HOOKBASE_OPERATIONAL_APP, default `hookbase-operational`),
 * the event types below and endpoints subscribed to them, through /v1 like any other. This reactor (a catch-up
 * subscription to `$all` in every process with the api role, see `OperationalWebhooks.start`) turns the domain events
 * into messages of that application, sent through the same command as POST .../messages: signed, retried and recorded
 * like every webhook. Each message's eventId derives from the source event's id, so an event seen again (by another
 * process, or after a restart) never sends twice.
 */
import type { JsonObject } from '../../domain/json';
import { PersistentSubscriptionNotFoundError, positionFromString, positionToString } from '../../store/eventStore';
import type { EventStore, Position, RecordedEvent, Subscription } from '../../store/eventStore';
import type { CollectionDef, ReadStore } from '../../store/readStore';
import { collections } from '../../projections/readModels';
import type { ApplicationDoc, EndpointDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';
import { sendMessage } from '../commands/messages';

/**
 * The persistent subscription group of earlier versions. It took every event of the message, outbound and endpoint
 * streams, and each one cost the API's thread a claim and an ack (write transactions on events.db, fsynced): about a
 * fifth of that thread's CPU under load, for events it then ignored. A data dir that ran it goes on from its
 * checkpoint; the group stays in the store, without a consumer (the port cannot delete a group).
 */
export const RETIRED_OPERATIONAL_GROUP = 'operational-webhooks';
/** The event types `noticeFor` reacts to (the filter matches prefixes: no other event type begins with one of these). */
export const OPERATIONAL_SOURCE_TYPES = ['MessageSent', 'DeliveryExhausted', 'EndpointDisabled', 'EndpointCircuitOpened', 'EndpointCircuitClosed'] as const;
export const OPERATIONAL_FILTER = { eventTypePrefixes: [...OPERATIONAL_SOURCE_TYPES] } as const;

/** Where the reactor has read `$all` up to (shared by the API processes), in the operational store. */
type ReactorCheckpoint = { id: string; position: string };
const checkpoints: CollectionDef = { name: 'operational_webhooks', indexes: [] };
const CHECKPOINT_ID = 'checkpoint';
/** How often the checkpoint is written while events pass (a restart handles at most this much again: idempotent). */
const CHECKPOINT_EVERY_MS = 1_000;
const RETRIES = 10;

const later = (a: Position, b: Position): boolean => a.commit > b.commit || (a.commit === b.commit && a.prepare > b.prepare);

/** Raises the shared checkpoint to `position` (never lowers it: another process may be ahead). */
export const saveReactorCheckpoint = (ops: ReadStore, position: Position): Promise<void> =>
  ops.transaction(async (tx) => {
    const docs = tx.collection<ReactorCheckpoint>(checkpoints);
    const stored = await docs.get(CHECKPOINT_ID);
    if (stored && !later(position, positionFromString(stored.position))) return;
    await docs.put({ id: CHECKPOINT_ID, position: positionToString(position) });
  });

/**
 * Where the reactor starts (exclusive): the shared checkpoint; else the retired group's checkpoint (every event at or
 * before it was settled); else where `$all` stands now (history before the first start is not announced).
 */
export const reactorStart = async (events: EventStore, ops: ReadStore): Promise<Position> => {
  const stored = await ops.collection<ReactorCheckpoint>(checkpoints).get(CHECKPOINT_ID);
  if (stored) return positionFromString(stored.position);
  let start: Position | null = null;
  try {
    start = (await events.getPersistentSubscriptionToAllInfo(RETIRED_OPERATIONAL_GROUP)).checkpoint;
  } catch (error) {
    if (!(error instanceof PersistentSubscriptionNotFoundError)) throw error;
  }
  start ??= await events.headPosition();
  await saveReactorCheckpoint(ops, start);
  return start;
};

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

export class OperationalWebhooks {
  private subscription: Subscription | null = null;
  private running = false;
  /** The last position handled, and whether it is written yet. */
  private handled: Position | null = null;
  private saved = true;
  private timer: NodeJS.Timeout | null = null;
  private resubscribe: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: ApiDeps,
    /** The operational application's uid (or id). */
    private readonly appUid: string,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * A catch-up subscription to `$all` in every API process, filtered to the event types that can call for a notice.
   * Not a persistent subscription: the notices are idempotent (each message's eventId derives from its source
   * event), so several processes announcing one event still send it once, and a restart may go back up to a second
   * (the checkpoint's period) at no cost but reads. What it saves: a claim and an ack, written to events.db, per send.
   */
  async start(): Promise<void> {
    this.running = true;
    this.subscribe(await reactorStart(this.deps.events, this.deps.ops));
    this.timer = setInterval(() => void this.saveCheckpoint(), CHECKPOINT_EVERY_MS);
    this.timer.unref();
  }

  private subscribe(from: Position): void {
    this.handled = from;
    this.subscription = this.deps.events.subscribeToAll(
      { fromPosition: from, filter: OPERATIONAL_FILTER },
      {
        onEvents: async (events) => {
          for (const event of events) {
            if (!this.running) return;
            await this.handleWithRetries(event);
            this.advance(event.position);
          }
        },
        onCheckpoint: (position) => this.advance(position),
        onDropped: (error) => {
          if (!this.running) return;
          this.log(`operational webhooks: subscription dropped (${error.message}); resubscribing`);
          this.resubscribe = setTimeout(() => {
            this.resubscribe = null;
            if (this.running) this.subscribe(this.handled ?? from);
          }, 1_000);
          this.resubscribe.unref();
        },
      },
    );
  }

  private advance(position: Position): void {
    if (this.handled && !later(position, this.handled)) return;
    this.handled = position;
    this.saved = false;
  }

  private async saveCheckpoint(): Promise<void> {
    if (this.saved || !this.handled) return;
    const position = this.handled;
    this.saved = true;
    await saveReactorCheckpoint(this.deps.ops, position).catch((error: unknown) => {
      this.saved = false;
      this.log(`operational webhooks: checkpoint not saved: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private operationalApp = async (): Promise<ApplicationDoc | null> => {
    const apps = this.deps.reads.collection<ApplicationDoc>(collections.applications);
    return (await apps.get(this.appUid)) ?? (await apps.find({ where: { uid: this.appUid }, limit: 1 })).items[0] ?? null;
  };

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

  /** As the retired group did (10 retries, then parked): a failing event is retried with backoff, then given up. */
  private async handleWithRetries(event: RecordedEvent): Promise<void> {
    let backoffMs = 100;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.handle(event);
        return;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (attempt >= RETRIES || !this.running) {
          this.log(`operational webhooks: ${event.type} at ${event.streamId} given up after ${attempt + 1} attempts: ${reason}`);
          return;
        }
        this.log(`operational webhooks: ${event.type} at ${event.streamId} failed: ${reason}`);
        await new Promise((r) => setTimeout(r, backoffMs).unref());
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    if (this.resubscribe) clearTimeout(this.resubscribe);
    await this.subscription?.stop();
    this.subscription = null;
    await this.saveCheckpoint();
  }
}
