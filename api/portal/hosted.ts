import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { packageRoot } from '../packageRoot';
import type { Context } from 'koa';

// The hosted portal page (the magic link's target): `GET /portal` serves the built index.html, `/portal/assets/*`
// the built files beside it, nothing else. The page is built by `npm run build -w @hookbase/portal`.

// From the package root, not from this file: the tests run a bundle of the server from elsewhere (api/packageRoot.ts).
export const DEFAULT_HOSTED_DIR = join(packageRoot(import.meta.url), 'portal', 'dist', 'hosted') + sep;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Scripts and styles from this server only; the page talks to the API (its own origin, and the public URL's);
 * nothing may frame it (the token would be in a frame of someone else's page).
 */
export const contentSecurityPolicy = (apiOrigin: string): string =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${apiOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

const securityHeaders = (ctx: Context, apiOrigin: string): void => {
  ctx.set('Content-Security-Policy', contentSecurityPolicy(apiOrigin));
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'DENY');
  // The token travels in the fragment, which no Referer carries; no-referrer keeps the rest of the address too.
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hookbase portal not built</title></head>
<body><h1>The hosted portal is not built</h1>
<p>Build it with <code>npm run build -w @hookbase/portal</code>, then reload this page.</p></body></html>
`;

/**
 * The file under `dir` that `relative` names, or null: no `..`, no absolute or encoded escape, no symlink out of
 * the folder, files only.
 */
export const resolveInside = async (dir: string, relative: string): Promise<string | null> => {
  if (relative.length === 0 || relative.includes('\0') || relative.includes('\\')) return null;
  const parts = relative.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return null;
  const root = resolve(dir);
  const candidate = resolve(root, ...parts);
  if (!candidate.startsWith(root + sep)) return null;
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(candidate)]);
    if (!realFile.startsWith(realRoot + sep)) return null;
    return (await stat(realFile)).isFile() ? realFile : null;
  } catch {
    return null;
  }
};

export type HostedPortalOptions = Readonly<{ dir?: string; apiOrigin: string }>;

/**
 * Answers `GET|HEAD /portal` and `/portal/assets/*`; returns false for every other request (the API takes it).
 * The built files' names carry their content hash: they are cached for a year; the page itself never is.
 */
export const hostedPortal =
  (options: HostedPortalOptions) =>
  async (ctx: Context): Promise<boolean> => {
    const isPage = ctx.path === '/portal' || ctx.path === '/portal/';
    const isAsset = ctx.path.startsWith('/portal/assets/');
    if (!isPage && !isAsset) return false;
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.status = 405;
      ctx.set('Allow', 'GET, HEAD');
      // COMPAT.md's error body, as every other /portal failure (it was plain text).
      const message = 'Method not allowed: the hosted portal answers GET and HEAD only.';
      ctx.body = { error: message, message, code: 'method_not_allowed', details: null, requestId: ctx.response.get('x-request-id') };
      return true;
    }
    const dir = options.dir ?? DEFAULT_HOSTED_DIR;
    securityHeaders(ctx, options.apiOrigin);
    if (isPage) {
      let html: string;
      try {
        html = await readFile(join(dir, 'index.html'), 'utf8');
      } catch {
        ctx.status = 503;
        ctx.set('Cache-Control', 'no-store');
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = NOT_BUILT;
        return true;
      }
      ctx.status = 200;
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = html;
      return true;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(ctx.path.slice('/portal/assets/'.length));
    } catch {
      relative = '';
    }
    const file = await resolveInside(join(dir, 'assets'), relative);
    if (file === null) {
      ctx.status = 404;
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = 'Not found.\n';
      return true;
    }
    ctx.status = 200;
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    ctx.length = (await stat(file)).size;
    // koa sends no body for HEAD and closes the stream when the answer finishes.
    ctx.body = createReadStream(file);
    return true;
  };
