import { validationError } from '../../domain/errors';
import { outboundDecider } from '../../domain/outbound/decide';
import { streams } from '../../domain/streams';
import { eventTypeDecider } from '../../domain/eventType/decide';
import { handleCommand } from '../../store/commandHandler';
import type { Position } from '../../store/eventStore';
import { collections } from '../../projections/readModels';
import type { AttemptDoc, OutboundDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';
import { metadataOf, readYourWrites, requireApplication } from './common';
import { requireEndpoint } from './endpoints';
import { outboundOfMessage, sendMessage } from './messages';

export const PING_EVENT_TYPE = 'hookbase.ping';

/** A real signed message to one endpoint; a named event type must exist, the default is a ping. */
export const testEndpoint = async (deps: ApiDeps, appIdOrUid: string, endpointId: string, eventType?: string): Promise<OutboundDoc> => {
  const app = await requireApplication(deps, appIdOrUid);
  await requireEndpoint(deps, app.id, endpointId);
  const type = eventType ?? PING_EVENT_TYPE;
  if (type === PING_EVENT_TYPE) await ensurePingType(deps);
  const { message } = await sendMessage(deps, app.id, { eventType: type, payload: { test: true, endpointId } }, endpointId);
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

const percentile = (sorted: readonly number[], p: number): number | null =>
  sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null);

export type EndpointStats = {
  totalMessages: number;
  successes: number;
  failures: number;
  successRate: number | null;
  latencyMsP50: number | null;
  latencyMsP99: number | null;
  recentFailures: number;
};

/** Counts over the endpoint's deliveries; latency over its last 1000 attempts; failures of the last 24 hours. */
export const endpointStats = async (deps: ApiDeps, appIdOrUid: string, endpointId: string): Promise<EndpointStats> => {
  const app = await requireApplication(deps, appIdOrUid);
  await requireEndpoint(deps, app.id, endpointId);
  const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
  const totalMessages = await outbound.count({ endpointId });
  const successes = await outbound.count({ endpointId, status: 'success' });
  const failures = (await outbound.count({ endpointId, status: 'failed' })) + (await outbound.count({ endpointId, status: 'exhausted' }));
  const attempts = await deps.reads
    .collection<AttemptDoc>(collections.attempts)
    .find({ where: { endpointId }, orderBy: { key: 'attemptedAt', direction: 'desc' }, limit: 1000 });
  const latencies = attempts.items.map((a) => a.latencyMs).sort((a, b) => a - b);
  const dayAgo = new Date(deps.now().getTime() - 86_400_000).toISOString();
  const recentFailures = attempts.items.filter((a) => a.error !== null && a.attemptedAt >= dayAgo).length;
  const finished = successes + failures;
  return {
    totalMessages,
    successes,
    failures,
    successRate: finished === 0 ? null : successes / finished,
    latencyMsP50: percentile(latencies, 50),
    latencyMsP99: percentile(latencies, 99),
    recentFailures,
  };
};
