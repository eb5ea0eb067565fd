import { useEffect } from 'react';
import type { PortalApplication } from '../api/types';
import { usePortalStore } from '../context';

export interface UseApplication {
  application: PortalApplication | null;
  isLoading: boolean;
  error: string | null;
}

/** The application the portal token belongs to. */
export const useApplication = (): UseApplication => {
  const application = usePortalStore((s) => s.application);
  const load = usePortalStore((s) => s.applicationLoad);
  const fetchIt = usePortalStore((s) => s.loadApplication);
  useEffect(() => {
    if (load.status === 'idle') void fetchIt();
  }, [load.status, fetchIt]);
  return { application, isLoading: load.status === 'loading' || load.status === 'idle', error: load.error };
};
