import type { StateCreator } from 'zustand';
import type { PortalClient } from '../api/client';
import type { PortalEndpoint } from '../api/types';
import type { EndpointsSlice, Loadable, PortalState } from './types';

const idle: Loadable = { status: 'idle', error: null };
const loading: Loadable = { status: 'loading', error: null };
const ready: Loadable = { status: 'ready', error: null };

const withEndpoint = (state: PortalState, endpoint: PortalEndpoint): Partial<PortalState> => ({
  endpoints: { ...state.endpoints, [endpoint.id]: endpoint },
  endpointOrder: state.endpointOrder.includes(endpoint.id) ? state.endpointOrder : [...state.endpointOrder, endpoint.id],
});

export const createEndpointsSlice =
  (client: PortalClient): StateCreator<PortalState, [], [], EndpointsSlice> =>
  (set, get) => {
    /** Runs a load, keeping its status beside the data; failures go through reportError. */
    const track = async (key: 'applicationLoad' | 'endpointsLoad' | 'eventTypesLoad', run: () => Promise<Partial<PortalState>>) => {
      set({ [key]: get()[key].status === 'ready' ? get()[key] : loading });
      try {
        set({ ...(await run()), [key]: ready });
      } catch (error) {
        set({ [key]: { status: 'error', error: get().reportError(error) } });
      }
    };
    /** A write: the error is reported and rethrown, so the form that asked can show it. */
    const write = async <T>(run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        get().reportError(error);
        throw error;
      }
    };

    return {
      application: null,
      applicationLoad: idle,
      endpoints: {},
      endpointOrder: [],
      endpointsLoad: idle,
      eventTypes: [],
      eventTypesLoad: idle,
      subscriptions: {},
      subscriptionsLoad: {},
      loadApplication: () => track('applicationLoad', async () => ({ application: await client.application() })),
      loadEndpoints: () =>
        track('endpointsLoad', async () => {
          const list = await client.endpoints();
          return { endpoints: Object.fromEntries(list.map((e) => [e.id, e])), endpointOrder: list.map((e) => e.id) };
        }),
      loadEndpoint: async (id) => {
        try {
          const endpoint = await client.endpoint(id);
          set((state) => withEndpoint(state, endpoint));
        } catch (error) {
          get().reportError(error);
        }
      },
      createEndpoint: (input) =>
        write(async () => {
          const created = await client.createEndpoint(input);
          const { secret: _secret, ...endpoint } = created;
          set((state) => withEndpoint(state, endpoint));
          return created;
        }),
      updateEndpoint: (id, patch) =>
        write(async () => {
          const endpoint = await client.updateEndpoint(id, patch);
          set((state) => withEndpoint(state, endpoint));
          return endpoint;
        }),
      deleteEndpoint: (id) =>
        write(async () => {
          await client.deleteEndpoint(id);
          set((state) => {
            const endpoints = { ...state.endpoints };
            delete endpoints[id];
            return {
              endpoints,
              endpointOrder: state.endpointOrder.filter((e) => e !== id),
              selectedEndpointId: state.selectedEndpointId === id ? null : state.selectedEndpointId,
            };
          });
        }),
      rotateSecret: (id) => write(() => client.rotateSecret(id)),
      loadEventTypes: () => track('eventTypesLoad', async () => ({ eventTypes: await client.eventTypes() })),
      loadSubscriptions: async (endpointId) => {
        set((state) => ({
          subscriptionsLoad: { ...state.subscriptionsLoad, [endpointId]: state.subscriptionsLoad[endpointId]?.status === 'ready' ? ready : loading },
        }));
        try {
          const list = await client.subscriptions(endpointId);
          set((state) => ({ subscriptions: { ...state.subscriptions, [endpointId]: list }, subscriptionsLoad: { ...state.subscriptionsLoad, [endpointId]: ready } }));
        } catch (error) {
          const message = get().reportError(error);
          set((state) => ({ subscriptionsLoad: { ...state.subscriptionsLoad, [endpointId]: { status: 'error', error: message } } }));
        }
      },
      saveSubscriptions: (endpointId, eventTypeIds) =>
        write(async () => {
          const current = get().subscriptions[endpointId] ?? (await client.subscriptions(endpointId));
          const wanted = new Set(eventTypeIds);
          // Additions first: an endpoint with no subscription receives everything, so removing first could
          // briefly widen what it receives.
          const kept = new Set(current.filter((s) => s.isEnabled && wanted.has(s.eventTypeId)).map((s) => s.eventTypeId));
          const stale = current.filter((s) => !s.isEnabled || !wanted.has(s.eventTypeId));
          for (const sub of stale.filter((s) => wanted.has(s.eventTypeId))) await client.unsubscribe(sub.id);
          for (const eventTypeId of eventTypeIds) {
            if (!kept.has(eventTypeId)) await client.subscribe(endpointId, eventTypeId);
          }
          for (const sub of stale.filter((s) => !wanted.has(s.eventTypeId))) await client.unsubscribe(sub.id);
          await get().loadSubscriptions(endpointId);
        }),
    };
  };
