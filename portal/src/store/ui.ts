import type { StateCreator } from 'zustand';
import { PortalApiError } from '../api/client';
import type { PortalState, UiSlice } from './types';

export type ErrorListener = (error: Error) => void;

export const createUiSlice =
  (listeners: { onError: ErrorListener | undefined }): StateCreator<PortalState, [], [], UiSlice> =>
  (set) => ({
    authError: null,
    selectedEndpointId: null,
    selectEndpoint: (id) => set({ selectedEndpointId: id }),
    reportError: (error) => {
      const err = error instanceof Error ? error : new Error(String(error));
      if (err instanceof PortalApiError && err.isAuthError) set({ authError: err });
      listeners.onError?.(err);
      return err.message;
    },
  });
