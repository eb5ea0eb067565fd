import { collections } from '../../projections/readModels';
import type { OutboundDoc } from '../../projections/readModels';
import type { ApiDeps } from '../deps';

export type EndpointCounts = Readonly<{
  totalMessages: number;
  totalSuccesses: number;
  totalFailures: number;
  /** When its latest successful delivery (by creation) was delivered; null if none was. */
  lastSuccessAt: string | null;
}>;

/** Delivery counts of one endpoint, from the outbound read model (failures: failed and exhausted deliveries). */
export const endpointCounts = async (deps: ApiDeps, endpointId: string): Promise<EndpointCounts> => {
  const outbound = deps.reads.collection<OutboundDoc>(collections.outbound);
  const [totalMessages, totalSuccesses, failed, exhausted, latest] = await Promise.all([
    outbound.count({ endpointId }),
    outbound.count({ endpointId, status: 'success' }),
    outbound.count({ endpointId, status: 'failed' }),
    outbound.count({ endpointId, status: 'exhausted' }),
    outbound.find({ where: { endpointId, status: 'success' }, orderBy: { key: 'createdAt', direction: 'desc' }, limit: 1 }),
  ]);
  return { totalMessages, totalSuccesses, totalFailures: failed + exhausted, lastSuccessAt: latest.items[0]?.deliveredAt ?? null };
};
