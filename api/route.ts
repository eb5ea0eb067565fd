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
  /** Who may call it; 'portal' routes are under /portal/ and scoped to the token's application. */
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

/** A route's path split at '/': literal segments as they are, null where a `{param}` goes. */
export type CompiledRoute = Readonly<{ route: AnyRoute; segments: readonly (string | null)[]; paramNames: readonly string[] }>;

export const compileRoute = (route: AnyRoute): CompiledRoute => {
  const paramNames: string[] = [];
  const segments = route.path.split('/').map((segment) => {
    const param = /^\{(\w+)\}$/.exec(segment)?.[1];
    if (param === undefined) return segment;
    paramNames.push(param);
    return null;
  });
  return { route, segments, paramNames };
};

const byMethodAndLength = new WeakMap<readonly CompiledRoute[], Map<string, CompiledRoute[]>>();

/** The routes of `method` with `length` segments, in table order (indexed once per table). */
const candidates = (table: readonly CompiledRoute[], method: string, length: number): readonly CompiledRoute[] => {
  let index = byMethodAndLength.get(table);
  if (!index) {
    index = new Map();
    for (const c of table) {
      const key = `${c.route.method} ${c.segments.length}`;
      index.set(key, [...(index.get(key) ?? []), c]);
    }
    byMethodAndLength.set(table, index);
  }
  return index.get(`${method} ${length}`) ?? [];
};

/** Whether the path's segments fit the route's: same count, the literals equal, every parameter non-empty. */
const fits = (c: CompiledRoute, parts: readonly string[]): boolean => {
  if (parts.length !== c.segments.length) return false;
  for (let i = 0; i < parts.length; i++) {
    const segment = c.segments[i];
    if (segment === null ? parts[i] === '' : parts[i] !== segment) return false;
  }
  return true;
};

export const matchRoute = (
  table: readonly CompiledRoute[],
  method: string,
  path: string,
): { route: AnyRoute; params: Record<string, string> } | 'method_not_allowed' | null => {
  // Segment by segment (one split per request, no pattern per route); a trailing slash is allowed.
  const parts = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).split('/');
  for (const c of candidates(table, method, parts.length)) {
    if (!fits(c, parts)) continue;
    const params: Record<string, string> = {};
    let k = 0;
    try {
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        if (c.segments[i] === null) params[c.paramNames[k++]!] = part.includes('%') ? decodeURIComponent(part) : part;
      }
    } catch {
      return null; // a malformed %-escape (URIError) names no resource: 404, not 500
    }
    return { route: c.route, params };
  }
  return table.some((c) => fits(c, parts)) ? 'method_not_allowed' : null;
};
