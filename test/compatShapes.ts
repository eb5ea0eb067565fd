// The documented fields of every /api resource, written from COMPAT.md (not from our code), and the checks that an
// answer has exactly those keys with those types.
import { expect } from 'vitest';
import type { Res } from './apiAssertions';

type Kind = 'string' | 'string?' | 'integer' | 'integer?' | 'number?' | 'boolean' | 'object' | 'object?' | 'array' | 'array?' | 'iso' | 'iso?' | 'any';

export type FieldTable = Readonly<Record<string, Kind>>;

export const FIELDS = {
  application: {
    id: 'string', organizationId: 'string', externalId: 'string?', uid: 'string?', name: 'string', metadata: 'object', isDisabled: 'boolean',
    disabledAt: 'iso?', disabledReason: 'string?', rateLimitPerSecond: 'integer?', rateLimitPerMinute: 'integer?', rateLimitPerHour: 'integer?',
    totalEndpoints: 'integer', totalMessagesSent: 'integer', totalMessagesFailed: 'integer', lastEventAt: 'iso?', createdAt: 'iso', updatedAt: 'iso',
  },
  eventType: {
    id: 'string', name: 'string', displayName: 'string?', description: 'string?', category: 'string?', schema: 'string?', examplePayload: 'string?',
    documentationUrl: 'string?', isEnabled: 'boolean', isArchived: 'boolean', isDeprecated: 'boolean', deprecatedAt: 'iso?', deprecatedMessage: 'string?',
    schemaVersion: 'any', subscriptionCount: 'integer', createdAt: 'iso', updatedAt: 'iso',
  },
  endpoint: {
    id: 'string', applicationId: 'string', url: 'string', description: 'string', secretPrefix: 'string', hasSecret: 'boolean', secretVersion: 'integer',
    headers: 'array', timeoutSeconds: 'integer', isDisabled: 'boolean', disabledAt: 'iso?', disabledReason: 'string?', rateLimitPerSecond: 'integer?',
    retryDelays: 'array?', successStatusCodes: 'array?', backoffType: 'string', circuitState: 'string', circuitOpenedAt: 'iso?',
    circuitFailureCount: 'integer', circuitFailureThreshold: 'integer', circuitSuccessThreshold: 'integer', circuitCooldownSeconds: 'integer',
    totalMessages: 'integer', totalSuccesses: 'integer', totalFailures: 'integer', avgResponseTimeMs: 'number?', lastSuccessAt: 'iso?',
    lastFailureAt: 'iso?', lastResponseStatus: 'integer?', isVerified: 'boolean', verifiedAt: 'iso?', createdAt: 'iso', updatedAt: 'iso',
  },
  portalSubscription: { id: 'string', endpointId: 'string', eventTypeId: 'string', eventTypeName: 'string', isEnabled: 'boolean', createdAt: 'iso', updatedAt: 'iso' },
  subscription: {
    id: 'string', endpointId: 'string', eventTypeId: 'string', eventTypeName: 'string', isEnabled: 'boolean', createdAt: 'iso', updatedAt: 'iso',
    filterExpression: 'string?', labelFilters: 'object?', labelFilterMode: 'string?', transformId: 'any', createdBy: 'any', endpointUrl: 'string?',
    eventTypeDisplayName: 'string?', applicationId: 'string', applicationName: 'string?', endpoint: 'object?', eventType: 'object', application: 'object',
  },
  outbound: {
    id: 'string', messageId: 'string', eventId: 'string?', applicationId: 'string', endpointId: 'string', endpointUrl: 'string', eventType: 'string',
    status: 'string', attempts: 'integer', maxAttempts: 'integer', lastAttemptAt: 'iso?', nextAttemptAt: 'iso?', lastResponseStatus: 'integer?',
    lastResponseBody: 'string?', lastError: 'string?', deliveredAt: 'iso?', createdAt: 'iso', updatedAt: 'iso',
    applicationName: 'string?', lastErrorMessage: 'string?', completedAt: 'iso?',
  },
  attempt: {
    id: 'string', outboundMessageId: 'string', attemptNumber: 'integer', responseStatus: 'integer?', responseBody: 'string?', responseHeaders: 'object?',
    error: 'string?', latencyMs: 'number?', attemptedAt: 'iso', status: 'string', responseTimeMs: 'number?', errorMessage: 'string?', createdAt: 'iso',
  },
  portalToken: {
    id: 'string', applicationId: 'string', tokenPrefix: 'string', name: 'string?', scopes: 'array', expiresAt: 'iso', createdAt: 'iso',
    isExpired: 'boolean', isRevoked: 'boolean',
  },
  sendEvent: { eventId: 'string', messagesQueued: 'integer', endpoints: 'array' },
  replay: { originalMessageId: 'string', newMessageId: 'string', status: 'string' },
  summary: { pending: 'integer', processing: 'integer', success: 'integer', failed: 'integer', exhausted: 'integer', dlq: 'integer', total: 'integer' },
  rotated: { secret: 'string', previousSecretExpiresAt: 'iso', secretVersion: 'integer' },
  testResult: { success: 'boolean', testEvent: 'object', delivery: 'object', signature: 'object' },
  verify: { verified: 'boolean', error: 'string?' },
  pagination: { hasMore: 'boolean', nextCursor: 'string?' },
  portalApplication: { id: 'string', name: 'string', organizationId: 'string' },
  portalEndpoint: {
    id: 'string', url: 'string', description: 'string', isDisabled: 'boolean', circuitState: 'string', totalMessages: 'integer', totalSuccesses: 'integer',
    totalFailures: 'integer', isVerified: 'boolean', verifiedAt: 'iso?', createdAt: 'iso', updatedAt: 'iso',
  },
  portalMessage: { id: 'string', eventType: 'string', endpointId: 'string', endpointUrl: 'string', status: 'string', attempts: 'integer', lastAttemptAt: 'iso?', nextAttemptAt: 'iso?', createdAt: 'iso' },
  error: { error: 'string', message: 'string', code: 'string', details: 'object?', requestId: 'string' },
} as const satisfies Record<string, FieldTable>;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const fits = (kind: Kind, value: unknown): boolean => {
  const nullable = kind.endsWith('?');
  if (value === null) return nullable || kind === 'any';
  switch (kind.replace('?', '')) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'iso':
      return typeof value === 'string' && ISO.test(value) && !Number.isNaN(Date.parse(value));
    default:
      return value !== undefined;
  }
};

