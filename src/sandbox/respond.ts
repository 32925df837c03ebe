/**
 * Response helpers of the sandbox: every error is the spec's `ErrorBody` as JSON, every page carries
 * the same security headers. Kept free of routing so the hot path is a handful of `setHeader` calls.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { ErrorBody } from '../../generated/schema.ts';

/** The content type of every JSON response. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** Sends `body` as JSON with `status`. Extra headers (e.g. `Allow`) are set first. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  if (headers) for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(text);
}

/** The NestJS-style error body the spec documents (`{statusCode, message, error}`). */
export function errorBody(status: number, message: string | string[]): ErrorBody {
  return { statusCode: status, message, error: STATUS_CODES[status] ?? 'Error' };
}

/** Sends the documented error body. Messages never echo client values (they may be patient data). */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string | string[],
  headers?: Record<string, string>,
): void {
  sendJson(res, status, errorBody(status, message), headers);
}

/**
 * Sends an HTML page. The CSP allows nothing but the page's own stylesheet (by hash): no scripts,
 * no external resources, no form submission; framing stays allowed because RefX links are meant to
 * be opened in an iframe too.
 */
export function sendHtml(res: ServerResponse, status: number, html: string, styleHash: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; style-src '${styleHash}'; img-src 'none'; form-action 'none'; base-uri 'none'`,
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
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
