// Inbound (docs/inbound.md): the /v1 resources of receiving webhooks, as api/inboundShapes.ts answers them.
import type { PageQuery } from './types.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type { Json as InboundJson };

// Sources

export type SourceProvider =
  | 'generic' | 'stripe' | 'github' | 'shopify' | 'slack' | 'twilio' | 'svix' | 'standard_webhooks' | 'paddle' | 'linear' | 'sendgrid' | 'mailgun'
  | (string & {});
export type DedupStrategy = 'none' | 'header' | 'payload_hash' | 'event_id';
export type IpFilterMode = 'none' | 'allowlist' | 'denylist';

/** The `generic` provider's HMAC scheme. */
export interface GenericVerification {
  algorithm: string;
  headerName: string;
  encoding: string;
  prefix: string | null;
  timestampHeader: string | null;
  timestampSeparator: string;
  toleranceSeconds: number | null;
}

export interface SourceVerification {
  toleranceSeconds: number | null;
  generic: GenericVerification | null;
  publicKey: string | null;
}

export interface SourceIn {
  name: string;
  slug?: string;
  description?: string | null;
  provider?: SourceProvider;
  verifySignature?: boolean;
  /** Given, or generated for a verifying source; answered once, by `create` and `rotateSecret`. */
  signingSecret?: string | null;
  verification?: SourceVerification;
  dedupStrategy?: DedupStrategy;
  /** Seconds. */
  dedupWindow?: number;
  dedupHeaderName?: string | null;
  ipFilterMode?: IpFilterMode;
  ipAllowlist?: string[];
  ipDenylist?: string[];
  rateLimit?: number | null;
  rateLimitWindow?: number;
  /** Payloads never at rest: kept only until every delivery ends (docs/inbound.md). */
  transientMode?: boolean;
  isActive?: boolean;
}

export type SourcePatch = Partial<SourceIn>;

export interface Source {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  provider: SourceProvider;
  /** Where the provider posts: `{baseUrl}/ingest/{orgSlug}/{slug}`. */
  ingestUrl: string;
  isActive: boolean;
  verifySignature: boolean;
  hasSigningSecret: boolean;
  verification: SourceVerification;
  dedupStrategy: DedupStrategy;
  dedupWindow: number;
  dedupHeaderName: string | null;
  ipFilterMode: IpFilterMode;
  ipAllowlist: string[];
  ipDenylist: string[];
  rateLimit: number | null;
  rateLimitWindow: number;
  transientMode: boolean;
  createdAt: string;
  updatedAt: string;
}

/** `signingSecret` is null when the source verifies nothing (or the provider holds the key, as SendGrid's). */
export interface SourceWithSecret extends Source {
  signingSecret: string | null;
}

// Destinations

export type DestinationAuthType = 'none' | 'basic' | 'bearer' | 'api_key' | 'custom_header';

export interface DestinationIn {
  name: string;
  url: string;
  slug?: string;
  description?: string | null;
  /** Only `http` is offered; object-store types answer 422. */
  type?: 'http';
  method?: string;
  headers?: Record<string, string>;
  authType?: DestinationAuthType;
  /** `{username, password}`, `{token}`, `{headerName, apiKey}`...: sealed at rest, never answered. */
  authConfig?: Record<string, string> | null;
  timeoutMs?: number;
  retryCount?: number;
  /** Seconds. */
  retryInterval?: number;
  rateLimit?: number | null;
  rateLimitWindow?: number;
  isActive?: boolean;
}

export type DestinationPatch = Partial<DestinationIn>;

export interface Destination {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  type: 'http';
  url: string;
  method: string;
  headers: Record<string, string>;
  authType: DestinationAuthType;
  hasAuth: boolean;
  timeoutMs: number;
  retryCount: number;
  retryInterval: number;
  rateLimit: number | null;
  rateLimitWindow: number;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
}

// Filters

export type FilterOperator =
  | 'equals' | 'not_equals' | 'contains' | 'starts_with' | 'ends_with' | 'exists' | 'not_exists' | 'greater_than' | 'less_than' | 'regex';
export type FilterLogic = 'and' | 'or';

/** `field` is a dotted path of the payload, or `headers.<name>`. */
export interface FilterCondition {
  field: string;
  operator: FilterOperator;
  value?: Json;
}

export interface FilterIn {
  name: string;
  description?: string | null;
  conditions: FilterCondition[];
  logic?: FilterLogic;
}

export type FilterPatch = Partial<FilterIn>;

export interface Filter {
  id: string;
  name: string;
  description: string | null;
  conditions: FilterCondition[];
  logic: FilterLogic;
  version: number;
  createdAt: string;
  updatedAt: string;
}

// Transforms

export type TransformType = 'jsonata' | 'mapping';

export interface TransformIn {
  name: string;
  description?: string | null;
  transformType: TransformType;
  code: string;
}

export type TransformPatch = Partial<TransformIn>;