/** Exactly the documented keys (plus `extra`), each of its documented type. */
export const expectShape = (value: unknown, table: FieldTable, extra: FieldTable = {}, where = ''): Record<string, unknown> => {
  expect(typeof value === 'object' && value !== null && !Array.isArray(value), `${where} is an object: ${JSON.stringify(value)}`).toBe(true);
  const obj = value as Record<string, unknown>;
  const all = { ...table, ...extra };
  expect(Object.keys(obj).sort(), where).toEqual(Object.keys(all).sort());
  for (const [key, kind] of Object.entries(all)) expect(fits(kind, obj[key]), `${where}.${key} should be ${kind}, is ${JSON.stringify(obj[key])}`).toBe(true);
  return obj;
};

/** `{data: {...}}` with the resource's fields. */
export const expectOne = <T = Record<string, unknown>>(res: Res, status: number, table: FieldTable, extra: FieldTable = {}): T => {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('x-request-id')).toMatch(/^req_/);
  expect(Object.keys(res.body as object)).toEqual(['data']);
  return expectShape((res.body as { data: unknown }).data, table, extra, 'data') as T;
};

/** `{data: [...], pagination: {hasMore, nextCursor}}`, every item with the resource's fields. */
export const expectList = <T = Record<string, unknown>>(res: Res, table: FieldTable, extra: FieldTable = {}): { data: T[]; pagination: { hasMore: boolean; nextCursor: string | null } } => {
  expect(res.status, res.text).toBe(200);
  const body = res.body as { data: unknown[]; pagination: unknown };
  expect(Object.keys(body).sort()).toEqual(['data', 'pagination']);
  expectShape(body.pagination, FIELDS.pagination, {}, 'pagination');
  body.data.forEach((item, i) => expectShape(item, table, extra, `data[${i}]`));
  return body as { data: T[]; pagination: { hasMore: boolean; nextCursor: string | null } };
};

export type CompatError = { error: string; message: string; code: string; details: { fieldErrors: Record<string, string[]> } | null; validationErrors?: Record<string, string[]>; requestId: string };

/**
 * The hosted service's error body: `error` is the message; for 400/422, `details.fieldErrors` (naming `field` when
 * given) and the same map in `validationErrors`; any other status has `details: null` and no validationErrors.
 */
export const expectCompatError = (res: Res, status: number, field?: string): CompatError => {
  expect(res.status, res.text).toBe(status);
  const validation = status === 400 || status === 422;
  const body = expectShape(res.body, FIELDS.error, validation ? { validationErrors: 'object' } : {}, 'error body') as unknown as CompatError;
  expect(body.error).toBe(body.message);
  expect(body.message.length).toBeGreaterThan(0);
  expect(body.requestId).toBe(res.headers.get('x-request-id'));
  if (validation) {
    expect(body.details).toEqual({ fieldErrors: body.validationErrors });
    if (field !== undefined) {
      expect(body.validationErrors?.[field], JSON.stringify(body)).toEqual(expect.arrayContaining([expect.any(String)]));
    }
  } else {
    expect(body.details).toBeNull();
  }
  return body;
};

/** The values at a dotted path; `x[]` maps over the list x (undefined when it is empty or absent). */
export const valuesAt = (value: unknown, path: string): unknown[] => {
  let current: unknown[] = [value];
  for (const part of path.split('.')) {
    const list = part.endsWith('[]');
    const key = list ? part.slice(0, -2) : part;
    current = current.flatMap((v) => {
      const next = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
      if (!list) return [next];
      return Array.isArray(next) && next.length > 0 ? next : [undefined];
    });
  }
  return current;
};

/** The dotted paths a client reads that an answer lacks. */
export const missingPaths = (body: unknown, reads: readonly string[]): string[] => reads.filter((path) => valuesAt(body, path).some((v) => v === undefined));
