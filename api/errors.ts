import type { Context, Next } from 'koa';
import { DomainError } from '../domain/errors';
import type { DomainErrorKind, ErrorDetail } from '../domain/errors';

/** An error answered with a given HTTP status and API.md's error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  validation: 422,
  conflict: 409,
  not_found: 404,
  forbidden: 403,
  bad_request: 400,
};

export const errorBody = (code: string, message: string, details: readonly ErrorDetail[], requestId: string) => ({
  error: { code, message, details },
  requestId,
});

/**
 * COMPAT.md's error body, for the cloud-compatible surfaces (/portal and /api): `error` is the message string. A
 * validation failure (400/422) gives `details: {fieldErrors}` (empty when no field is to blame, e.g. malformed JSON)
 * and the same map in `validationErrors` (older clients); any other error has `details: null`.
 */
export const cloudErrorBody = (status: number, code: string, message: string, details: readonly ErrorDetail[], requestId: string) => {
  const base = { error: message, message, code, requestId };
  if (status !== 400 && status !== 422) return { ...base, details: null };
  // A Map, then own properties: a field named `__proto__` or `constructor` must be a key, not the prototype (it was a 500).
  const byField = new Map<string, string[]>();
  for (const d of details) byField.set(d.field, [...(byField.get(d.field) ?? []), d.message]);
  const fieldErrors: Record<string, string[]> = Object.fromEntries(byField);
  return { ...base, details: { fieldErrors }, validationErrors: fieldErrors };
};

export const usesCloudErrors = (path: string): boolean => path.startsWith('/portal/') || path.startsWith('/api/');

/** First in the chain: every failure leaves as API.md's error body, with the request id. */
export const errorMiddleware = (log: (line: string) => void) => async (ctx: Context, next: Next): Promise<void> => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new HttpError(404, 'route_not_found', `No route for ${ctx.method} ${ctx.path}.`);
    }
  } catch (error) {
    const requestId = String(ctx.state.requestId ?? '');
    const cloud = usesCloudErrors(ctx.path);
    const body = (status: number, code: string, message: string, details: readonly ErrorDetail[]) =>
      cloud ? cloudErrorBody(status, code, message, details, requestId) : errorBody(code, message, details, requestId);
    if (error instanceof HttpError) {
      ctx.status = error.status;
      for (const [k, v] of Object.entries(error.headers)) ctx.set(k, v);
      ctx.body = body(error.status, error.code, error.message, error.details);
    } else if (error instanceof DomainError) {
      ctx.status = STATUS_OF_KIND[error.kind];
      ctx.body = body(STATUS_OF_KIND[error.kind], error.code, error.message, error.details);
    } else {
      // Never echo internals (they could hold secrets); the request id ties the log line to the answer.
      const message = error instanceof Error ? error.message : String(error);
      log(`error ${requestId} ${ctx.method} ${ctx.path}: ${message}`);
      ctx.status = 500;
      ctx.body = body(500, 'internal_error', 'Something went wrong on our side; retry, and report the request id if it persists.', []);
    }
  }
};
