import { useCallback, useEffect } from 'react';
import type { EndpointPatch, PortalEndpoint } from '../api/types';
import { usePortalStore } from '../context';

export interface UseEndpoint {
  endpoint: PortalEndpoint | null;
  isLoading: boolean;
  update: (patch: EndpointPatch) => Promise<PortalEndpoint>;
  remove: () => Promise<void>;
  rotateSecret: () => Promise<string>;
  refresh: () => Promise<void>;
}

/** One endpoint, fetched when the store does not hold it yet. */
export const useEndpoint = (endpointId: string): UseEndpoint => {
  const endpoint = usePortalStore((s) => s.endpoints[endpointId] ?? null);
  const loadOne = usePortalStore((s) => s.loadEndpoint);
  const updateEndpoint = usePortalStore((s) => s.updateEndpoint);
  const deleteEndpoint = usePortalStore((s) => s.deleteEndpoint);
  const rotate = usePortalStore((s) => s.rotateSecret);
  const known = endpoint !== null;
  useEffect(() => {
    if (!known) void loadOne(endpointId);
  }, [known, endpointId, loadOne]);
  return {
    endpoint,
    isLoading: !known,
    update: useCallback((patch: EndpointPatch) => updateEndpoint(endpointId, patch), [endpointId, updateEndpoint]),
    remove: useCallback(() => deleteEndpoint(endpointId), [endpointId, deleteEndpoint]),
    rotateSecret: useCallback(() => rotate(endpointId), [endpointId, rotate]),
    refresh: useCallback(() => loadOne(endpointId), [endpointId, loadOne]),
  };
};
