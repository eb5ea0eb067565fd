// Resource shapes of the REST API (API.md). Times are ISO 8601 strings as the server sends them.

export type Metadata = Record<string, unknown>;

/** One page of a list: `limit` 1–100 (default 50), then `cursor: nextCursor` for the next one. */
export interface ListResponse<T> {
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

export interface PageQuery {
  limit?: number;
  cursor?: string;
}

// Applications

export interface Application {
  id: string;
  name: string;
  uid: string | null;
  metadata: Metadata;
  createdAt: string;
  updatedAt: string;
}

export interface ApplicationIn {
  name: string;
  uid?: string;
  metadata?: Metadata;
}

export interface ApplicationGetOrCreateIn {
  name: string;
  metadata?: Metadata;
}

export interface ApplicationPatch {
  name?: string;
  metadata?: Metadata;
}

// Event types

export type JsonSchema = Record<string, unknown>;

export interface EventType {
  name: string;
  displayName: string | null;
  description: string | null;
  category: string | null;
  schema: JsonSchema | null;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface EventTypeIn {
  name: string;
  displayName?: string;
  description?: string;
  category?: string;
  schema?: JsonSchema;
}

export interface EventTypePatch {
  displayName?: string;
  description?: string;
  category?: string;
  schema?: JsonSchema;
}

export interface EventTypeListQuery extends PageQuery {
  category?: string;
  includeArchived?: boolean;
}

// Endpoints

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface Endpoint {
  id: string;
  applicationId: string;
  url: string;
  description: string | null;
  /** Empty means every event type. */
  eventTypes: string[];
  headers: Record<string, string>;
  rateLimitPerSecond: number | null;
  timeoutSeconds: number;
  /** Seconds between attempts, overriding the server's schedule for this endpoint. */
  retryDelays: number[] | null;
  disabled: boolean;
  disabledReason: string | null;
  circuit: CircuitState;
  metadata: Metadata;
  createdAt: string;
  updatedAt: string;
}

/** What `endpoints.create` returns: the only time, with rotation, the secret is shown. */
export interface EndpointWithSecret extends Endpoint {
  secret: string;
}

export interface EndpointIn {
  url: string;
  description?: string;
  eventTypes?: string[];
  headers?: Record<string, string>;
  rateLimitPerSecond?: number;
  timeoutSeconds?: number;
  retryDelays?: number[];
  disabled?: boolean;
  metadata?: Metadata;
}

export type EndpointPatch = Partial<EndpointIn>;

export interface RotateSecretIn {
  /** How long the previous secret keeps signing, in seconds (default 86400). */
  gracePeriodSeconds?: number;
}

export interface RotateSecretOut {
  secret: string;
  previousSecretExpiresAt: string;
}

export interface EndpointTestIn {
  eventType?: string;
}

export interface RecoverIn {
  since: string | Date;
  until?: string | Date;
}

export interface RecoverOut {
  requeued: number;
}

export interface EndpointStats {
  totalMessages: number;
  successes: number;
  failures: number;
  successRate: number;
  latencyMsP50: number | null;
  latencyMsP99: number | null;
  recentFailures: number;
}

// Messages

export type OutboundStatus = 'pending' | 'success' | 'failed' | 'exhausted';

export interface OutboundRef {
  id: string;
  endpointId: string;
  status: OutboundStatus;
}

export interface Message {
  id: string;
  eventType: string;
  payload: unknown;
  eventId: string | null;
  timestamp: string;
  outbound: OutboundRef[];
}

export interface MessageIn {
  eventType: string;
  payload: unknown;
  /** Deduplicates forever: the same id again returns the original message and delivers nothing. */
  eventId?: string;
}

export interface MessageListQuery extends PageQuery {
  eventType?: string;
  since?: string | Date;
  until?: string | Date;
}

export interface ResendOut {
  outbound: OutboundRef[];
}

export interface HistoryEvent {
  stream: string;
  revision: number;
  position: string | number;
  type: string;
  recordedAt: string;
  data: unknown;
}

export interface MessageHistory {
  data: HistoryEvent[];
}

export interface OutboundMessage {
  id: string;
  messageId: string;
  endpointId: string;
  endpointUrl: string;
  eventType: string;
  status: OutboundStatus;
  attempts: number;
  maxAttempts: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export interface OutboundFilter {
  status?: OutboundStatus;
  endpointId?: string;
  messageId?: string;
  eventType?: string;
}

export interface OutboundListQuery extends OutboundFilter, PageQuery {}

export interface MessageAttempt {
  id: string;
  outboundMessageId: string;
  attemptNumber: number;
  responseStatus: number | null;
  /** The first 4 KiB. */
  responseBody: string | null;
  error: string | null;
  latencyMs: number | null;
  attemptedAt: string;
}

// Portal tokens

export interface PortalTokenIn {
  /** Seconds, default 3600, at most 30 days. */
  expiresIn?: number;
}

export interface PortalToken {
  id: string;
  token: string;
  expiresAt: string;
  /** Magic link to the hosted portal. */
  url: string;
}
