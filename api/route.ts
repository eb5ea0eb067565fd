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
  /** On a route that carries the Idempotency-Key by its append (`keyedByAppend`): the key, as idempotency.ts names it. */
  idempotency?: KeyedRequest;
}>;

/** A POST's Idempotency-Key: its id (hash of the caller and the key) and the hash of the request it came with. */
export type KeyedRequest = Readonly<{ id: string; requestHash: string }>;

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
  /**
   * The route carries an Idempotency-Key itself, by the append it makes (an expected revision on a stream named
   * from the key), instead of a claim and an answer kept in the operational store: true for the bodies it does so.
   */
  keyedByAppend?: (body: B) => boolean;
  body?: Schema;
  query?: Schema;
  response: Readonly<{ status: number; schema?: Schema; description?: string }>;
  handle: (req: RouteRequest<B, Q>) => Promise<RouteResponse>;
}>;

/** Type-erased for the route table; each module's `defineRoute` keeps its own body and query types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table holds routes of every body/query type
export type AnyRoute = Route<any, any>;

export const defineRoute = <B = undefined, Q = Record<string, never>>(route: Route<B, Q>): AnyRoute => route;
