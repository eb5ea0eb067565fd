import { endpointDeliveryStats } from '../../projections/statsQueries';
import type { ApiDeps } from '../deps';

export type EndpointCounts = Readonly<{
  totalMessages: number;
  totalSuccesses: number;
  totalFailures: number;
  /** When its last attempt answered 2xx; null if none did. */
  lastSuccessAt: string | null;
}>;

/** Delivery counts of one endpoint, from its statistics read model (failures: failed and exhausted deliveries). */
export const endpointCounts = async (deps: ApiDeps, endpointId: string): Promise<EndpointCounts> => {
  const stats = await endpointDeliveryStats(deps.reads, endpointId, deps.now());
  return { totalMessages: stats.totalMessages, totalSuccesses: stats.successes, totalFailures: stats.failures, lastSuccessAt: stats.lastSuccessAt };
};
