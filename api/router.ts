/**
 * The route table, registered in a `@koa/router` Router: it matches paths (path-to-regexp), the table stays the one
 * description of every route (it also feeds /openapi.json). app.ts asks the router what a request is before it
 * authenticates and charges it, because a miss under /v1 is still answered as that API (401/429/404/405).
 */
import Router from '@koa/router';
import type { AnyRoute } from './route';

export type RouteMatch = { route: AnyRoute; params: Record<string, string> } | 'method_not_allowed' | null;

/** `/v1/applications/{appId}` → `/v1/applications/:appId` (path-to-regexp's syntax). */
export const koaPath = (template: string): string => template.replace(/\{(\w+)\}/g, ':$1');

export type RouteMatcher = Readonly<{ routers: ReadonlyMap<string, Router>; match: (method: string, path: string) => RouteMatch }>;

/** The first two segments (`/v1/applications`): one router each, so a match tries a few routes, not all of them. */
const groupOf = (path: string): string => {
  const second = path.indexOf('/', 1);
  const third = second < 0 ? -1 : path.indexOf('/', second + 1);
  return third < 0 ? path.replace(/\/$/, '') : path.slice(0, third);
};

export const routeMatcher = (routes: readonly AnyRoute[]): RouteMatcher => {
  const routers = new Map<string, Router>();
  const byName = new Map<string, AnyRoute>();
  for (const route of routes) {
    if (/[{]/.test(groupOf(route.path))) throw new Error(`${route.path}: the first two segments of a route are literal (api/router.ts)`);
    byName.set(route.operationId, route);
    const group = groupOf(route.path);
    const router = routers.get(group) ?? new Router();
    routers.set(group, router);
    // The handler runs in app.ts after authentication; the router only matches here.
    router.register(koaPath(route.path), [route.method], (_ctx, next) => next(), { name: route.operationId });
  }
  const match = (method: string, path: string): RouteMatch => {
    const router = routers.get(groupOf(path));
    if (!router) return null;
    const found = router.match(path, method);
    if (!found.route) return found.path.length > 0 ? 'method_not_allowed' : null;
    // @koa/router answers HEAD with GET routes; the API has no HEAD: 405, as for any other method.
    const layer = found.pathAndMethod.find((l) => byName.get(l.name ?? '')?.method === method);
    const route = layer ? byName.get(layer.name ?? '') : undefined;
    if (!layer || !route) return 'method_not_allowed';
    const params: Record<string, string> = {};
    const captures = layer.captures(path);
    const names = (layer as unknown as { paramNames: readonly { name: string }[] }).paramNames;
    try {
      names.forEach((p, i) => {
        const raw = captures[i] ?? '';
        params[p.name] = raw.includes('%') ? decodeURIComponent(raw) : raw;
      });
    } catch {
      return null; // a malformed %-escape (URIError) names no resource: 404, not 500
    }
    return { route, params };
  };
  return { routers, match };
};
