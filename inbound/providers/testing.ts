// Test helpers (no module under test is used here: vectors are built with node:crypto in each test).
import type { InboundRequest } from './verification';

export const at = (unixSeconds: number): Date => new Date(unixSeconds * 1000);

export const requestOf = (body: string | Uint8Array, headers: Record<string, string>, receivedAt: Date, url?: string): InboundRequest => ({
  rawBody: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  headers,
  receivedAt,
  ...(url === undefined ? {} : { url }),
});

/** The same request with its last body byte changed. */
export const withOneByteChanged = (request: InboundRequest): InboundRequest => {
  const body = Uint8Array.from(request.rawBody);
  body[body.length - 1] = body[body.length - 1]! ^ 0x01;
  return { ...request, rawBody: body };
};

export const receivedLater = (request: InboundRequest, seconds: number): InboundRequest => ({
  ...request,
  receivedAt: new Date(request.receivedAt.getTime() + seconds * 1000),
});
