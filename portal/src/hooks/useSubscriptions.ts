import { useCallback, useEffect, useMemo } from 'react';
import type { PortalSubscription } from '../api/types';
import { usePortalStore } from '../context';
import { subscribedEventTypeIds } from '../store/selectors';

export interface UseSubscriptions {
  subscriptions: PortalSubscription[];
  /** Event type ids with an enabled subscription; empty means the endpoint receives every event type. */
  subscribedIds: string[];
  isLoading: boolean;
  error: string | null;
  save: (eventTypeIds: string[]) => Promise<void>;
}

const none: PortalSubscription[] = [];

export const useSubscriptions = (endpointId: string): UseSubscriptions => {
  const subscriptions = usePortalStore((s) => s.subscriptions[endpointId] ?? none);
  const status = usePortalStore((s) => s.subscriptionsLoad[endpointId]?.status ?? 'idle');
  const error = usePortalStore((s) => s.subscriptionsLoad[endpointId]?.error ?? null);
  const load = usePortalStore((s) => s.loadSubscriptions);
  const saveAll = usePortalStore((s) => s.saveSubscriptions);
  useEffect(() => {
    void load(endpointId);
  }, [endpointId, load]);
  const subscribedIds = useMemo(() => subscribedEventTypeIds(subscriptions), [subscriptions]);
  const save = useCallback((ids: string[]) => saveAll(endpointId, ids), [endpointId, saveAll]);
  return { subscriptions, subscribedIds, isLoading: status === 'loading' || status === 'idle', error, save };
};
