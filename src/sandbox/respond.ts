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
  endAfterRequest(res, text);
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
  endAfterRequest(res, html);
}

/** How long an answered request may go on sending its body before the response ends anyway. */
export const LINGER_MS = 1_000;

/**
 * Sends `body` and ends the response, but only once the request has been received, or after
 * {@link LINGER_MS}. Why: an answer sent before the body (401, 404, 405, 413, …) ends a connection
 * the client asked to close, or one Node closes itself (`Expect: 100-continue` answered without 100
 * Continue, or our own `Connection: close` on 413). Node closes the socket as soon as the response
 * is flushed; bytes the client is still sending then meet a closed socket, the kernel answers with
 * a reset, and the client sees EPIPE/ECONNRESET, often before it has read the answer (RFC 9112
 * §9.6: a server should half-close and keep reading until the client is done). The whole answer
 * goes out at once here (its Content-Length is set), and the rest of the body is read and
 * discarded meanwhile. The upsert hot path answers after the body's end, so it ends at once.
 */
function endAfterRequest(res: ServerResponse, body: string): void {
  const req = res.req;
  // Without Content-Length or Transfer-Encoding a request has no body (RFC 9112 §6.3), whatever
  // bytes follow it: those are the next request's.
  const framed = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  if (req.complete || req.destroyed || !framed) {
    res.end(body);
    return;
  }
  res.write(body);
  const end = (): void => {
    if (!lingering.delete(res)) return;
    clearTimeout(timer);
    res.end();
  };
  lingering.set(res, end);
  const timer = setTimeout(end, LINGER_MS);
  req.once('end', end);
  req.once('close', end);
  req.resume();
}

/** Responses fully written and waiting for their request's body, with the function that ends them. */
const lingering = new WeakMap<ServerResponse, () => void>();

/**
 * Ends a response that is waiting for its request's body (see endAfterRequest), e.g. when the HTTP
 * parser gives up on that body: the answer is already complete on the wire. False if `res` is not
 * waiting.
 */
export function endLingering(res: ServerResponse): boolean {
  const end = lingering.get(res);
  end?.();
  return end !== undefined;
}

/** A raw HTTP/1.1 error response for a socket the HTTP parser gave up on (no `ServerResponse`). */
export function rawErrorResponse(status: number, message: string): string {
  const text = JSON.stringify(errorBody(status, message));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    `Content-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`
  );
}
