import type { StateCreator } from 'zustand';
import type { PortalClient } from '../api/client';
import type { MessageQuery } from '../api/types';
import type { MessagesSlice, PortalState } from './types';

/** One cache entry per distinct list query (endpoint, status, page). */
export const messageQueryKey = (query: MessageQuery): string =>
  [query.endpointId ?? '*', query.status ?? '*', query.limit, query.offset].join('|');

export const createMessagesSlice =
  (client: PortalClient): StateCreator<PortalState, [], [], MessagesSlice> =>
  (set, get) => ({
    messages: {},
    messagePages: {},
    messageDetails: {},
    replaying: {},
    loadMessages: async (query) => {
      const key = messageQueryKey(query);
      const previous = get().messagePages[key];
      // A refresh keeps showing the rows it has; only a first load shows the loading state.
      set((state) => ({
        messagePages: { ...state.messagePages, [key]: previous ? { ...previous, error: null } : { ids: [], total: 0, loadedAt: null, status: 'loading', error: null } },
      }));
      try {
        const page = await client.messages(query);
        set((state) => ({
          messages: { ...state.messages, ...Object.fromEntries(page.data.map((m) => [m.id, m])) },
          messagePages: { ...state.messagePages, [key]: { ids: page.data.map((m) => m.id), total: page.total, loadedAt: Date.now(), status: 'ready', error: null } },
        }));
      } catch (error) {
        const message = get().reportError(error);
        set((state) => {
          const page = state.messagePages[key] ?? { ids: [], total: 0, loadedAt: null };
          return { messagePages: { ...state.messagePages, [key]: { ...page, status: 'error', error: message } } };
        });
      }
    },
    loadMessage: async (id) => {
      set((state) => ({ messageDetails: { ...state.messageDetails, [id]: { attempts: state.messageDetails[id]?.attempts ?? [], status: 'loading', error: null } } }));
      try {
        const detail = await client.message(id);
        set((state) => ({
          messages: { ...state.messages, [id]: { ...state.messages[id], ...detail.message } },
          messageDetails: { ...state.messageDetails, [id]: { attempts: detail.attempts, status: 'ready', error: null } },
        }));
      } catch (error) {
        const message = get().reportError(error);
        set((state) => ({ messageDetails: { ...state.messageDetails, [id]: { attempts: [], status: 'error', error: message } } }));
      }
    },
    replayMessage: async (id) => {
      set((state) => ({ replaying: { ...state.replaying, [id]: true } }));
      try {
        return await client.replay(id);
      } catch (error) {
        get().reportError(error);
        throw error;
      } finally {
        set((state) => ({ replaying: { ...state.replaying, [id]: false } }));
      }
    },
  });
