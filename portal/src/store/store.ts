import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import type { PortalClient } from '../api/client';
import { createEndpointsSlice } from './endpoints';
import { createMessagesSlice } from './messages';
import type { PortalState } from './types';
import { createUiSlice } from './ui';
import type { ErrorListener } from './ui';

export type PortalStore = StoreApi<PortalState>;

/** One store per <HookbasePortal>, built from the endpoints, messages and ui slices. */
export const createPortalStore = (client: PortalClient, listeners: { onError: ErrorListener | undefined }): PortalStore =>
  createStore<PortalState>()((...args) => ({
    ...createEndpointsSlice(client)(...args),
    ...createMessagesSlice(client)(...args),
    ...createUiSlice(listeners)(...args),
  }));
