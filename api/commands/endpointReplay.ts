import { outboundDecider } from '../../domain/outbound/decide';
import type { DeliveryStatus } from '../../domain/outbound/outbound';
import { streams } from '../../domain/streams';
import { handleCommand } from '../../store/commandHandler';
import type { Position } from '../../store/eventStore';
import { collections } from '../../projections/readModels';
import type { OutboundDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';
import { metadataOf, readYourWrites } from './common';
import { requireEndpoint } from './endpoints';

/**
 * The portal's "replay failed": an attempt now for each of the endpoint's failed and exhausted deliveries created
 * since `since` (and, with `includeUnattempted`, those still waiting for their first attempt). Returns their ids:
 * a retry is a new attempt of the same delivery.
 */
export const replayFailedDeliveries = async (
  deps: ApiDeps,
  applicationId: string,
  endpointId: string,
  since: string,
  includeUnattempted: boolean,
): Promise<string[]> => {
  await requireEndpoint(deps, applicationId, endpointId);
  const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
  const statuses: DeliveryStatus[] = includeUnattempted ? ['failed', 'exhausted', 'pending'] : ['failed', 'exhausted'];
  const ids: string[] = [];
  let lastPosition: Position | null = null;
  for (const status of statuses) {
    let cursor: string | undefined;
    do {
      const page = await outbound.find({ where: { endpointId, status }, range: { key: 'createdAt', gte: since }, orderBy: { key: 'createdAt', direction: 'asc' }, limit: 500, cursor });
      for (const doc of page.items) {
        if (status === 'pending' && doc.attempts > 0) continue;
        const { position } = await handleCommand(deps.events, streams.outbound(doc.id), outboundDecider, {
          type: 'RequestRetry',
          data: { outboundId: doc.id, messageId: doc.messageId, endpointId, applicationId },
          metadata: metadataOf(deps),
        });
        lastPosition = position ?? lastPosition;
        ids.push(doc.id);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  await readYourWrites(deps, lastPosition);
  return ids;
};
