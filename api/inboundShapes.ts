import type { JsonObject, JsonValue } from '../domain/json';
import type {
  DestinationDoc,
  FilterDoc,
  InboundAttemptDoc,
  InboundDeliveryDoc,
  InboundEventDoc,
  RouteDoc,
  SchemaDoc,
  SourceDoc,
  TransformDoc,
} from '../projections/readModels';
import type { Schema } from './route';

// Inbound read-model documents → the /v1 resources. Field names follow the official SDK's types where they fit
// (docs/inbound.md); sealed secrets and credentials never leave: a source says whether it has a secret, a
// destination whether it has credentials.

export const sourceOut = (s: SourceDoc, ingestUrl: string): JsonObject => ({
  id: s.id, name: s.name, slug: s.slug, description: s.description, provider: s.provider, ingestUrl, isActive: s.isActive,
  verifySignature: s.verifySignature, hasSigningSecret: s.signingSecret !== null, verification: s.verification as unknown as JsonObject,
  dedupStrategy: s.dedupStrategy, dedupWindow: s.dedupWindow, dedupHeaderName: s.dedupHeaderName, ipFilterMode: s.ipFilterMode,
  ipAllowlist: s.ipAllowlist, ipDenylist: s.ipDenylist, rateLimit: s.rateLimit, rateLimitWindow: s.rateLimitWindow, transientMode: s.transientMode,
  createdAt: s.createdAt, updatedAt: s.updatedAt,
});

export const destinationOut = (d: DestinationDoc): JsonObject => ({
  id: d.id, name: d.name, slug: d.slug, description: d.description, type: d.type, url: d.url, method: d.method, headers: d.headers,
  authType: d.authType, hasAuth: d.auth !== null, timeoutMs: d.timeoutMs, retryCount: d.retryCount, retryInterval: d.retryInterval,
  rateLimit: d.rateLimit, rateLimitWindow: d.rateLimitWindow, isActive: d.isActive, createdAt: d.createdAt, updatedAt: d.updatedAt,
});

export const routeOut = (r: RouteDoc): JsonObject => ({
  id: r.id, name: r.name, sourceId: r.sourceId, destinationId: r.destinationId, filterId: r.filterId,
  filterConditions: (r.filter?.conditions ?? null) as JsonValue, filterLogic: r.filter?.logic ?? null, transformId: r.transformId, schemaId: r.schemaId,
  priority: r.priority, isActive: r.isActive, failoverDestinationIds: r.failoverDestinationIds, failoverAfterAttempts: r.failoverAfterAttempts,
  notifyOnFailure: r.notifyOnFailure, notifyOnSuccess: r.notifyOnSuccess, notifyOnRecovery: r.notifyOnRecovery, notifyEmails: r.notifyEmails,
  failureThreshold: r.failureThreshold, expectedResponse: r.expectedResponse, createdAt: r.createdAt, updatedAt: r.updatedAt,
});

export const filterOut = (f: FilterDoc): JsonObject => ({
  id: f.id, name: f.name, description: f.description, conditions: f.conditions as unknown as JsonValue, logic: f.logic, version: f.version, createdAt: f.createdAt, updatedAt: f.updatedAt,
});

export const transformOut = (t: TransformDoc): JsonObject => ({
  id: t.id, name: t.name, description: t.description, transformType: t.transformType, code: t.code, version: t.version, createdAt: t.createdAt, updatedAt: t.updatedAt,
});

export const schemaOut = (s: SchemaDoc): JsonObject => ({
  id: s.id, name: s.name, description: s.description, jsonSchema: s.jsonSchema, version: s.version, createdAt: s.createdAt, updatedAt: s.updatedAt,
});

/** The payload as received: parsed JSON when it is JSON, else the text (or base64); null when transient or purged. */
const payloadOf = (e: InboundEventDoc): JsonValue => {
  if (e.body === null) return null;
  if (e.bodyEncoding === 'utf8') {
    try {
      return JSON.parse(e.body) as JsonValue;
    } catch {
      return e.body;
    }
  }
  return e.body;
};

