import type { ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { newId } from '../domain/ids';
import { errorBody } from './errors';

/**
 * Slow clients (slowloris): headers must arrive within 10 s and the whole request within 30 s (256 KiB at most), or
 * the request is answered 408 (below) and the connection closed. Node's defaults (60 s and 300 s, checked every 30 s)
 * let a few hundred slow connections hold the server for minutes.
 */
export const HTTP_SERVER_LIMITS: ServerOptions = { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 };

/**
 * Requests Node's HTTP parser refuses before koa sees them (a request line or headers past 16 KiB, bytes that are
 * not HTTP) are answered, like every other refusal, with API.md's error body and a request id — Node's own answer
 * is an empty 431 or 400 — and the connection is closed.
 */
export const answerClientError = (error: Error & { code?: string }, socket: Socket): void => {
  if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const [status, reason, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'headers_too_large', 'The request line and headers are larger than 16 KiB; send long values in the body.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'request_timeout', 'The request did not arrive in time.']
        : [400, 'Bad Request', 'malformed_http', 'The request is not valid HTTP/1.1.'];
  const requestId = newId('req');
  const body = JSON.stringify(errorBody(code, message, [], requestId));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
};
