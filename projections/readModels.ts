import type { CircuitState } from '../domain/endpoint/endpoint';
import type { SubscriptionFilter } from '../domain/endpoint/subscriptions';
import type { JsonObject, JsonValue } from '../domain/json';
import type { DeliveryStatus } from '../domain/outbound/outbound';
import type { SealedSecret } from '../domain/secretBox';
import type { CollectionDef } from '../store/readStore';
import { inboundCollections } from './inboundModels';

export * from './inboundModels';

// The read models: one collection per query shape the API needs. Disposable: a replay of `$all` rebuilds them.

export type ApplicationDoc = {
  id: string;
  name: string;
  uid: string | null;
  metadata: JsonObject;
  /** Absent in documents projected before applications could be disabled (= false). */
  disabled?: boolean;
  disabledReason?: string | null;
  disabledAt?: string | null;
  createdAt: string;
  updatedAt: string;
};

export type EventTypeDoc = {
  id: string; // the name
  name: string;
  displayName: string | null;
  description: string | null;
  category: string | null;
  schema: JsonObject | null;
  /** Absent in documents projected before v2 of the event type events (= null). */
  examplePayload?: JsonValue | null;
  documentationUrl?: string | null;
  deprecated?: { at: string; message: string | null } | null;
  /**
   * How many schemas the type has had: 1 with its first, +1 each time an update changes it (compared as canonical
   * JSON); null while it never had one. Absent in documents projected before it was kept (a rebuild fills it).
   */
  schemaVersion?: number | null;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
};

export type EndpointDoc = {
  id: string;
  applicationId: string;
  url: string;
  description: string;
  /** The event types of the enabled subscriptions (API.md's `eventTypes`). */
  eventTypes: string[];
  /** Every subscription, enabled or not: 0 = every event type. Absent in documents of older versions. */
  subscriptionCount?: number;
  /** The aggregate's subscriptions, folded again on the next event. Absent in documents of older versions. */
  subscriptions?: { id: string; eventType: string; enabled: boolean; createdAt: string; updatedAt: string; filter?: SubscriptionFilter | null }[];
  headers: Record<string, string>;
  rateLimitPerSecond: number | null;
  timeoutSeconds: number;
  retryDelays: number[] | null;
  disabled: boolean;
  disabledReason: string | null;
  circuit: CircuitState;
  metadata: JsonObject;
  /** Sealed with the master key; never leaves the server. */
  secret: SealedSecret;
  previousSecrets: { secret: SealedSecret; expiresAt: string }[];
  createdAt: string;
  updatedAt: string;
};

export type MessageDoc = {
  id: string;
  applicationId: string;
  eventType: string;
  payload: JsonValue;
  eventId: string | null;
  timestamp: string;
  outboundIds: string[];
};

export type OutboundDoc = {
  id: string;
  applicationId: string;
  messageId: string;
  endpointId: string;
  endpointUrl: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
};

export type AttemptDoc = {
  id: string;
  outboundMessageId: string;
  /** Written by versions before the footprint work of issue 17, read by no answer; see RETIRED_FIELDS. */
  applicationId?: string;
  endpointId?: string;
  attemptNumber: number;
  responseStatus: number | null;
  responseBody: string;
  error: string | null;
  latencyMs: number;
  attemptedAt: string;
};

/** One (endpoint, event type) pair; `eventTypeName` is also the event type's id (event types are keyed by name). */
export type SubscriptionDoc = {
  id: string;
  endpointId: string;
  applicationId: string;
  eventTypeName: string;
  isEnabled: boolean;
  /** Absent in documents projected before subscriptions had filters (= none). */
  filter?: SubscriptionFilter | null;
  createdAt: string;
  updatedAt: string;
};

/** Which application an endpoint belongs to, for events that do not say (the subscriptions projection's own). */
export type SubscriptionOwnerDoc = { id: string; applicationId: string };

export type ApiKeyDoc = { id: string; name: string; keyHash: string; revoked: boolean; createdAt: string };

export type PortalTokenDoc = {
  id: string;
  applicationId: string;
  tokenHash: string;
  /** The first characters of the token (null for tokens made before prefixes were kept); absent in older documents. */
  tokenPrefix?: string | null;
  name?: string | null;
  /** Absent in documents of older versions: both scopes. */
  scopes?: ('read' | 'write')[];
  expiresAt: string;
  revoked: boolean;
  createdAt: string;
};

/** The due-queue of deliveries waiting for their next attempt (retries and manual retries). */
export type DueDeliveryDoc = {
  id: string; // outbound id
  applicationId: string;
  messageId: string;
  endpointId: string;
  attemptNumber: number;
  dueAt: string;
};

