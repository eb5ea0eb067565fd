// Every error the client throws is a HookbaseError; HTTP answers map to one subclass per status family.

export class HookbaseError extends Error {
  override name: string = 'HookbaseError';
}

export interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  requestId: string | undefined;
  details: unknown[];
}

/** The server answered with an error body: `{"error": {"code", "message", "details"}, "requestId"}`. */
export class HookbaseApiError extends HookbaseError {
  override name: string = 'HookbaseApiError';
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly details: unknown[];

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.details = init.details;
  }
}

/** 401: no API key, or one the server does not know. */
export class AuthenticationError extends HookbaseApiError {
  override name: string = 'AuthenticationError';
}

/** 403: the credentials are valid but not for this resource. */
export class ForbiddenError extends HookbaseApiError {
  override name: string = 'ForbiddenError';
}

/** 404 */
export class NotFoundError extends HookbaseApiError {
  override name: string = 'NotFoundError';
}

/** 409: e.g. a taken `uid` or event type name, or an `eventId` reused with another payload. */
export class ConflictError extends HookbaseApiError {
  override name: string = 'ConflictError';
}

/** 400, 413, 415 or 422: the request itself is wrong; `details` says where. */
export class ValidationError extends HookbaseApiError {
  override name: string = 'ValidationError';
}

/** 429 after the retries ran out; `retryAfter` is in seconds when the server said. */
export class RateLimitError extends HookbaseApiError {
  override name: string = 'RateLimitError';
  readonly retryAfter: number | undefined;

  constructor(init: ApiErrorInit & { retryAfter: number | undefined }) {
    super(init);
    this.retryAfter = init.retryAfter;
  }
}

/** No answer within the `timeout` option (after the retries ran out). */
export class TimeoutError extends HookbaseError {
  override name: string = 'TimeoutError';
}

/** The request never got an HTTP answer: DNS, refused connection, reset... `cause` holds the original. */
export class NetworkError extends HookbaseError {
  override name: string = 'NetworkError';
}

/** Builds the error for a non-2xx answer. */
export function apiErrorFor(init: ApiErrorInit, retryAfter: number | undefined): HookbaseApiError {
  switch (init.status) {
    case 401:
      return new AuthenticationError(init);
    case 403:
      return new ForbiddenError(init);
    case 404:
      return new NotFoundError(init);
    case 409:
      return new ConflictError(init);
    case 400:
    case 413:
    case 415:
    case 422:
      return new ValidationError(init);
    case 429:
      return new RateLimitError({ ...init, retryAfter });
    default:
      return new HookbaseApiError(init);
  }
}
