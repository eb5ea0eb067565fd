import { validationError } from '../../domain/errors';
import type { JsonObject } from '../../domain/json';
import type { EndpointDoc } from '../../projections/readModels';
import type { EndpointIn, EndpointPatch } from '../commands/endpoints';
import type { Schema } from '../route';
import type { EndpointTotals } from './stats';

// Endpoints on the compat surface ⇄ ours.

export type HeaderList = { name: string; value: string }[];

export type CompatEndpointBody = {
  applicationId?: string;
  url?: string;
  description?: string | null;
  headers?: HeaderList | Record<string, string> | null;
  timeoutSeconds?: number;
  rateLimitPerSecond?: number | null;
  retryDelays?: number[] | null;
  isDisabled?: boolean;
  disabledReason?: string | null;
  // Accepted and not modelled (see endpointOut):
  successStatusCodes?: unknown;
  backoffType?: unknown;
  circuitFailureThreshold?: unknown;
  circuitSuccessThreshold?: unknown;
  circuitCooldownSeconds?: unknown;
};

/** Headers arrive as `[{name, value}]` or as a `{name: value}` record; ours are a record. */
export const headersIn = (raw: CompatEndpointBody['headers']): Record<string, string> | undefined => {
  if (raw === undefined) return undefined;
  if (raw === null) return {};
  if (!Array.isArray(raw)) return { ...raw };
  const out: Record<string, string> = {};
  for (const [i, h] of raw.entries()) {
    if (typeof h?.name !== 'string' || typeof h.value !== 'string') throw validationError(`headers[${i}]`, 'type', `headers[${i}] must be {name, value} with two strings.`);
    out[h.name] = h.value;
  }
  return out;
};

export const headersOut = (headers: Readonly<Record<string, string>>): HeaderList => Object.entries(headers).map(([name, value]) => ({ name, value }));

const settingsIn = (body: CompatEndpointBody): EndpointPatch => {
  const out: EndpointPatch = {};
  if (body.url !== undefined) out.url = body.url;
  if (body.description !== undefined) out.description = body.description ?? '';
  const headers = headersIn(body.headers);
  if (headers !== undefined) out.headers = headers;
  if (body.timeoutSeconds !== undefined) out.timeoutSeconds = body.timeoutSeconds;
  if (body.rateLimitPerSecond !== undefined) out.rateLimitPerSecond = body.rateLimitPerSecond;
  if (body.retryDelays !== undefined) out.retryDelays = body.retryDelays;
  return out;
};

/** Creation: no event-type filter (every type) until subscriptions are added. */
export const endpointCreateIn = (body: CompatEndpointBody): { applicationId: string; input: EndpointIn } => {
  if (body.applicationId === undefined) throw validationError('applicationId', 'required', 'applicationId is required.');
  if (body.url === undefined) throw validationError('url', 'required', 'url is required.');
  return { applicationId: body.applicationId, input: { ...settingsIn(body), url: body.url, ...(body.isDisabled !== undefined ? { disabled: body.isDisabled } : {}) } };
};

export const endpointPatchIn = (body: CompatEndpointBody): { patch: EndpointPatch; disable: { disabled: boolean; reason: string | null } | null } => ({
  patch: settingsIn(body),
  disable: body.isDisabled === undefined ? null : { disabled: body.isDisabled, reason: body.disabledReason ?? null },
});

/** `whsec_` and the first four characters of the key, then an ellipsis: enough to tell secrets apart. */
export const secretPrefixOf = (secret: string): string => `${secret.slice(0, 'whsec_'.length + 4)}…`;

/** The dispatcher's circuit breaker (per deployment, not per endpoint): 5 failures open it, one probe closes it, 30 s cooldown. */
export const CIRCUIT_DEFAULTS = { circuitFailureThreshold: 5, circuitSuccessThreshold: 1, circuitCooldownSeconds: 30 } as const;

export type EndpointExtras = Readonly<{ secretPrefix: string; totals: EndpointTotals; subscriptionCount?: number }>;

/**
 * Our endpoint in the compat shape. Answered with documented defaults, not modelled: successStatusCodes null (any
 * 2xx succeeds), backoffType "exponential" (the schedule), the circuit thresholds of the deployment, circuitOpenedAt
 * null and circuitFailureCount 0. isVerified is derived: the endpoint has answered a signed request with a 2xx
 * (verifiedAt: the last such answer). secretVersion counts the current secret and the rotated ones still accepted.
 */
