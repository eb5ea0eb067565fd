import type { EventStore, PersistentSubscriptionSettings } from './eventStore';
import { PersistentSubscriptionExistsError, resolvePersistentSettings } from './eventStore';

export type EnsureResult = 'created' | 'updated' | 'unchanged';

/**
 * Creates the group, or brings an existing one's settings to `settings`: a deployment that changes the message
 * timeout or retry count gets them, where swallowing "exists" would keep the old ones forever. `startFrom` and the
 * filter are fixed at creation (EventStoreDB cannot update a filter, and its info does not report one): a group
 * that needs another filter needs another name.
 */
export const ensurePersistentSubscriptionToAll = async (
  store: EventStore,
  group: string,
  settings: PersistentSubscriptionSettings,
): Promise<EnsureResult> => {
  try {
    await store.createPersistentSubscriptionToAll(group, settings);
    return 'created';
  } catch (error) {
    if (!(error instanceof PersistentSubscriptionExistsError)) throw error;
  }
  const wanted = resolvePersistentSettings(settings);
  const { settings: current } = await store.getPersistentSubscriptionToAllInfo(group);
  if (current.messageTimeoutMs === wanted.messageTimeoutMs && current.maxRetryCount === wanted.maxRetryCount) return 'unchanged';
  await store.updatePersistentSubscriptionToAll(group, { messageTimeoutMs: wanted.messageTimeoutMs, maxRetryCount: wanted.maxRetryCount });
  return 'updated';
};
