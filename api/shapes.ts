import type { JsonObject, JsonValue } from '../domain/json';
import type { ApplicationDoc, AttemptDoc, EndpointDoc, EventTypeDoc, MessageDoc, OutboundDoc } from '../projections/readModels';
import type { Schema } from './route';

// Read-model documents → API.md's resources (the `XOut` shapes), and their schemas for /openapi.json.

export const applicationOut = (a: ApplicationDoc): JsonObject => ({
  id: a.id, name: a.name, uid: a.uid, metadata: a.metadata, createdAt: a.createdAt, updatedAt: a.updatedAt,
});

export const eventTypeOut = (t: EventTypeDoc): JsonObject => ({
  name: t.name, displayName: t.displayName, description: t.description, category: t.category, schema: t.schema,
  archived: t.archived, createdAt: t.createdAt, updatedAt: t.updatedAt,
});

/** Secrets (sealed) stay inside: an endpoint leaves the server without them. */
export const endpointOut = (e: EndpointDoc): JsonObject => ({
  id: e.id, applicationId: e.applicationId, url: e.url, description: e.description, eventTypes: e.eventTypes, headers: e.headers,
  rateLimitPerSecond: e.rateLimitPerSecond, timeoutSeconds: e.timeoutSeconds, retryDelays: e.retryDelays, disabled: e.disabled,
  disabledReason: e.disabledReason, circuit: e.circuit, metadata: e.metadata, createdAt: e.createdAt, updatedAt: e.updatedAt,
});

export const outboundOut = (o: OutboundDoc): JsonObject => ({
  id: o.id, messageId: o.messageId, endpointId: o.endpointId, endpointUrl: o.endpointUrl, eventType: o.eventType, status: o.status,
  attempts: o.attempts, maxAttempts: o.maxAttempts, lastAttemptAt: o.lastAttemptAt, nextAttemptAt: o.nextAttemptAt,
  lastResponseStatus: o.lastResponseStatus, lastError: o.lastError, deliveredAt: o.deliveredAt, createdAt: o.createdAt,
});

export const attemptOut = (a: AttemptDoc): JsonObject => ({
  id: a.id, outboundMessageId: a.outboundMessageId, attemptNumber: a.attemptNumber, responseStatus: a.responseStatus,
  responseBody: a.responseBody, error: a.error, latencyMs: a.latencyMs, attemptedAt: a.attemptedAt,
});

export const messageOut = (m: MessageDoc, outbound: readonly { id: string; endpointId: string; status: string }[]): JsonObject => ({
  id: m.id, eventType: m.eventType, payload: m.payload, eventId: m.eventId, timestamp: m.timestamp,
  outbound: outbound.map((o) => ({ id: o.id, endpointId: o.endpointId, status: o.status })),
});

const str: Schema = { type: 'string' };
const nullableStr: Schema = { type: ['string', 'null'] };
const time: Schema = { type: 'string', format: 'date-time' };
const nullableTime: Schema = { type: ['string', 'null'], format: 'date-time' };
const int: Schema = { type: 'integer' };
const nullableInt: Schema = { type: ['integer', 'null'] };
const obj: Schema = { type: 'object' };
const anyJson: Schema = {};

const object = (properties: Record<string, Schema>): Schema => ({ type: 'object', required: Object.keys(properties), properties });

export const schemas = {
  Application: object({ id: str, name: str, uid: nullableStr, metadata: obj, createdAt: time, updatedAt: time }),
  EventType: object({
    name: str, displayName: nullableStr, description: nullableStr, category: nullableStr, schema: { type: ['object', 'null'] },
    archived: { type: 'boolean' }, createdAt: time, updatedAt: time,
  }),
  Endpoint: object({
    id: str, applicationId: str, url: str, description: str, eventTypes: { type: 'array', items: str }, headers: obj,
    rateLimitPerSecond: nullableInt, timeoutSeconds: int, retryDelays: { type: ['array', 'null'], items: int }, disabled: { type: 'boolean' },
    disabledReason: nullableStr, circuit: { enum: ['closed', 'open', 'half_open'] }, metadata: obj, createdAt: time, updatedAt: time,
  }),
  OutboundMessage: object({
    id: str, messageId: str, endpointId: str, endpointUrl: str, eventType: str, status: { enum: ['pending', 'success', 'failed', 'exhausted'] },
    attempts: int, maxAttempts: int, lastAttemptAt: nullableTime, nextAttemptAt: nullableTime, lastResponseStatus: nullableInt,
    lastError: nullableStr, deliveredAt: nullableTime, createdAt: time,
  }),
  MessageAttempt: object({
    id: str, outboundMessageId: str, attemptNumber: int, responseStatus: nullableInt, responseBody: str, error: nullableStr, latencyMs: { type: 'number' }, attemptedAt: time,
  }),
  Message: object({
    id: str, eventType: str, payload: anyJson, eventId: nullableStr, timestamp: time,
    outbound: { type: 'array', items: object({ id: str, endpointId: str, status: str }) },
  }),
} satisfies Record<string, Schema>;

export const withSecret = (endpoint: Schema): Schema => ({
  ...endpoint,
  required: [...((endpoint.required as string[] | undefined) ?? []), 'secret'],
  properties: { ...(endpoint.properties as JsonObject), secret: { type: 'string', pattern: '^whsec_' } },
});

export type { JsonValue };