export type StatusCounts = Record<DeliveryStatus, number>;

/** Per endpoint delivery statistics (see deliveryStats.ts), kept by the outbound projection. */
export type EndpointStatsDoc = {
  id: string; // endpoint id
  applicationId: string;
  /** Deliveries to this endpoint by current status. */
  deliveries: StatusCounts;
  attemptsSucceeded: number;
  attemptsFailed: number;
  latencySumMs: number;
  latencyMaxMs: number | null;
  /** Attempt counts per latency bucket (LATENCY_BOUNDS_MS); trailing empty buckets omitted. */
  latencyBuckets: number[];
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastAttemptAt: string | null;
  lastResponseStatus: number | null;
  /** Failed attempts per UTC hour ('…T13:00:00.000Z'), the last FAILURE_HOURS_KEPT hours that had any. */
  failuresByHour: Record<string, number>;
};

/** Per application statistics, kept by the outbound projection. */
export type ApplicationStatsDoc = {
  id: string; // application id
  messagesSent: number;
  lastEventAt: string | null;
  /** The application's deliveries by current status: the outbound summary. */
  deliveries: StatusCounts;
};

/**
 * Fields the projections no longer write but documents projected by earlier versions still hold, per collection:
 * the drift check does not count them (a rebuild drops them, and gives their space back).
 */
export const RETIRED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  attempts: ['applicationId', 'endpointId'],
};

/** Newest first by creation time: the order of every list page. */
const byCreated = (...equal: string[]) => ({ equal, sort: 'createdAt' });

const subscriptionListIndexes = () =>
  [[], ['applicationId'], ['endpointId']].flatMap((scope) =>
    [[], ['eventTypeName'], ['isEnabled'], ['eventTypeName', 'isEnabled']].map((extra) => byCreated(...scope, ...extra)),
  );

/**
 * One IndexDef per query shape the API, the dispatcher and the projections make (see store/readStore.ts): a
 * query no index here serves throws UnindexedQueryError. Each index costs every write of its collection.
 */
export const collections = {
  // By id, all or enabled/disabled: the /api list walks them in id (creation) order (api/compat).
  applications: { name: 'applications', indexes: [byCreated(), { equal: ['disabled'] }], unique: ['uid'] },
  eventTypes: {
    name: 'event_types',
    indexes: [
      byCreated(), byCreated('archived'), byCreated('category'), byCreated('category', 'archived'),
      // By name (the id), for /api's filtered and searched lists (api/compat).
      { equal: ['archived'] }, { equal: ['category'] }, { equal: ['category', 'archived'] },
    ],
  },
  // By id too: the fan-out of every send reads an application's endpoints in id (creation) order.
  endpoints: {
    name: 'endpoints',
    indexes: [
      byCreated('applicationId'), { equal: ['applicationId'] },
      // /api's list: by application or not, disabled or by circuit state (api/compat; the other filter is applied while paging).
      byCreated(), byCreated('disabled'), byCreated('circuit'), byCreated('applicationId', 'disabled'), byCreated('applicationId', 'circuit'),
    ],
  },
  messages: { name: 'messages', indexes: [{ equal: ['applicationId'], sort: 'timestamp' }, { equal: ['applicationId', 'eventType'], sort: 'timestamp' }] },
  outbound: {
    name: 'outbound',
    indexes: [
      byCreated('applicationId'),
      byCreated('applicationId', 'status'),
      byCreated('applicationId', 'eventType'),
      byCreated('endpointId'),
      byCreated('endpointId', 'status'),
      byCreated('messageId'),
      // /api's lists, export and summary across applications (api/compat).
      byCreated(),
      byCreated('status'),
    ],
  },
  attempts: {
    name: 'attempts',
    indexes: [{ equal: ['outboundMessageId'], sort: 'attemptedAt' }],
  },
  // Lists filter by one scope (an application or an endpoint) and optionally by event type and flag, newest first;
  // the projection reads an endpoint's set by id.
  subscriptions: { name: 'subscriptions', indexes: [...subscriptionListIndexes(), { equal: ['endpointId'] }] },
  subscriptionOwners: { name: 'subscription_owners', indexes: [] },
  apiKeys: { name: 'api_keys', indexes: [{ equal: ['keyHash'] }] },
  portalTokens: { name: 'portal_tokens', indexes: [{ equal: ['tokenHash'] }, byCreated('applicationId')] },
  dueDeliveries: { name: 'due_deliveries', indexes: [{ equal: [], sort: 'dueAt' }] },
  endpointStats: { name: 'endpoint_stats', indexes: [] },
  applicationStats: { name: 'application_stats', indexes: [] },
  ...inboundCollections,
} as const satisfies Record<string, CollectionDef>;