export interface Transform {
  id: string;
  name: string;
  description: string | null;
  transformType: TransformType;
  code: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface TransformTestIn {
  transformType: TransformType;
  code: string;
  payload: Json;
}

export type TransformTestResult =
  | { success: true; output: Json; executionTimeMs: number }
  | { success: false; error: { code: string; message: string } };

// Schemas

export interface SchemaIn {
  name: string;
  description?: string | null;
  /** A JSON Schema (validated with ajv). */
  jsonSchema: Record<string, Json>;
}

export type SchemaPatch = Partial<SchemaIn>;

export interface Schema {
  id: string;
  name: string;
  description: string | null;
  jsonSchema: Record<string, Json>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface SchemaValidation {
  valid: boolean;
  /** `path` is a JSON Pointer into the payload (`/` for the whole). */
  errors: { path: string; message: string }[];
}

// Routes

export interface InboundRouteIn {
  name: string;
  sourceId: string;
  destinationId: string;
  filterId?: string | null;
  /** An inline filter (instead of, or with, `filterId`). */
  filterConditions?: FilterCondition[] | null;
  filterLogic?: FilterLogic | null;
  transformId?: string | null;
  schemaId?: string | null;
  priority?: number;
  isActive?: boolean;
  failoverDestinationIds?: string[] | null;
  failoverAfterAttempts?: number | null;
  /** Kept as data: this server sends no notifications. */
  notifyOnFailure?: boolean;
  notifyOnSuccess?: boolean;
  notifyOnRecovery?: boolean;
  notifyEmails?: string | null;
  failureThreshold?: number | null;
  expectedResponse?: string | null;
}

export type InboundRoutePatch = Partial<InboundRouteIn>;

export interface InboundRoute {
  id: string;
  name: string;
  sourceId: string;
  destinationId: string;
  filterId: string | null;
  filterConditions: FilterCondition[] | null;
  filterLogic: FilterLogic | null;
  transformId: string | null;
  schemaId: string | null;
  priority: number;
  isActive: boolean;
  failoverDestinationIds: string[] | null;
  failoverAfterAttempts: number | null;
  notifyOnFailure: boolean;
  notifyOnSuccess: boolean;
  notifyOnRecovery: boolean;
  notifyEmails: string | null;
  failureThreshold: number | null;
  expectedResponse: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface InboundRouteListQuery extends PageQuery {
  sourceId?: string;
  destinationId?: string;
}

// Inbound events and deliveries

export type InboundEventStatus = 'received' | 'routed' | 'rejected';
export type InboundDeliveryStatus = 'pending' | 'success' | 'failed' | 'exhausted' | 'discarded';

/** One event of the log, as the history of an event or a delivery lists it. */
export interface InboundHistoryEntry {
  type: string;
  /** The event's position in its stream, from 0. */
  revision: number;
  /** Its data, without a raw body. */
  data: Record<string, Json>;
}

export interface InboundEvent {
  id: string;
  sourceId: string;
  status: InboundEventStatus;
  eventType: string | null;
  receivedAt: string;
  contentType: string | null;
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, else the text (or base64); null when transient or purged. */
  payload: Json;
  bodyEncoding: string | null;
  transient: boolean;
  payloadPurged: boolean;
  payloadHash: string;
  ipAddress: string | null;
  signatureValid: boolean | null;
  dedupKey: string | null;
  rejection: { code: string; message: string } | null;
  deliveryIds: string[];
  skippedRoutes: Json;
  routedAt: string | null;
  replays: number;
}

export interface InboundEventDetail extends InboundEvent {
  deliveries: InboundDelivery[];
  /** The event's stream, read from the log. */
  history: InboundHistoryEntry[];
}

export interface InboundEventListQuery extends PageQuery {
  sourceId?: string;
  status?: InboundEventStatus;
}

export interface InboundEventReplay {
  eventId: string;
  deliveryIds: string[];
  skippedRoutes: Json;
}

export interface InboundDelivery {
  id: string;
  eventId: string;
  routeId: string;
  sourceId: string;
  destinationId: string;
  destinationIds: string[];
  status: InboundDeliveryStatus;
  attempts: number;
  maxAttemptsPerDestination: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  exhaustedAt: string | null;
  exhaustedReason: string | null;
  createdAt: string;
}

export interface InboundAttempt {
  id: string;
  deliveryId: string;
  destinationId: string;
  attemptNumber: number;
  responseStatus: number | null;
  responseBody: string | null;
  error: string | null;
  latencyMs: number | null;
  attemptedAt: string;
}

export interface InboundDeliveryDetail extends InboundDelivery {
  attemptList: InboundAttempt[];
  history: InboundHistoryEntry[];
}

export interface InboundDeliveryListQuery extends PageQuery {
  sourceId?: string;
  eventId?: string;
  routeId?: string;
  destinationId?: string;
  status?: InboundDeliveryStatus;
}

export interface DlqListQuery extends PageQuery {
  sourceId?: string;
}

/** A bulk DLQ action: ids done, and each refused one with why. */
export interface DlqBulkResult {
  succeeded: string[];
  failed: { id: string; code: string; message: string }[];
}
