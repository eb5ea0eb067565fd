import type { Context } from 'koa';
import { readRawBody } from './body';
import { ingest } from './commands/inboundIngest';
import type { ApiDeps } from './deps';
import { HttpError } from './errors';

/** The ingest URL the official clients build: POST /ingest/{orgSlug}/{sourceSlug}. */
const INGEST = /^\/ingest\/([a-z0-9][a-z0-9_-]{0,63})\/([a-z0-9][a-z0-9-]{0,63})\/?$/;

/** A provider's webhook may be larger than an API call: 1 MiB (a Stripe event is far below; GitHub caps at 25 MB). */
export const INGEST_BODY_LIMIT = 1024 * 1024;

export const isIngestPath = (path: string): boolean => path.startsWith('/ingest/');

const headersOf = (ctx: Context): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
};

/**
 * Serves an ingest URL: any content type, the raw bytes read as they came (verification needs them), no API key
 * (the provider's signature and the source's IP lists guard it). 2xx answers: 202 accepted, 200 duplicate; refusals
 * in API.md's error body (401 signature, 403 IP or inactive source, 404 unknown source, 413, 429).
 */
export const serveIngest = async (ctx: Context, deps: ApiDeps): Promise<void> => {
  ctx.state.route = '/ingest/{orgSlug}/{sourceSlug}';
  const match = INGEST.exec(ctx.path);
  if (!match) throw new HttpError(404, 'source_not_found', `No ingest URL ${ctx.path}.`);
  if (ctx.method !== 'POST' && ctx.method !== 'PUT') throw new HttpError(405, 'method_not_allowed', `${ctx.method} is not allowed on an ingest URL: providers POST.`);
  const rawBody = await readRawBody(ctx, INGEST_BODY_LIMIT);
  const answer = await ingest(deps, {
    orgSlug: match[1]!,
    sourceSlug: match[2]!,
    rawBody,
    headers: headersOf(ctx),
    ipAddress: ctx.ip || null,
    url: `${new URL(deps.config.publicUrl).origin}${ctx.originalUrl}`,
  });
  if (answer.status >= 400) throw new HttpError(answer.status, String(answer.body.error), String(answer.body.message), [], answer.headers ?? {});
  ctx.status = answer.status;
  ctx.body = answer.body;
};
