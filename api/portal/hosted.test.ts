import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostedPortal } from './hosted';

// The hosted page's files over real HTTP: the page, its assets with their types and cache headers, the
// security headers, the 503 page without a build, and nothing outside portal/dist/hosted/assets.

const API_ORIGIN = 'http://127.0.0.1:8080';
let root: string;
const servers: Server[] = [];

/** A raw request: the path goes out exactly as written (fetch would normalize `..`). */
const get = (port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });

const serve = async (dir: string): Promise<number> => {
  const app = new Koa();
  const hosted = hostedPortal({ dir, apiOrigin: API_ORIGIN });
  app.use(async (ctx) => {
    if (!(await hosted(ctx))) {
      ctx.status = 418;
      ctx.body = 'not the portal';
    }
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  servers.push(server);
  return (server.address() as AddressInfo).port;
};

let port: number;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'hookbase-hosted-'));
  const dist = join(root, 'dist', 'hosted');
  mkdirSync(join(dist, 'assets', 'fonts'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Portal</title><script type="module" src="/portal/assets/index-abc.js"></script>');
  writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log("portal")');
  writeFileSync(join(dist, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(join(dist, 'assets', 'fonts', 'inter.woff2'), Buffer.from([0x77, 0x4f, 0x46, 0x32]));
  writeFileSync(join(dist, 'secret-next-to-assets.txt'), 'SECRET-BESIDE');
  writeFileSync(join(root, 'outside.txt'), 'SECRET-OUTSIDE');
  symlinkSync(join(root, 'outside.txt'), join(dist, 'assets', 'link.txt'));
  port = await serve(dist);
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  rmSync(root, { recursive: true, force: true });
});

describe('hosted portal', () => {
  it('GET /portal answers index.html, never cached, with a CSP of self and the API origin', async () => {
    for (const path of ['/portal', '/portal/']) {
      const res = await get(port, path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('<title>Portal</title>');
      expect(res.headers['cache-control']).toBe('no-store');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain(`connect-src 'self' ${API_ORIGIN}`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });

  it.each([
    ['/portal/assets/index-abc.js', 'text/javascript; charset=utf-8', 'console.log("portal")'],
    ['/portal/assets/index-abc.css', 'text/css; charset=utf-8', 'body{}'],
    ['/portal/assets/fonts/inter.woff2', 'font/woff2', 'wOF2'],
  ])('GET %s: its content type, cached for a year', async (path, type, body) => {
    const res = await get(port, path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toBe(body);
    const head = await get(port, path, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it.each([
    '/portal/assets/../secret-next-to-assets.txt',
    '/portal/assets/../../../outside.txt',
    '/portal/assets/%2e%2e/secret-next-to-assets.txt',
    '/portal/assets/%2E%2E%2Fsecret-next-to-assets.txt',
    '/portal/assets/..%2f..%2f..%2foutside.txt',
    '/portal/assets/..%5csecret-next-to-assets.txt',
    '/portal/assets/%2fetc%2fpasswd',
    '/portal/assets//etc/passwd',
    '/portal/assets/fonts/%00inter.woff2',
    '/portal/assets/link.txt',
    '/portal/assets/fonts',
    '/portal/assets/',
    '/portal/assets/missing.js',
    '/portal/assets/%E0%A4%A',
  ])('serves nothing outside the assets folder: %s', async (path) => {
    const res = await get(port, path);
    expect([404, 418]).toContain(res.status);
    expect(res.body).not.toContain('SECRET');
    expect(res.body).not.toContain('root:');
  });

  it('only GET and HEAD', async () => {
    const res = await get(port, '/portal', 'POST');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('other paths are left to the API', async () => {
    expect((await get(port, '/portal/endpoints')).status).toBe(418);
    expect((await get(port, '/portalx')).status).toBe(418);
  });

  it('without a build: 503, a page that says how to build it', async () => {
    const empty = await serve(join(root, 'no-build-here'));
    const res = await get(empty, '/portal');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('npm run build -w @hookbase/portal');
    expect((await get(empty, '/portal/assets/index-abc.js')).status).toBe(404);
  });
});
