import { validationError } from '../../domain/errors';
import type { JsonObject, JsonValue } from '../../domain/json';
import type { AttemptDoc, OutboundDoc } from '../../projections/readModels';
import type { MessageIn } from '../commands/messages';
import type { Schema } from '../route';

// Sending and outbound messages on the compat surface ⇄ ours. Their "outbound message" is our delivery (out_…).

export type SendEventBody = {
  applicationId?: string;
  eventType?: string;
  payload?: JsonValue;
  eventId?: string | null;
  endpointIds?: string[] | null;
  /** The MCP server's one target (its src/lib/api.ts sendOutboundEvent): only this endpoint. */
  endpointId?: string | null;
  /** Matched against subscriptions' label filters at send time; not kept with the message. */
  labels?: Record<string, string> | null;
  metadata?: JsonObject | null;
  idempotencyKey?: string | null;
};

/**
 * A message belongs to one application here, so applicationId is required (422 naming it). A body
 * `idempotencyKey` without an `eventId` is taken as the eventId: the same key sends once, forever. `metadata` is
 * accepted and not kept.
 */
export const sendEventIn = (body: SendEventBody, endpointApplication: string | null): { application: string; input: MessageIn } => {
  const application = body.applicationId === undefined || body.applicationId === '' ? endpointApplication : body.applicationId;
  if (application === null) {
    throw validationError('applicationId', 'required', 'applicationId (or endpointId) is required: a message belongs to one application on this server.');
  }
  if (body.eventType === undefined) throw validationError('eventType', 'required', 'eventType is required.');
  if (body.payload === undefined) throw validationError('payload', 'required', 'payload is required.');
  const eventId = body.eventId ?? body.idempotencyKey ?? null;
  const targets = [...(body.endpointIds ?? []), ...(body.endpointId ? [body.endpointId] : [])];
  const targeted = body.endpointIds !== undefined && body.endpointIds !== null || Boolean(body.endpointId);
  return {
    application,
    input: { eventType: body.eventType, payload: body.payload, eventId, ...(targeted ? { endpointIds: targets } : {}), ...(body.labels ? { labels: body.labels } : {}) },
  };
};

export const sendEventOut = (messageId: string, endpoints: readonly { id: string; url: string }[]): JsonObject => ({
  eventId: messageId,
  messagesQueued: endpoints.length,
  endpoints: endpoints.map((e) => ({ id: e.id, url: e.url })),
});

export type CompatStatus = 'pending' | 'processing' | 'success' | 'failed' | 'exhausted' | 'dlq';

/** Our statuses for theirs: `dlq` is `exhausted`; `processing` is none of ours (an attempt in flight stays `pending`). */
export const statusIn = (status: CompatStatus | undefined): string | null | undefined => {
  if (status === undefined) return undefined;
  if (status === 'dlq') return 'exhausted';
  if (status === 'processing') return null;
  return status;
};

export type OutboundExtras = Readonly<{ eventId: string | null; lastResponseBody: string | null; applicationName: string | null }>;

/** When the delivery ended: delivered, or given up (exhausted, at its last attempt); null while it may still run. */
const completedAt = (o: OutboundDoc): string | null => o.deliveredAt ?? (o.status === 'exhausted' ? o.lastAttemptAt : null);

export const outboundOut = (o: OutboundDoc, x: OutboundExtras): JsonObject => ({
  id: o.id,
  messageId: o.messageId,
  eventId: x.eventId,
  applicationId: o.applicationId,
  endpointId: o.endpointId,
  endpointUrl: o.endpointUrl,
  eventType: o.eventType,
  status: o.status,
  attempts: o.attempts,
  maxAttempts: o.maxAttempts,
  lastAttemptAt: o.lastAttemptAt,
  nextAttemptAt: o.nextAttemptAt,
  lastResponseStatus: o.lastResponseStatus,
  lastResponseBody: x.lastResponseBody,
  lastError: o.lastError,
  deliveredAt: o.deliveredAt,
  createdAt: o.createdAt,
  updatedAt: o.lastAttemptAt ?? o.createdAt,
  // The MCP server's names for the same facts (its src/tools/outbound-messages.ts list_outbound_messages).
  applicationName: x.applicationName,
  lastErrorMessage: o.lastError,
  completedAt: completedAt(o),
});