export const inboundEventOut = (e: InboundEventDoc): JsonObject => ({
  id: e.id, sourceId: e.sourceId, status: e.status, eventType: e.eventType, receivedAt: e.receivedAt, contentType: e.contentType, headers: e.headers,
  payload: payloadOf(e), bodyEncoding: e.bodyEncoding, transient: e.transient, payloadPurged: e.payloadPurged, payloadHash: e.payloadHash,
  ipAddress: e.ipAddress, signatureValid: e.signatureValid, dedupKey: e.dedupKey, rejection: e.rejection, deliveryIds: e.deliveryIds,
  skippedRoutes: e.skipped as unknown as JsonValue, routedAt: e.routedAt, replays: e.replays,
});

export const inboundDeliveryOut = (d: InboundDeliveryDoc): JsonObject => ({
  id: d.id, eventId: d.inboundEventId, routeId: d.routeId, sourceId: d.sourceId, destinationId: d.destinationId, destinationIds: d.destinationIds,
  status: d.status, attempts: d.attempts, maxAttemptsPerDestination: d.maxAttemptsPerDestination, lastAttemptAt: d.lastAttemptAt,
  nextAttemptAt: d.nextAttemptAt, lastResponseStatus: d.lastResponseStatus, lastError: d.lastError, deliveredAt: d.deliveredAt,
  exhaustedAt: d.exhaustedAt, exhaustedReason: d.exhaustedReason, createdAt: d.createdAt,
});

export const inboundAttemptOut = (a: InboundAttemptDoc): JsonObject => ({
  id: a.id, deliveryId: a.deliveryId, destinationId: a.destinationId, attemptNumber: a.attemptNumber, responseStatus: a.responseStatus,
  responseBody: a.responseBody, error: a.error, latencyMs: a.latencyMs, attemptedAt: a.attemptedAt,
});

const str: Schema = { type: 'string' };
const nullableStr: Schema = { type: ['string', 'null'] };
const bool: Schema = { type: 'boolean' };
const int: Schema = { type: 'integer' };
const time: Schema = { type: 'string', format: 'date-time' };
const object = (properties: Record<string, Schema>): Schema => ({ type: 'object', required: Object.keys(properties), properties });

/** Response schemas for /openapi.json: the fields every answer has (the rest is in the shapes above). */
export const inboundSchemas = {
  Source: object({ id: str, name: str, slug: str, provider: str, ingestUrl: str, isActive: bool, verifySignature: bool, dedupStrategy: str, transientMode: bool, createdAt: time }),
  Destination: object({ id: str, name: str, type: { enum: ['http'] }, url: str, method: str, authType: str, hasAuth: bool, timeoutMs: int, retryCount: int, isActive: bool, createdAt: time }),
  Route: object({ id: str, name: str, sourceId: str, destinationId: str, filterId: nullableStr, transformId: nullableStr, schemaId: nullableStr, priority: int, isActive: bool, createdAt: time }),
  Filter: object({ id: str, name: str, conditions: { type: 'array' }, logic: { enum: ['and', 'or'] }, version: int }),
  Transform: object({ id: str, name: str, transformType: { enum: ['jsonata', 'mapping'] }, code: str, version: int }),
  Schema: object({ id: str, name: str, jsonSchema: { type: 'object' }, version: int }),
  InboundEvent: object({ id: str, sourceId: str, status: { enum: ['received', 'routed', 'rejected'] }, receivedAt: time, deliveryIds: { type: 'array', items: str } }),
  InboundDelivery: object({ id: str, eventId: str, routeId: str, destinationId: str, status: { enum: ['pending', 'success', 'failed', 'exhausted', 'discarded'] }, attempts: int, createdAt: time }),
  InboundAttempt: object({ id: str, deliveryId: str, attemptNumber: int, responseStatus: { type: ['integer', 'null'] }, error: nullableStr, attemptedAt: time }),
} satisfies Record<string, Schema>;
