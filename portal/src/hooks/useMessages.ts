import { useCallback, useEffect, useMemo } from 'react';
import type { MessageStatus, PortalMessage } from '../api/types';
import { usePortalStore } from '../context';
import { messageQueryKey } from '../store/messages';

export interface UseMessagesOptions {
  endpointId?: string;
  status?: MessageStatus;
  limit?: number;
  offset?: number;
  /** Reload every this many milliseconds; 0 or absent: load once. */
  refreshInterval?: number;
}

export interface UseMessages {
  messages: PortalMessage[];
  total: number;
  isLoading: boolean;
  error: string | null;
  loadedAt: number | null;
  refresh: () => Promise<void>;
}

export const useMessages = ({ endpointId, status, limit = 25, offset = 0, refreshInterval = 0 }: UseMessagesOptions = {}): UseMessages => {
  const query = useMemo(() => ({ endpointId, status, limit, offset }), [endpointId, status, limit, offset]);
  const key = messageQueryKey(query);
  const page = usePortalStore((s) => s.messagePages[key]);
  const byId = usePortalStore((s) => s.messages);
  const load = usePortalStore((s) => s.loadMessages);
  const refresh = useCallback(() => load(query), [load, query]);
  useEffect(() => {
    void refresh();
    if (!refreshInterval || refreshInterval <= 0) return;
    const timer = setInterval(() => void refresh(), refreshInterval);
    return () => clearInterval(timer);
  }, [refresh, refreshInterval]);
  const messages = useMemo(() => (page?.ids ?? []).map((id) => byId[id]).filter((m): m is PortalMessage => m !== undefined), [page, byId]);
  return {
    messages,
    total: page?.total ?? 0,
    isLoading: !page || (page.status === 'loading' && page.loadedAt === null),
    error: page?.error ?? null,
    loadedAt: page?.loadedAt ?? null,
    refresh,
  };
};
