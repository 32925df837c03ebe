/**
 * Response helpers of the sandbox: every error is the spec's `ErrorBody` as JSON, every page carries
 * the same security headers. Kept free of routing; each response is one `writeHead` and one `end`.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { ErrorBody } from '../../generated/schema.ts';

/** The content type of every JSON response. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** Extra response headers as a flat `[name, value, name, value, …]` list (e.g. `['Allow', 'POST']`). */
export type HeaderList = readonly string[];

/**
 * Sends `body` as JSON with `status` and the request's id. One `writeHead` with a flat header list
 * and one `end`: Node then serialises the head straight from the list, instead of storing every
 * `setHeader` in its header map first (a measurable share of a ~50 µs request).
 */
export function sendJson(res: ServerResponse, id: string, status: number, body: unknown, headers?: HeaderList): void {
  const text = JSON.stringify(body);
  const head = [
    'X-Request-Id',
    id,
    'Content-Type',
    JSON_TYPE,
    'Content-Length',
    String(Buffer.byteLength(text)),
    'Cache-Control',
    'no-store',
    'X-Content-Type-Options',
    'nosniff',
  ];
  if (headers) head.push(...headers);
  res.writeHead(status, head);
  res.end(text);
}

/** The NestJS-style error body the spec documents (`{statusCode, message, error}`). */
export function errorBody(status: number, message: string | string[]): ErrorBody {
  return { statusCode: status, message, error: STATUS_CODES[status] ?? 'Error' };
}

/** Sends the documented error body. Messages never echo client values (they may be patient data). */
export function sendError(res: ServerResponse, id: string, status: number, message: string | string[], headers?: HeaderList): void {
  sendJson(res, id, status, errorBody(status, message), headers);
}

/**
 * The CSP of every page: nothing but the page's own stylesheet (by hash): no scripts, no external
 * resources, no form submission; framing stays allowed because RefX links are meant to be opened in
 * an iframe too.
 */
const csp = (styleHash: string): string =>
  `default-src 'none'; style-src '${styleHash}'; img-src 'none'; form-action 'none'; base-uri 'none'`;

/** Sends an HTML page with the security headers every page carries. */
export function sendHtml(res: ServerResponse, id: string, status: number, html: string, styleHash: string): void {
  res.writeHead(status, [
    'X-Request-Id',
    id,
    'Content-Type',
    'text/html; charset=utf-8',
    'Content-Length',
    String(Buffer.byteLength(html)),
    'Content-Security-Policy',
    csp(styleHash),
    'X-Content-Type-Options',
    'nosniff',
    'Referrer-Policy',
    'no-referrer',
    'Cache-Control',
    'no-store',
  ]);
  res.end(html);
}

/** A raw HTTP/1.1 error response for a socket the HTTP parser gave up on (no `ServerResponse`). */
export function rawErrorResponse(status: number, message: string): string {
  const text = JSON.stringify(errorBody(status, message));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    `Content-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`
  );
}
