import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { PortalClient } from './api/client';
import type { PortalStore } from './store/store';
import type { PortalState } from './store/types';

export interface PortalContextValue {
  client: PortalClient;
  store: PortalStore;
}

export const PortalContext = createContext<PortalContextValue | null>(null);

export const usePortalContext = (): PortalContextValue => {
  const value = useContext(PortalContext);
  if (!value) throw new Error('Hookbase portal components must be rendered inside <HookbasePortal token="...">');
  return value;
};

/** Reads the portal store through a selector (components re-render only when the selected value changes). */
export const usePortalStore = <T,>(selector: (state: PortalState) => T): T => useStore(usePortalContext().store, selector);
