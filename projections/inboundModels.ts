import type { AuthType, HttpMethod } from '../domain/destination/destination';
import type { FilterCondition, FilterLogic } from '../domain/route/filters';
import type { JsonObject } from '../domain/json';
import type { SkippedRoute } from '../domain/inbound/inboundEvent';
import type { InboundDeliveryStatus } from '../domain/inbound/delivery';
import type { TransformKind } from '../domain/pipeline/pipeline';
import type { SealedSecret } from '../domain/secretBox';
import type { VerificationSettings } from '../domain/source/providers';
import type { DedupStrategy, IpFilterMode } from '../domain/source/source';
import type { CollectionDef } from '../store/readStore';

// The inbound half's read models (docs/inbound.md). Disposable like the rest: a replay of `$all` rebuilds them.

export type SourceDoc = {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  provider: string;
  verifySignature: boolean;
  verification: VerificationSettings;
  dedupStrategy: DedupStrategy;
  dedupWindow: number;
  dedupHeaderName: string | null;
  ipFilterMode: IpFilterMode;
  ipAllowlist: string[];
  ipDenylist: string[];
  rateLimit: number | null;
  rateLimitWindow: number;
  transientMode: boolean;
  isActive: boolean;
  /** Sealed with the master key; opened only to verify a request, never answered. */
  signingSecret: SealedSecret | null;
  createdAt: string;
  updatedAt: string;
};

export type DestinationDoc = {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  type: 'http';
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  authType: AuthType;
  /** Sealed credentials; never answered. */
  auth: SealedSecret | null;
  timeoutMs: number;
  retryCount: number;
  retryInterval: number;
  rateLimit: number | null;
  rateLimitWindow: number;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
};

export type RouteDoc = {
  id: string;
  name: string;
  sourceId: string;
  destinationId: string;
  filterId: string | null;
  filter: { conditions: FilterCondition[]; logic: FilterLogic } | null;
  transformId: string | null;
  schemaId: string | null;
  priority: number;
  notifyOnFailure: boolean;
  notifyOnSuccess: boolean;
  notifyOnRecovery: boolean;
  notifyEmails: string | null;
  failureThreshold: number | null;
  failoverDestinationIds: string[];
  failoverAfterAttempts: number | null;
  expectedResponse: string | null;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
};

export type FilterDoc = { id: string; name: string; description: string | null; conditions: FilterCondition[]; logic: FilterLogic; version: number; createdAt: string; updatedAt: string };
export type TransformDoc = { id: string; name: string; description: string | null; transformType: TransformKind; code: string; version: number; createdAt: string; updatedAt: string };
export type SchemaDoc = { id: string; name: string; description: string | null; jsonSchema: JsonObject; version: number; createdAt: string; updatedAt: string };

export type InboundEventStatus = 'received' | 'routed' | 'rejected';

export type InboundEventDoc = {
  id: string;
  sourceId: string;
  status: InboundEventStatus;
  receivedAt: string;
  contentType: string | null;
  headers: Record<string, string>;
  /** The raw bytes as text (utf8) or base64; null for a transient source's sealed payload, and once purged. */
  body: string | null;
  bodyEncoding: 'utf8' | 'base64' | null;
  transient: boolean;
  payloadPurged: boolean;
  payloadHash: string | null;
  ipAddress: string | null;
  signatureValid: boolean | null;
  eventType: string | null;
  dedupKey: string | null;
  /** A refusal at the door: why. */
  rejection: { reason: string; code: string; message: string } | null;
  deliveryIds: string[];
  skipped: SkippedRoute[];
  routedAt: string | null;
  replays: number;
};

export type InboundDeliveryDoc = {
  id: string;
  inboundEventId: string;
  routeId: string;
  sourceId: string;
  /** The destination attempts go to now (failover moves it on). */
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
};

export type InboundAttemptDoc = {
  id: string;
  deliveryId: string;
  destinationId: string;
  attemptNumber: number;
  responseStatus: number | null;
  responseBody: string;
  error: string | null;
  latencyMs: number;
  attemptedAt: string;
};

/** Inbound deliveries waiting for their next attempt: the dispatcher's work list (as due_deliveries for outbound). */
export type InboundDueDoc = { id: string; destinationId: string; attemptNumber: number; dueAt: string };

/** Received events not routed yet: the router's work list (the dispatcher routes them, then they leave it). */
export type InboundUnroutedDoc = { id: string; sourceId: string; receivedAt: string };

/**
 * Traffic counts of a source (events received or refused at its door), a route (deliveries it made), or a destination
 * (deliveries given to it — created or failed over to it —, delivered by it, exhausted on it): what the MCP server
 * lists as a source's `event_count` and a destination's or route's `delivery_count`, `success_count`, `failure_count`.
 * Kept by the traffic projection, keyed by the source's, route's or destination's id; never deleted with it.
 */
export type InboundCountsDoc = { id: string; events: number; deliveries: number; successes: number; failures: number };

const byCreated = (...equal: string[]) => ({ equal, sort: 'createdAt' });
const byReceived = (...equal: string[]) => ({ equal, sort: 'receivedAt' });

export const inboundCollections = {
  sources: { name: 'sources', indexes: [byCreated()], unique: ['slug'] },
  destinations: { name: 'destinations', indexes: [byCreated()] },
  routes: { name: 'routes', indexes: [byCreated(), byCreated('sourceId'), byCreated('destinationId'), { equal: ['sourceId'] }] },
  filters: { name: 'filters', indexes: [byCreated()] },
  transforms: { name: 'transforms', indexes: [byCreated()] },
  schemas: { name: 'schemas', indexes: [byCreated()] },
  inboundEvents: { name: 'inbound_events', indexes: [byReceived(), byReceived('sourceId'), byReceived('status'), byReceived('sourceId', 'status')] },
  inboundDeliveries: {
    name: 'inbound_deliveries',
    indexes: [byCreated(), byCreated('status'), byCreated('inboundEventId'), byCreated('routeId'), byCreated('sourceId'), byCreated('destinationId'), byCreated('sourceId', 'status')],
  },
  inboundAttempts: { name: 'inbound_attempts', indexes: [{ equal: ['deliveryId'], sort: 'attemptedAt' }] },
  inboundDue: { name: 'inbound_due', indexes: [{ equal: [], sort: 'dueAt' }] },
  inboundUnrouted: { name: 'inbound_unrouted', indexes: [{ equal: [], sort: 'receivedAt' }] },
  inboundCounts: { name: 'inbound_counts', indexes: [] },
} as const satisfies Record<string, CollectionDef>;
