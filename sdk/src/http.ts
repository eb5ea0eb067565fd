// Transport: builds the request from the route table, retries what is safe to retry, maps errors.
import { randomHex } from './encoding.js';
import { apiErrorFor, HookbaseApiError, HookbaseError, NetworkError, TimeoutError } from './errors.js';
import { routes, type OperationId, type PathParams } from './routes.js';

/** Query parameters: strings, numbers, booleans and Dates (sent as ISO 8601); undefined and null are left out. */
export type Query = object;

export type RequestParams<Op extends OperationId> = {
  query?: Query | undefined;
  body?: unknown;
} & (keyof PathParams<Op> extends never ? { path?: undefined } : { path: PathParams<Op> });

export interface TransportOptions {
  apiKey: string;
  baseUrl: string;
  timeout: number;
  retries: number;
  fetch: typeof fetch;
}

const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 8_000;
/** A longer Retry-After is not waited for: the error goes to the caller with `retryAfter`. */
const MAX_RETRY_AFTER_MS = 60_000;

type Outcome = { kind: 'ok'; value: unknown } | { kind: 'retry'; error: HookbaseError; delayMs: number | undefined };

export class Transport {
  constructor(private readonly options: TransportOptions) {}

  async request<T, Op extends OperationId = OperationId>(op: Op, params: RequestParams<Op>): Promise<T> {
    const route = routes[op];
    const url = this.buildUrl(route.path, params.path, params.query);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.options.apiKey}`,
      Accept: 'application/json',
    };
    // a write always carries a JSON body, `{}` when the operation takes no input
    const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : JSON.stringify(params.body ?? {});
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    // one key for every attempt of this call, so the server applies a retried POST once
    if (route.method === 'POST') headers['Idempotency-Key'] = `hb_${randomHex(16)}`;
    const init: RequestInit = { method: route.method, headers, body };

    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(url, init);
      if (outcome.kind === 'ok') return outcome.value as T;
      if (attempt >= this.options.retries) throw outcome.error;
      await sleep(outcome.delayMs ?? backoff(attempt));
    }
  }

  private buildUrl(template: string, path: Record<string, string> | undefined, query: Query | undefined): string {
    const pathname = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = path?.[name];
      if (typeof value !== 'string' || value === '') throw new HookbaseError(`${name} is required`);
      return encodeURIComponent(value);
    });
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {}) as [string, unknown][]) {
      if (value instanceof Date) search.set(key, value.toISOString());
      else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        search.set(key, String(value));
      }
    }
    const qs = search.toString();
    return `${this.options.baseUrl}${pathname}${qs ? `?${qs}` : ''}`;
  }

  /** One HTTP exchange: a value, an error worth retrying (with the server's delay), or a thrown final error. */
  private async attempt(url: string, init: RequestInit): Promise<Outcome> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeout);
    try {
      const response = await this.options.fetch(url, { ...init, signal: controller.signal });
      const text = await response.text();
      if (response.ok) {
        return { kind: 'ok', value: response.status === 204 || text === '' ? undefined : JSON.parse(text) };
      }
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const error = toApiError(response, text, retryAfterMs);
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable || (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS)) throw error;
      return { kind: 'retry', error, delayMs: retryAfterMs };
    } catch (cause) {
      if (cause instanceof HookbaseApiError) throw cause;
      if (timedOut) {
        const error = new TimeoutError(`No answer within ${this.options.timeout} ms (${url})`, { cause });
        return { kind: 'retry', error, delayMs: undefined };
      }
      if (cause instanceof SyntaxError) {
        throw new HookbaseError(`The server answered with invalid JSON (${url})`, { cause });
      }
      const error = new NetworkError(`Request to ${url} failed: ${describe(cause)}`, { cause });
      return { kind: 'retry', error, delayMs: undefined };
    } finally {
      clearTimeout(timer);
    }
  }
}

function toApiError(response: Response, text: string, retryAfterMs: number | undefined): HookbaseApiError {
  const body = parseErrorBody(text);
  const requestId = response.headers.get('x-request-id') ?? body?.requestId;
  return apiErrorFor(
    {
      status: response.status,
      code: body?.error?.code ?? `http_${response.status}`,
      message: body?.error?.message ?? `HTTP ${response.status} ${response.statusText}`.trim(),
      requestId: requestId ?? undefined,
      details: Array.isArray(body?.error?.details) ? body.error.details : [],
    },
    retryAfterMs === undefined ? undefined : retryAfterMs / 1000,
  );
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
  requestId?: string;
}

function parseErrorBody(text: string): ErrorBody | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as ErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/** `Retry-After` is delta-seconds or an HTTP date; returns milliseconds. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Exponential with full jitter in the upper half: 100–200 ms, 200–400 ms, ... capped. */
function backoff(attempt: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : '';
    return `${cause.message}${inner}`;
  }
  return String(cause);
}
