import type { Context } from 'koa';

// CORS for the portal API only: any origin may call it, because the portal token in Authorization is the
// credential; no cookies are involved, so credentials are never allowed. /v1 and the hosted page get no CORS.

/** The portal API's paths: under /portal/, except the hosted page's assets. */
export const isPortalApiPath = (path: string): boolean => path.startsWith('/portal/') && !path.startsWith('/portal/assets/');

const EXPOSED = ['X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After'].join(', ');

/**
 * Sets the CORS headers of a portal API answer; answers a preflight (OPTIONS) itself with 204.
 * Returns true when the request is answered.
 */
export const portalCors = (ctx: Context): boolean => {
  ctx.set('Access-Control-Allow-Origin', '*');
  ctx.set('Access-Control-Expose-Headers', EXPOSED);
  if (ctx.method !== 'OPTIONS') return false;
  ctx.set('Access-Control-Allow-Methods', 'GET, POST, PATCH, DELETE');
  ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, Idempotency-Key');
  ctx.set('Access-Control-Max-Age', '600');
  ctx.status = 204;
  return true;
};
