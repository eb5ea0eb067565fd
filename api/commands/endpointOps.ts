import { conflict, validationError } from '../../domain/errors';
import { outboundDecider } from '../../domain/outbound/decide';
import { streams } from '../../domain/streams';
import { eventTypeDecider } from '../../domain/eventType/decide';
import { handleCommand } from '../../store/commandHandler';
import type { Position } from '../../store/eventStore';
import { collections } from '../../projections/readModels';
import type { OutboundDoc } from '../../projections/readModels';
import { endpointDeliveryStats } from '../../projections/statsQueries';
import type { ApiDeps } from '../deps';
import { metadataOf, readYourWrites, requireApplication } from './common';
import { requireEndpoint } from './endpoints';
import { outboundOfMessage, sendMessage } from './messages';

export const PING_EVENT_TYPE = 'hookbase.ping';

/** A real signed message to one endpoint; a named event type must exist, the default is a ping. */
export const testEndpoint = async (deps: ApiDeps, appIdOrUid: string, endpointId: string, eventType?: string): Promise<OutboundDoc> => {
  const app = await requireApplication(deps, appIdOrUid);
  await requireEndpoint(deps, app.id, endpointId);
  // Refused before anything is appended: a disabled application's messages reach no endpoint.
  if (app.disabled) throw conflict('application_disabled', 'The application is disabled: enable it to test its endpoints.');
  const type = eventType ?? PING_EVENT_TYPE;
  if (type === PING_EVENT_TYPE) await ensurePingType(deps);
  // Answered with the delivery from the read models: this send waits for them.
  const { message } = await sendMessage(deps, app.id, { eventType: type, payload: { test: true, endpointId } }, { onlyEndpoint: endpointId, readYourWrites: true });
  const first = (await outboundOfMessage(deps, message))[0];
  if (!first) throw new Error('test message fanned out to no endpoint');
  return first;
};

const ensurePingType = async (deps: ApiDeps): Promise<void> => {
  const existing = await deps.reads.collection(collections.eventTypes).get(PING_EVENT_TYPE);
  if (existing) return;
  try {
    const { position } = await handleCommand(deps.events, streams.eventType(PING_EVENT_TYPE), eventTypeDecider, {
      type: 'CreateEventType',
      data: { name: PING_EVENT_TYPE, displayName: 'Ping', description: 'Sent by "test endpoint".', category: 'Hookbase', schema: null },
      metadata: metadataOf(deps),
    });
    await readYourWrites(deps, position);
  } catch {
    // Created concurrently: fine.
  }
};

/** Re-queues the endpoint's failed and exhausted deliveries created in [since, until]. */
export const recoverEndpoint = async (deps: ApiDeps, appIdOrUid: string, endpointId: string, since: string, until?: string): Promise<number> => {
  const app = await requireApplication(deps, appIdOrUid);
  await requireEndpoint(deps, app.id, endpointId);
  const upper = until ?? deps.now().toISOString();
  if (since > upper) throw validationError('since', 'range', 'since must be before until.');
  const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
  let requeued = 0;
  let lastPosition: Position | null = null;
  for (const status of ['failed', 'exhausted'] as const) {
    let cursor: string | undefined;
    do {
      const page = await outbound.find({ where: { endpointId, status }, range: { key: 'createdAt', gte: since, lte: upper }, orderBy: { key: 'createdAt', direction: 'asc' }, limit: 500, cursor });
      for (const doc of page.items) {
        const { position } = await handleCommand(deps.events, streams.outbound(doc.id), outboundDecider, {
          type: 'RequestRetry',
          data: { outboundId: doc.id, messageId: doc.messageId, endpointId, applicationId: app.id },
          metadata: metadataOf(deps),
        });
        lastPosition = position ?? lastPosition;
        requeued++;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  await readYourWrites(deps, lastPosition);
  return requeued;
};

export type EndpointStats = {
  totalMessages: number;
  successes: number;
  failures: number;
  successRate: number | null;
  latencyMsP50: number | null;
  latencyMsP99: number | null;
  recentFailures: number;
};

/**
 * From the endpoint's statistics read model (projections/deliveryStats.ts): deliveries by status, latency
 * percentiles over every attempt from a fixed-bucket histogram (at most 25% above the exact value), failed
 * attempts of the last 24 hours counted per UTC hour. A get by id: constant time whatever the history.
 */
export const endpointStats = async (deps: ApiDeps, appIdOrUid: string, endpointId: string): Promise<EndpointStats> => {
  const app = await requireApplication(deps, appIdOrUid);
  await requireEndpoint(deps, app.id, endpointId);
  const s = await endpointDeliveryStats(deps.reads, endpointId, deps.now());
  return {
    totalMessages: s.totalMessages,
    successes: s.successes,
    failures: s.failures,
    successRate: s.successRate,
    latencyMsP50: s.latencyMsP50,
    latencyMsP99: s.latencyMsP99,
    recentFailures: s.recentFailures,
  };
};
