import { lookup as dnsLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { Agent } from 'undici';
import type { AttemptOutcome } from '../domain/outbound/decide';
import { classifyAddress, describeAddressClass, isBlockedHostname } from '../domain/network';
import { parseRetryAfter } from './retrySchedule';

/** At most this much of a response body is read and kept (API.md: "first 4 KiB"). */
export const RESPONSE_BODY_LIMIT = 4096;

const ALLOW_HINT = 'set HOOKBASE_ALLOW_PRIVATE_NETWORKS=true to allow private networks';

export type DeliveryRequest = Readonly<{
  url: string;
  headers: Readonly<Record<string, string>>;
  body: string;
  timeoutMs: number;
  /** POST unless said (an inbound destination names its method). */
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Aborts the attempt without an outcome (the dispatcher is stopping). */
  signal?: AbortSignal;
}>;

type Answer = Readonly<{ responseStatus: number; responseBody: string; latencyMs: number }>;

export type Succeeded = Readonly<{ kind: 'succeeded' } & Answer>;
export type Failed = Readonly<{
  kind: 'failed';
  responseStatus: number | null;
  responseBody: string;
  latencyMs: number;
  error: string;
  /** Retry-After of a 429 or 503, in seconds. */
  retryAfterSeconds: number | null;
  /** The receiver answered `webhook-delivery: abort-message`: no more retries for this delivery. */
  abortMessage: boolean;
  /** 410 Gone: the endpoint is to be disabled. */
  gone: boolean;
}>;
/** Refused before or while connecting: the address is one the dispatcher may not reach (SSRF). */
export type Blocked = Readonly<{ kind: 'blocked'; error: string; latencyMs: number }>;
/** Abandoned because the dispatcher is stopping: nothing is recorded, the delivery runs again later. */
export type Cancelled = Readonly<{ kind: 'cancelled' }>;

export type HttpAttemptResult = Succeeded | Failed | Blocked | Cancelled;

/** The domain's view of an attempt that ran (a blocked attempt is a failure that may be retried: DNS changes). */
export const toAttemptOutcome = (r: Succeeded | Failed | Blocked): AttemptOutcome => {
  switch (r.kind) {
    case 'succeeded':
      return { kind: 'succeeded', responseStatus: r.responseStatus, responseBody: r.responseBody, latencyMs: r.latencyMs };
    case 'failed':
      return { kind: 'failed', responseStatus: r.responseStatus, responseBody: r.responseBody, latencyMs: r.latencyMs, error: r.error, final: r.abortMessage || r.gone };
    case 'blocked':
      return { kind: 'failed', responseStatus: null, responseBody: '', latencyMs: r.latencyMs, error: r.error, final: false };
    default: {
      const never: never = r;
      return never;
    }
  }
};

export class BlockedAddressError extends Error {
  readonly code = 'HOOKBASE_BLOCKED_ADDRESS';
  constructor(message: string) {
    super(message);
    this.name = 'BlockedAddressError';
  }
}

/**
 * Wraps DNS resolution so that a name resolving to a blocked address fails the connection. The socket connects
 * to the address returned here, so the address checked is the address used (no DNS-rebinding window).
 */
export const guardedLookup =
  (base: LookupFunction): LookupFunction =>
  (hostname, options, callback) => {
    base(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      const list = typeof address === 'string' ? [address] : address.map((a) => a.address);
      for (const ip of list) {
        const why = classifyAddress(ip);
        if (why !== null) {
          return callback(new BlockedAddressError(`Blocked: ${hostname} resolves to ${ip}, ${describeAddressClass(why)}; ${ALLOW_HINT}`), address, family);
        }
      }
      callback(null, address, family);
    });
  };

/** Refusals decided from the URL alone: a blocked host name or a literal blocked IP. */
export const blockedTarget = (url: URL): string | null => {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isBlockedHostname(host)) return `Blocked: ${host} is a local or metadata host name; ${ALLOW_HINT}`;
  if (isIP(host)) {
    const why = classifyAddress(host);
    if (why !== null) return `Blocked: ${host} is ${describeAddressClass(why)}; ${ALLOW_HINT}`;
  }
  return null;
};

const causes = (error: unknown): unknown[] => {
  const out: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && out.length < 5; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
};

/** Response headers past this size end the attempt (undici's own default, stated here so the error can name it). */
export const RESPONSE_HEADERS_LIMIT = 16 * 1024;

/** The error recorded on an attempt: what a person reading the delivery's history can act on. */
const describeError = (error: unknown, timeoutMs: number, timedOut: boolean): string => {
  const chain = causes(error);
  const codes = chain.map((e) => (e as { code?: unknown }).code).filter((c): c is string => typeof c === 'string');
  const code = codes[0];
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `Timed out after ${timeoutMs / 1000} s`;
  const message = chain[0] instanceof Error ? chain[0].message : String(chain[0]);
  if (codes.includes('ECONNRESET')) return `Connection reset (${message})`;
  if (code?.startsWith('HPE_') || chain.some((e) => e instanceof Error && e.name === 'HTTPParserError')) {
    return `Invalid HTTP response: ${message}`;
  }
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'Connect timed out';
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'UND_ERR_HEADERS_OVERFLOW':
      return `Response headers too large (over ${RESPONSE_HEADERS_LIMIT / 1024} KiB)`;
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return `Connection closed before the response ended (${message})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS lookup failed (${code})`;
    default:
      return code ? `${code}: ${message}` : message;
  }
};

