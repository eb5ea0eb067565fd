import { useEffect, useMemo } from 'react';
import type { PortalEventType } from '../api/types';
import { usePortalStore } from '../context';
import { groupEventTypes } from '../store/selectors';
import type { EventTypeGroup } from '../store/selectors';

export interface UseEventTypes {
  eventTypes: PortalEventType[];
  groups: EventTypeGroup[];
  isLoading: boolean;
  error: string | null;
  refresh: () => Promise<void>;
}

export const useEventTypes = (): UseEventTypes => {
  const eventTypes = usePortalStore((s) => s.eventTypes);
  const load = usePortalStore((s) => s.eventTypesLoad);
  const refresh = usePortalStore((s) => s.loadEventTypes);
  useEffect(() => {
    if (load.status === 'idle') void refresh();
  }, [load.status, refresh]);
  const groups = useMemo(() => groupEventTypes(eventTypes), [eventTypes]);
  return { eventTypes, groups, isLoading: load.status === 'loading' || load.status === 'idle', error: load.error, refresh };
};