/** Response headers are not recorded by our deliveries: null. */
export const attemptOut = (a: AttemptDoc): JsonObject => ({
  id: a.id,
  outboundMessageId: a.outboundMessageId,
  attemptNumber: a.attemptNumber,
  responseStatus: a.responseStatus,
  responseBody: a.responseBody,
  responseHeaders: null,
  error: a.error,
  latencyMs: a.latencyMs,
  attemptedAt: a.attemptedAt,
  // The MCP server's names (its src/lib/api.ts OutboundAttempt, read by get_message_attempts).
  status: a.error === null ? 'success' : 'failed', // an attempt records an error exactly when it failed (AttemptFailed)
  responseTimeMs: a.latencyMs,
  errorMessage: a.error,
  createdAt: a.attemptedAt,
});

export const replayOut = (outboundId: string): JsonObject => ({ originalMessageId: outboundId, newMessageId: outboundId, status: 'pending' });

const CSV_COLUMNS = ['id', 'messageId', 'eventId', 'applicationId', 'endpointId', 'endpointUrl', 'eventType', 'status', 'attempts', 'maxAttempts', 'lastAttemptAt', 'nextAttemptAt', 'lastResponseStatus', 'lastError', 'deliveredAt', 'createdAt'] as const;

const csvCell = (value: JsonValue | undefined): string => {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** RFC 4180: a header line, then one line per row, CRLF. */
export const toCsv = (rows: readonly JsonObject[]): string =>
  [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(','))].join('\r\n') + '\r\n';

const str: Schema = { type: 'string' };
const nStr: Schema = { type: ['string', 'null'] };
const int: Schema = { type: 'integer' };
const nInt: Schema = { type: ['integer', 'null'] };

const OUTBOUND_FIELDS: Record<string, Schema> = {
  id: str, messageId: str, eventId: nStr, applicationId: str, endpointId: str, endpointUrl: str, eventType: str,
  status: { enum: ['pending', 'processing', 'success', 'failed', 'exhausted'] }, attempts: int, maxAttempts: int, lastAttemptAt: nStr,
  nextAttemptAt: nStr, lastResponseStatus: nInt, lastResponseBody: nStr, lastError: nStr, deliveredAt: nStr, createdAt: str, updatedAt: str,
  applicationName: nStr, lastErrorMessage: nStr, completedAt: nStr,
};
export const outboundSchema: Schema = { type: 'object', required: Object.keys(OUTBOUND_FIELDS), properties: OUTBOUND_FIELDS };

const ATTEMPT_FIELDS: Record<string, Schema> = {
  id: str, outboundMessageId: str, attemptNumber: int, responseStatus: nInt, responseBody: nStr, responseHeaders: { type: ['object', 'null'] },
  error: nStr, latencyMs: { type: 'number' }, attemptedAt: str,
  status: { enum: ['success', 'failed'] }, responseTimeMs: { type: 'number' }, errorMessage: nStr, createdAt: str,
};
export const attemptSchema: Schema = { type: 'object', required: Object.keys(ATTEMPT_FIELDS), properties: ATTEMPT_FIELDS };

export const sendEventSchema: Schema = {
  type: 'object',
  required: ['eventId', 'messagesQueued', 'endpoints'],
  properties: { eventId: str, messagesQueued: int, endpoints: { type: 'array', items: { type: 'object', required: ['id', 'url'], properties: { id: str, url: str } } } },
};

export const replaySchema: Schema = {
  type: 'object',
  required: ['originalMessageId', 'newMessageId', 'status'],
  properties: { originalMessageId: str, newMessageId: str, status: { const: 'pending' } },
};

export const summarySchema: Schema = {
  type: 'object',
  required: ['pending', 'processing', 'success', 'failed', 'exhausted', 'dlq', 'total'],
  properties: { pending: int, processing: int, success: int, failed: int, exhausted: int, dlq: int, total: int },
};

export const sendEventBodySchema: Schema = {
  type: 'object',
  properties: {
    applicationId: { type: 'string' },
    eventType: { type: 'string', minLength: 1, maxLength: 256 },
    payload: {},
    eventId: { type: ['string', 'null'], minLength: 1, maxLength: 256 },
    endpointIds: { type: ['array', 'null'], items: { type: 'string' } },
    endpointId: { type: ['string', 'null'], minLength: 1 },
    labels: { type: ['object', 'null'], additionalProperties: { type: 'string', maxLength: 256 }, maxProperties: 50 },
    metadata: { type: ['object', 'null'] },
    idempotencyKey: { type: ['string', 'null'], minLength: 1, maxLength: 256 },
  },
};
