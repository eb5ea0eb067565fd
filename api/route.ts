import type { Context } from 'koa';
import type { JsonObject, JsonValue } from '../domain/json';
import type { ApiDeps } from './deps';
import type { Principal } from './auth';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A JSON Schema as ajv reads it; also emitted into /openapi.json. */
export type Schema = JsonObject;

export type RouteRequest<B, Q> = Readonly<{
  params: Readonly<Record<string, string>>;
  query: Q;
  body: B;
  principal: Principal;
  deps: ApiDeps;
  ctx: Context;
}>;

export type RouteResponse = Readonly<{ status: number; body?: JsonValue; headers?: Readonly<Record<string, string>> }>;

export type Route<B = unknown, Q = unknown> = Readonly<{
  operationId: string;
  method: HttpMethod;
  /** OpenAPI-style template: `/v1/applications/{appId}`. */
  path: string;
  summary: string;
  /** Who may call it; 'portal' routes are under /portal/v1 and scoped to the token's application. */
  auth: 'admin' | 'portal' | 'public';
  /** Named rate-limit bucket charged in addition to the general one (e.g. 'sends'). */
  rateLimit?: 'sends' | 'portal_tokens';
  body?: Schema;
  query?: Schema;
  response: Readonly<{ status: number; schema?: Schema; description?: string }>;
  handle: (req: RouteRequest<B, Q>) => Promise<RouteResponse>;
}>;

/** Type-erased for the route table; each module's `defineRoute` keeps its own body and query types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table holds routes of every body/query type
export type AnyRoute = Route<any, any>;

export const defineRoute = <B = undefined, Q = Record<string, never>>(route: Route<B, Q>): AnyRoute => route;

export type CompiledRoute = Readonly<{ route: AnyRoute; pattern: RegExp; paramNames: readonly string[] }>;

export const compileRoute = (route: AnyRoute): CompiledRoute => {
  const paramNames: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a: string | undefined, b: string | undefined) => {
    paramNames.push((a ?? b) as string);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}/?$`), paramNames };
};

export const matchRoute = (
  table: readonly CompiledRoute[],
  method: string,
  path: string,
): { route: AnyRoute; params: Record<string, string> } | 'method_not_allowed' | null => {
  // The method first: a string compare is cheaper than the patterns of routes that cannot answer anyway.
  for (const c of table) {
    if (c.route.method !== method) continue;
    const m = c.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    try {
      for (let i = 0; i < c.paramNames.length; i++) params[c.paramNames[i]!] = decodeURIComponent(m[i + 1] ?? '');
    } catch {
      return null; // a malformed %-escape (URIError) names no resource: 404, not 500
    }
    return { route: c.route, params };
  }
  return table.some((c) => c.pattern.test(path)) ? 'method_not_allowed' : null;
};