const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export type HttpDeliveryOptions = Readonly<{ allowPrivateNetworks: boolean; connectTimeoutMs: number; lookup?: LookupFunction }>;

/** One HTTP attempt at a time; one shared connection pool for every endpoint. Redirects are never followed. */
export class HttpDelivery {
  private readonly agent: Agent;

  constructor(private readonly options: HttpDeliveryOptions) {
    const base = options.lookup ?? (dnsLookup as LookupFunction);
    this.agent = new Agent({
      connect: { timeout: options.connectTimeoutMs, lookup: options.allowPrivateNetworks ? base : guardedLookup(base) },
      keepAliveTimeout: 4_000,
      maxHeaderSize: RESPONSE_HEADERS_LIMIT,
    });
  }

  send(req: DeliveryRequest): Promise<HttpAttemptResult> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return Promise.resolve(failure(null, '', 0, `Invalid URL: ${req.url}`));
    }
    if (!this.options.allowPrivateNetworks) {
      const blocked = blockedTarget(url);
      if (blocked) return Promise.resolve({ kind: 'blocked', error: blocked, latencyMs: 0 });
    }
    if (req.signal?.aborted) return Promise.resolve({ kind: 'cancelled' });
    return new Promise((resolve) => {
      const attempt = new Attempt(req, resolve);
      // The low-level dispatch API: no response stream or abort signal per request, the body is read as it comes.
      this.agent.dispatch(
        { origin: url.origin, path: `${url.pathname}${url.search}`, method: req.method ?? 'POST', headers: req.headers, body: req.method === 'GET' ? null : req.body, headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs },
        attempt,
      );
    });
  }

  /** Waits for requests in flight, or aborts them when `force`. */
  async close(force = false): Promise<void> {
    if (force) await this.agent.destroy();
    else await this.agent.close();
  }
}

const failure = (responseStatus: number | null, responseBody: string, latencyMs: number, error: string): Failed => ({
  kind: 'failed',
  responseStatus,
  responseBody,
  latencyMs,
  error,
  retryAfterSeconds: null,
  abortMessage: false,
  gone: false,
});

/** What a response says: success, or a failure with the reason and what the receiver asked for. */
const answered = (status: number, headers: IncomingHttpHeaders, responseBody: string, latencyMs: number): Succeeded | Failed => {
  if (status >= 200 && status < 300) return { kind: 'succeeded', responseStatus: status, responseBody, latencyMs };
  const abortMessage = headerValue(headers['webhook-delivery'])?.trim().toLowerCase() === 'abort-message';
  const gone = status === 410;
  const retryAfterSeconds = status === 429 || status === 503 ? parseRetryAfter(headerValue(headers['retry-after']), Date.now()) : null;
  const location = headerValue(headers.location);
  const error = gone
    ? 'Endpoint answered 410 Gone'
    : abortMessage
      ? `HTTP ${status}; the receiver asked to stop retrying (webhook-delivery: abort-message)`
      : status >= 300 && status < 400
        ? `HTTP ${status}: redirects are not followed${location ? ` (Location: ${location})` : ''}`
        : `HTTP ${status}`;
  return { kind: 'failed', responseStatus: status, responseBody, latencyMs, error, retryAfterSeconds, abortMessage, gone };
};

/**
 * One attempt as undici's dispatch handler: keeps the status, the headers and the first 4 KiB of the body, and
 * settles once. The total timeout and the dispatcher's cancel signal abort the request through its controller;
 * past 4 KiB the rest of the body is not read (the connection is closed).
 */
class Attempt implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private controller: Dispatcher.DispatchController | null = null;
  /** Why we abort (timeout, cancel), once decided; applied when the controller arrives if it has not yet. */
  private abortReason: 'timeout' | 'cancel' | null = null;
  private settled = false;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly req: DeliveryRequest,
    private readonly resolve: (result: HttpAttemptResult) => void,
  ) {
    this.timer = setTimeout(() => this.abort('timeout'), req.timeoutMs);
    // The attempt itself listens (handleEvent): no closure per attempt.
    req.signal?.addEventListener('abort', this, { once: true });
  }

  /** The dispatcher's cancel signal fired. */
  handleEvent(): void {
    this.abort('cancel');
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason !== null) controller.abort(new Error(`aborted (${this.abortReason})`));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size >= RESPONSE_BODY_LIMIT) {
      this.finish();
      controller.abort(new Error('response body limit reached'));
    }
  }

  onResponseEnd(): void {
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.abortReason === 'cancel') return this.settle({ kind: 'cancelled' });
    const blocked = causes(error).find((e): e is BlockedAddressError => e instanceof BlockedAddressError);
    if (blocked) return this.settle({ kind: 'blocked', error: blocked.message, latencyMs: this.elapsed() });
    this.settle(failure(null, '', this.elapsed(), describeError(error, this.req.timeoutMs, this.abortReason === 'timeout')));
  }

  private abort(reason: 'timeout' | 'cancel'): void {
    if (this.settled || this.abortReason !== null) return;
    this.abortReason = reason;
    this.controller?.abort(new Error(`aborted (${reason})`));
  }

  private finish(): void {
    const body = (this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8');
    this.settle(answered(this.status, this.headers, body, this.elapsed()));
  }

  private settle(result: HttpAttemptResult): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.req.signal?.removeEventListener('abort', this);
    this.resolve(result);
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }
}
