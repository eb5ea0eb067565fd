import Koa from 'koa';
import type { Context } from 'koa';
import { newId } from '../domain/ids';
import type { JsonValue } from '../domain/json';
import { ApiKeyCache, authenticateApiKey, authenticatePortalToken } from './auth';
import type { Principal } from './auth';
import { readJsonBody } from './body';
import { CONSISTENCY_HEADER, findApplication, parseConsistencyToken, waitForOwnWrites, waitForPosition } from './commands/common';
import type { ApiDeps } from './deps';
import { errorMiddleware, HttpError } from './errors';
import { requestHash, withIdempotencyKey } from './idempotency';
import type { Logger } from 'pino';
import { threadMetrics } from '../observability/metrics';
import { openApiDocument } from './openapi';
import { isIngestPath, serveIngest } from './ingest';
import type { RateLimits } from './rateLimit';
import type { AnyRoute, RouteResponse } from './route';
import { routeMatcher } from './router';
import { adminRoutes } from './routes/admin';
import { apiKeyRoutes } from './routes/apiKeys';
import { applicationRoutes } from './routes/applications';
import { deliveryRoutes } from './routes/deliveries';
import { endpointRoutes } from './routes/endpoints';
import { eventTypeRoutes } from './routes/eventTypes';
import { inboundConfigRoutes } from './routes/inboundConfig';
import { inboundTrafficRoutes } from './routes/inboundTraffic';
import { messageRoutes } from './routes/messages';
import { portalTokenRoutes } from './routes/portalTokens';
import { validateBody, validateQuery } from './validation';
import { compatRoutes } from './compat';
import { hostedPortal, isPortalApiPath, portalCors, portalRoutes } from './portal';
import { assertMayWrite } from './portal/principal';

export const v1Routes: readonly AnyRoute[] = [
  ...applicationRoutes,
  ...eventTypeRoutes,
  ...endpointRoutes,
  ...messageRoutes,
  ...portalTokenRoutes,
  ...adminRoutes,
  ...apiKeyRoutes,
  ...deliveryRoutes,
  ...inboundConfigRoutes,
  ...inboundTrafficRoutes,
];

/** Every route served: /v1 (API.md), the portal API and the cloud-compatible /api (COMPAT.md), over the same commands and queries. */
export const allRoutes: readonly AnyRoute[] = [...v1Routes, ...portalRoutes, ...compatRoutes];

export type ServerOptions = Readonly<{
  /** Undefined in a process without the api role: it serves only /health and /metrics. */
  api?: ApiDeps;
  rateLimits: RateLimits;
  /** The Prometheus exposition of this process (every thread's metrics). */
  metrics: () => Promise<Readonly<{ contentType: string; text: string }>>;
  /** Request lines (with their request id) go here. */
  logger: Logger;
  /** True once every role of the process runs. */
  healthy: () => boolean;
  version: string;
  log: (line: string) => void;
}>;

const send = (ctx: Context, res: RouteResponse): void => {
  ctx.status = res.status;
  for (const [k, v] of Object.entries(res.headers ?? {})) ctx.set(k, v);
  if (res.body !== undefined) ctx.body = res.body;
};

const subjectOf = (principal: Principal, ctx: Context): string =>
  principal.kind === 'admin' ? principal.keyId : principal.kind === 'portal' ? principal.tokenId : `ip:${ctx.ip}`;

/** Charges a rate-limit bucket and sets the X-RateLimit-* headers; 429 with Retry-After past the limit. */
const charge = async (deps: ApiDeps, ctx: Context, bucket: string, subject: string, limit: number, windowMs: number): Promise<void> => {
  const now = deps.now().getTime();
  const d = await deps.rateLimiter.take(bucket, subject, limit, windowMs, now);
  ctx.set('X-RateLimit-Limit', String(d.limit));
  ctx.set('X-RateLimit-Remaining', String(d.remaining));
  ctx.set('X-RateLimit-Reset', String(d.resetAt));
  if (!d.allowed) {
    const retryAfter = Math.max(1, d.resetAt - Math.floor(now / 1000));
    throw new HttpError(429, 'rate_limited', `Rate limit of ${limit} per ${windowMs >= 3_600_000 ? 'hour' : 'minute'} reached for ${bucket}; retry after ${retryAfter} s.`, [], {
      'Retry-After': String(retryAfter),
    });
  }
};

/** A request slower than this is logged at warn, whatever its answer. */
export const SLOW_REQUEST_MS = 1_000;

/**
 * The level of a request's line: `debug` for an ordinary one (a line per request at info cost the API's thread
 * more than the send itself at thousands of requests a second; pino's docs advise keeping hot paths below the
 * level in use), `warn` for a slow one, `error` for a 5xx. Counts and latencies of every request are in /metrics.
 */
export const requestLogLevel = (status: number, ms: number): 'debug' | 'warn' | 'error' =>
  status >= 500 ? 'error' : ms >= SLOW_REQUEST_MS ? 'warn' : 'debug';

const routeNotFound = (ctx: Context): HttpError => new HttpError(404, 'route_not_found', `No route for ${ctx.method} ${ctx.path}.`);

