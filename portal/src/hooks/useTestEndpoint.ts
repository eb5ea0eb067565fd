import { useCallback, useState } from 'react';
import type { TestResult } from '../api/types';
import { usePortalContext } from '../context';

export interface UseTestEndpoint {
  test: (eventType?: string) => Promise<TestResult | null>;
  result: TestResult | null;
  isTesting: boolean;
  error: string | null;
}

/** Sends one signed test event to the endpoint and keeps the receiver's answer. */
export const useTestEndpoint = (endpointId: string): UseTestEndpoint => {
  const { client, store } = usePortalContext();
  const [result, setResult] = useState<TestResult | null>(null);
  const [isTesting, setTesting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const test = useCallback(
    async (eventType?: string) => {
      setTesting(true);
      setError(null);
      try {
        const outcome = await client.testEndpoint(endpointId, eventType);
        setResult(outcome);
        return outcome;
      } catch (err) {
        setError(store.getState().reportError(err));
        return null;
      } finally {
        setTesting(false);
      }
    },
    [client, store, endpointId],
  );
  return { test, result, isTesting, error };
};
