// The example's backend: mints portal tokens with @hookbase/sdk, proxies /portal to Hookbase (so the portal's
// default apiUrl, this page's own origin, works), and serves the built Vite app.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hookbase } from '@hookbase/sdk';

export interface ExampleOptions {
  hookbaseUrl: string;
  apiKey: string;
  /** The demo customer's application (a real app would read it from the signed-in customer). */
  appId: string;
  port?: number;
  host?: string;
  staticDir?: string;
}

export interface RunningExample {
  url: string;
  close: () => Promise<void>;
}

const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.map': 'application/json' };

const proxy = (target: URL, req: IncomingMessage, res: ServerResponse) => {
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...req.headers, host: target.host };
  const upstream = send(target, { method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'Hookbase is not reachable', message: 'Hookbase is not reachable', code: 'bad_gateway' }));
  });
  req.pipe(upstream);
};

export const startExample = async (options: ExampleOptions): Promise<RunningExample> => {
  const hookbase = new Hookbase({ apiKey: options.apiKey, baseUrl: options.hookbaseUrl });
  const staticDir = options.staticDir ?? join(fileURLToPath(new URL('.', import.meta.url)), 'dist');
  // Stands in for the app's session lookup: every visitor is the one demo customer.
  const getCustomerFromSession = async (_req: IncomingMessage) => ({ hookbaseAppId: options.appId });

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/api/webhook-portal-token') {
      void (async () => {
        try {
          const customer = await getCustomerFromSession(req);
          const token = await hookbase.portalTokens.create(customer.hookbaseAppId, {
            expiresIn: 3600, // 1 hour
          });
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify({ token: token.token }));
        } catch (error) {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
        }
      })();
      return;
    }
    if (path === '/portal' || path.startsWith('/portal/')) return proxy(new URL(req.url ?? '/', options.hookbaseUrl), req, res);
    // Static files of the built app; anything else is the app's page.
    const file = normalize(join(staticDir, path));
    const inside = file.startsWith(staticDir) && existsSync(file) && statSync(file).isFile();
    const served = inside ? file : join(staticDir, 'index.html');
    if (!existsSync(served)) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('The example is not built: run `npm run build` in examples/webhook-settings first.');
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(served)] ?? 'application/octet-stream' });
    createReadStream(served).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

/** `npm run serve`: HOOKBASE_URL, HOOKBASE_API_KEY and HOOKBASE_APP_ID from the environment. */
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  const running = await startExample({ hookbaseUrl: env('HOOKBASE_URL'), apiKey: env('HOOKBASE_API_KEY'), appId: env('HOOKBASE_APP_ID'), port: Number(process.env.PORT ?? 5173) });
  console.log(`Webhook settings example on ${running.url}`);
}
