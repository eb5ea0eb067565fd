import { useEffect, useMemo } from 'react';
import type { CreatedEndpoint, EndpointInput, PortalEndpoint } from '../api/types';
import { usePortalStore } from '../context';

export interface UseEndpoints {
  endpoints: PortalEndpoint[];
  isLoading: boolean;
  error: string | null;
  refresh: () => Promise<void>;
  create: (input: EndpointInput) => Promise<CreatedEndpoint>;
}

/** Every endpoint of the application, loaded once per portal and kept in the store. */
export const useEndpoints = (): UseEndpoints => {
  const byId = usePortalStore((s) => s.endpoints);
  const order = usePortalStore((s) => s.endpointOrder);
  const load = usePortalStore((s) => s.endpointsLoad);
  const refresh = usePortalStore((s) => s.loadEndpoints);
  const create = usePortalStore((s) => s.createEndpoint);
  useEffect(() => {
    if (load.status === 'idle') void refresh();
  }, [load.status, refresh]);
  const endpoints = useMemo(() => order.map((id) => byId[id]).filter((e): e is PortalEndpoint => e !== undefined), [byId, order]);
  return { endpoints, isLoading: load.status === 'loading' || load.status === 'idle', error: load.error, refresh, create };
};