export const endpointOut = (e: EndpointDoc, x: EndpointExtras): JsonObject => ({
  id: e.id,
  applicationId: e.applicationId,
  url: e.url,
  description: e.description,
  secretPrefix: x.secretPrefix,
  hasSecret: true,
  secretVersion: 1 + e.previousSecrets.length,
  headers: headersOut(e.headers),
  timeoutSeconds: e.timeoutSeconds,
  isDisabled: e.disabled,
  disabledAt: e.disabled ? e.updatedAt : null,
  disabledReason: e.disabledReason,
  rateLimitPerSecond: e.rateLimitPerSecond,
  retryDelays: e.retryDelays,
  successStatusCodes: null,
  backoffType: 'exponential',
  circuitState: e.circuit,
  circuitOpenedAt: null,
  circuitFailureCount: 0,
  ...CIRCUIT_DEFAULTS,
  totalMessages: x.totals.totalMessages,
  totalSuccesses: x.totals.totalSuccesses,
  totalFailures: x.totals.totalFailures,
  avgResponseTimeMs: x.totals.avgResponseTimeMs,
  lastSuccessAt: x.totals.lastSuccessAt,
  lastFailureAt: x.totals.lastFailureAt,
  lastResponseStatus: x.totals.lastResponseStatus,
  isVerified: x.totals.lastSuccessAt !== null,
  verifiedAt: x.totals.lastSuccessAt,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
  ...(x.subscriptionCount !== undefined ? { subscriptionCount: x.subscriptionCount } : {}),
});

const str: Schema = { type: 'string' };
const nStr: Schema = { type: ['string', 'null'] };
const int: Schema = { type: 'integer' };
const nInt: Schema = { type: ['integer', 'null'] };
const nNum: Schema = { type: ['number', 'null'] };
const bool: Schema = { type: 'boolean' };

const ENDPOINT_FIELDS: Record<string, Schema> = {
  id: str, applicationId: str, url: str, description: str, secretPrefix: str, hasSecret: bool, secretVersion: int,
  headers: { type: 'array', items: { type: 'object', required: ['name', 'value'], properties: { name: str, value: str } } },
  timeoutSeconds: int, isDisabled: bool, disabledAt: nStr, disabledReason: nStr, rateLimitPerSecond: nInt,
  retryDelays: { type: ['array', 'null'], items: int }, successStatusCodes: { type: ['array', 'null'], items: int }, backoffType: str,
  circuitState: { enum: ['closed', 'open', 'half_open'] }, circuitOpenedAt: nStr, circuitFailureCount: int, circuitFailureThreshold: int,
  circuitSuccessThreshold: int, circuitCooldownSeconds: int, totalMessages: int, totalSuccesses: int, totalFailures: int,
  avgResponseTimeMs: nNum, lastSuccessAt: nStr, lastFailureAt: nStr, lastResponseStatus: nInt, isVerified: bool, verifiedAt: nStr,
  createdAt: str, updatedAt: str,
};

export const endpointSchema: Schema = { type: 'object', required: Object.keys(ENDPOINT_FIELDS), properties: ENDPOINT_FIELDS };

export const endpointListItemSchema: Schema = {
  type: 'object',
  required: [...Object.keys(ENDPOINT_FIELDS), 'subscriptionCount'],
  properties: { ...ENDPOINT_FIELDS, subscriptionCount: int },
};

export const endpointWithSecretSchema: Schema = {
  type: 'object',
  required: [...Object.keys(ENDPOINT_FIELDS), 'secret'],
  properties: { ...ENDPOINT_FIELDS, secret: { type: 'string', pattern: '^whsec_' } },
};

const headerListOrRecord: Schema = {
  oneOf: [
    { type: 'array', items: { type: 'object', required: ['name', 'value'], properties: { name: str, value: str } } },
    { type: 'object', additionalProperties: str },
    { type: 'null' },
  ],
};

export const endpointBodySchema: Schema = {
  type: 'object',
  properties: {
    applicationId: { type: 'string', minLength: 1 },
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    description: nStr,
    headers: headerListOrRecord,
    timeoutSeconds: { type: 'integer' },
    rateLimitPerSecond: nInt,
    retryDelays: { type: ['array', 'null'], items: { type: 'integer' } },
    isDisabled: bool,
    disabledReason: nStr,
  },
};
