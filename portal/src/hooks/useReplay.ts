import { useCallback, useState } from 'react';
import type { ReplayResult } from '../api/types';
import { usePortalStore } from '../context';

export interface UseReplay {
  replay: (messageId: string) => Promise<ReplayResult | null>;
  isReplaying: (messageId: string) => boolean;
  lastResult: ReplayResult | null;
  error: string | null;
}

/** Sends a message again to its endpoint (a new attempt), then reloads it. */
export const useReplay = (): UseReplay => {
  const replaying = usePortalStore((s) => s.replaying);
  const replayMessage = usePortalStore((s) => s.replayMessage);
  const loadMessage = usePortalStore((s) => s.loadMessage);
  const [lastResult, setLastResult] = useState<ReplayResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const replay = useCallback(
    async (messageId: string) => {
      setError(null);
      try {
        const result = await replayMessage(messageId);
        setLastResult(result);
        void loadMessage(messageId);
        return result;
      } catch (err) {
        setError(err instanceof Error ? err.message : String(err));
        return null;
      }
    },
    [replayMessage, loadMessage],
  );
  const isReplaying = useCallback((id: string) => replaying[id] === true, [replaying]);
  return { replay, isReplaying, lastResult, error };
};