export const createServer = (options: ServerOptions): Koa => {
  const app = new Koa({ proxy: false });
  const routes = routeMatcher(allRoutes);
  const hosted = options.api
    ? hostedPortal({ dir: options.api.config.hostedPortalDir, apiOrigin: new URL(options.api.config.publicUrl).origin })
    : null;
  const apiKeys = new ApiKeyCache();
  const { logger } = options;

  app.use(async (ctx, next) => {
    const requestId = newId('req');
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      // The route's template, not the path: one series per route, not per resource.
      const route = typeof ctx.state.route === 'string' ? ctx.state.route : 'unmatched';
      threadMetrics.httpRequestSeconds.observe({ route, method: ctx.method, status: String(ctx.status) }, seconds);
      // The path without its query string: a query may carry a token (a magic link's).
      const ms = Math.round(seconds * 1e4) / 10;
      const level = requestLogLevel(ctx.status, ms);
      if (logger.isLevelEnabled(level)) logger[level]({ requestId, method: ctx.method, path: ctx.path, route, status: ctx.status, ms }, 'request');
    }
  });
  app.use(errorMiddleware(options.log));

  app.use(async (ctx) => {
    if (ctx.method === 'GET' && (ctx.path === '/health' || ctx.path === '/metrics' || ctx.path === '/openapi.json')) ctx.state.route = ctx.path;
    if (ctx.method === 'GET' && ctx.path === '/health') {
      const ok = options.healthy();
      ctx.status = ok ? 200 : 503;
      ctx.body = { status: ok ? 'ok' : 'starting' };
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/metrics') {
      const { contentType, text } = await options.metrics();
      ctx.type = contentType;
      ctx.body = text;
      return;
    }
    const deps = options.api;
    if (!deps) throw new HttpError(404, 'route_not_found', 'This process does not run the api role.');
    if (ctx.method === 'GET' && ctx.path === '/openapi.json') {
      ctx.body = openApiDocument(allRoutes, options.version, deps.config.publicUrl);
      return;
    }
    // The hosted portal page and its assets; CORS (and preflights) for the portal API only.
    if (hosted && (await hosted(ctx))) {
      ctx.state.route = 'hosted_portal';
      return;
    }
    if (isPortalApiPath(ctx.path) && portalCors(ctx)) return;
    // A provider's webhook: no API key (its signature and the source's lists guard it), the raw bytes kept.
    if (isIngestPath(ctx.path)) return serveIngest(ctx, deps);
    const match = routes.match(ctx.method, ctx.path);
    if (match !== null && match !== 'method_not_allowed') ctx.state.route = match.route.path;
    // A miss under /v1 or /portal/ is still a response of that API: authenticated and charged like the rest (API.md).
    const auth =
      match !== null && match !== 'method_not_allowed'
        ? match.route.auth
        : isPortalApiPath(ctx.path) ? 'portal' : /^\/(v1|api)(\/|$)/.test(ctx.path) ? 'admin' : null;
    if (auth === null) throw routeNotFound(ctx);

    // 1. who is calling — a rate limit is charged even for bad credentials (the general one, by address)
    let principal: Principal = { kind: 'anonymous' };
    let authError: unknown = null;
    try {
      const authorization = ctx.get('authorization');
      if (auth === 'admin') principal = await authenticateApiKey(deps.reads, authorization, apiKeys);
      else if (auth === 'portal') principal = await authenticatePortalToken(deps.reads, authorization, deps.now());
    } catch (error) {
      authError = error;
    }
    const limits = options.rateLimits;
    // A send is charged to the sends bucket only (API.md: 10,000 sends a minute beside 1,000 other calls), not to both.
    const sendRoute = match !== null && match !== 'method_not_allowed' && match.route.rateLimit === 'sends';
    if (sendRoute && !authError) await charge(deps, ctx, 'sends', subjectOf(principal, ctx), limits.sendsPerMinute, 60_000);
    else await charge(deps, ctx, 'api', subjectOf(principal, ctx), limits.apiPerMinute, 60_000);
    if (authError) throw authError;
    if (auth === 'portal') assertMayWrite(principal, ctx.method);
    if (match === null) throw routeNotFound(ctx);
    if (match === 'method_not_allowed') throw new HttpError(405, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}.`);
    const { route, params } = match;
    if (route.rateLimit === 'portal_tokens') {
      // One bucket per application, whether the path names it by id or by uid.
      const app = await findApplication(deps, params.appId ?? '');
      await charge(deps, ctx, 'portal_tokens', app?.id ?? params.appId ?? '', limits.portalTokensPerHour, 3_600_000);
    }

    // 2. what is asked — body and query against the route's schemas
    const raw: JsonValue | undefined = ctx.method === 'GET' || ctx.method === 'DELETE' ? undefined : await readJsonBody(ctx, deps.config.bodyLimitBytes);
    const body = route.body ? validateBody(route.body, raw) : raw;
    const query = route.query ? validateQuery(route.query, ctx.query) : {};

    // A request presenting a send's consistency token reads what that send wrote (bounded wait, as a command's); a
    // read reads what this process appended (sends do not wait for the projections: their readers do).
    const token = ctx.get(CONSISTENCY_HEADER);
    if (token) await waitForPosition(deps, parseConsistencyToken(token));
    if (ctx.method === 'GET') await waitForOwnWrites(deps);

    // 3. do it — once per Idempotency-Key
    const request = { params, query, body, principal, deps, ctx };
    const key = ctx.get('idempotency-key');
    const response =
      ctx.method === 'POST' && key
        ? await withIdempotencyKey(deps.ops, deps.masterKey, subjectOf(principal, ctx), key, requestHash(ctx.method, ctx.path, raw), deps.now(), () => route.handle(request))
        : await route.handle(request);
    send(ctx, response);
  });
  return app;
};
