import type { Context } from 'koa';
import type { JsonValue } from '../domain/json';
import { HttpError } from './errors';
import { checkJsonLimits } from './jsonLimits';

// Fatal: bytes that are not UTF-8 are refused rather than replaced by U+FFFD (which would deliver other text).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export const DEFAULT_BODY_LIMIT = 256 * 1024;

export const readRawBody = (ctx: Context, limit: number): Promise<Buffer> => {
  const declared = Number(ctx.get('content-length') || '0');
  if (declared > limit) return Promise.reject(tooLarge(limit));
  const req = ctx.req;
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  // Stream events rather than an async iterator: a request body is one or two chunks, and the iterator's
  // machinery costs more than reading them. (Anonymous listeners: they are created per request.)
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Stop reading; the answer (413) is sent and the connection closed by koa's error handling.
      settled = true;
      req.pause();
      reject(tooLarge(limit));
    });
    req.once('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.once('error', (error: Error) => {
      if (settled) return;
      settled = true;
      // Node reports a client that hung up mid-body as an 'aborted' error: a 4xx too (see 'close' below).
      reject(new HttpError(400, 'request_aborted', `The request was aborted before its body was read (${error.message}).`));
    });
    req.once('close', () => {
      if (settled) return;
      settled = true;
      // The client went away: a 4xx (nobody reads it), not a 500 in the metrics and the error log.
      reject(new HttpError(400, 'request_aborted', 'The request was aborted before its body was read.'));
    });
  });
};

const tooLarge = (limit: number): HttpError =>
  new HttpError(413, 'payload_too_large', `The request body is larger than the limit of ${Math.round(limit / 1024)} KiB.`);

/**
 * Reads a JSON body: 415 when it is not JSON, 413 past the limit, 400 when it is not UTF-8, does not parse or nests
 * too deep, 422 for a number out of range (see jsonLimits.ts). Empty = undefined. Duplicate keys: the last one
 * wins (JSON.parse), and what is stored and delivered is that one object.
 */
export const readJsonBody = async (ctx: Context, limit = DEFAULT_BODY_LIMIT): Promise<JsonValue | undefined> => {
  const hasBody = Number(ctx.get('content-length') || '0') > 0 || ctx.get('transfer-encoding') !== '';
  if (!hasBody) return undefined;
  const type = ctx.get('content-type');
  if (type && !/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', `Send JSON with content-type: application/json (got ${type}).`);
  }
  const raw = await readRawBody(ctx, limit);
  if (raw.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new HttpError(400, 'malformed_json', 'The request body is not valid UTF-8.');
  }
  let body: JsonValue;
  try {
    body = JSON.parse(text) as JsonValue;
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'invalid JSON';
    throw new HttpError(400, 'malformed_json', `The request body is not valid JSON: ${reason}.`);
  }
  checkJsonLimits(body);
  return body;
};
