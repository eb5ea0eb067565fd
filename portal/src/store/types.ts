import type { PortalApiError } from '../api/client';
import type {
  CreatedEndpoint,
  EndpointInput,
  EndpointPatch,
  MessageQuery,
  PortalApplication,
  PortalAttempt,
  PortalEndpoint,
  PortalEventType,
  PortalMessage,
  PortalSubscription,
  ReplayResult,
} from '../api/types';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface Loadable {
  status: LoadStatus;
  error: string | null;
}

export interface EndpointsSlice {
  application: PortalApplication | null;
  applicationLoad: Loadable;
  endpoints: Record<string, PortalEndpoint>;
  endpointOrder: string[];
  endpointsLoad: Loadable;
  eventTypes: PortalEventType[];
  eventTypesLoad: Loadable;
  subscriptions: Record<string, PortalSubscription[]>;
  subscriptionsLoad: Record<string, Loadable>;
  loadApplication: () => Promise<void>;
  loadEndpoints: () => Promise<void>;
  loadEndpoint: (id: string) => Promise<void>;
  createEndpoint: (input: EndpointInput) => Promise<CreatedEndpoint>;
  updateEndpoint: (id: string, patch: EndpointPatch) => Promise<PortalEndpoint>;
  deleteEndpoint: (id: string) => Promise<void>;
  rotateSecret: (id: string) => Promise<string>;
  loadEventTypes: () => Promise<void>;
  loadSubscriptions: (endpointId: string) => Promise<void>;
  /** Makes the endpoint's enabled subscriptions exactly `eventTypeIds` (empty: every event type). */
  saveSubscriptions: (endpointId: string, eventTypeIds: string[]) => Promise<void>;
}

export interface MessagePageState extends Loadable {
  ids: string[];
  total: number;
  loadedAt: number | null;
}

export interface MessageDetailState extends Loadable {
  attempts: PortalAttempt[];
}

export interface MessagesSlice {
  messages: Record<string, PortalMessage>;
  messagePages: Record<string, MessagePageState>;
  messageDetails: Record<string, MessageDetailState>;
  replaying: Record<string, boolean>;
  loadMessages: (query: MessageQuery) => Promise<void>;
  loadMessage: (id: string) => Promise<void>;
  replayMessage: (id: string) => Promise<ReplayResult>;
}

export interface UiSlice {
  /** Set once the API answered 401 (expired, revoked or unknown token): nothing else can work. */
  authError: PortalApiError | null;
  selectedEndpointId: string | null;
  selectEndpoint: (id: string | null) => void;
  /** Every failed call passes here: a 401 is remembered, and the host's onError hears about each one. */
  reportError: (error: unknown) => string;
}

export type PortalState = EndpointsSlice & MessagesSlice & UiSlice;
