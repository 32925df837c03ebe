/**
 * Reading the JSON request body within a byte limit. The limit is enforced from `Content-Length`
 * before reading anything, and while streaming (chunked or lying senders): nothing past the limit is
 * ever buffered.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';

/** The outcome of reading a body: the parsed value, or the error status and message to answer. */
export type BodyResult =
  | { ok: true; value: unknown; bytes: number; /** The body's text (what `value` was parsed from). */ text: string }
  | { ok: false; status: 400 | 413; message: string }
  /** The client went away (aborted upload): there is no one to answer. */
  | { ok: false; status: 0; message: string };

/** Whether a `Content-Type` is JSON: `application/json` (any parameters; charset, if any, UTF-8). */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  if (header === 'application/json') return true; // what nearly every client sends: no parsing
  const [type = '', ...params] = header.split(';');
  if (type.trim().toLowerCase() !== 'application/json') return false;
  // JSON is UTF-8 (RFC 8259); a declared charset must agree.
  return params.every((p) => {
    const [name = '', value = ''] = p.split('=');
    return name.trim().toLowerCase() !== 'charset' || /^"?utf-8"?$/i.test(value.trim());
  });
}

/** Whether the declared `Content-Length` already exceeds `maxBytes` (checked before reading). */
export function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && Number(declared) > maxBytes;
}

const tooLarge = (maxBytes: number): BodyResult => ({ ok: false, status: 413, message: `Request body exceeds ${maxBytes} bytes` });

/**
 * Reads and parses the body, then calls `done` exactly once (synchronously when the declared length
 * is already too large). A callback, not a promise: the hot path allocates no promise and needs no
 * microtask turn. Three anonymous listeners share one state (named per-request closures cost a
 * `__name` call each under tsx). An aborted upload ends in 'close' without 'end' (reported as
 * status 0); with no 'error' listener Node does not emit its `ECONNRESET` 'aborted' error at all.
 */
export function readJsonBody(req: IncomingMessage, maxBytes: number, done: (result: BodyResult) => void): void {
  if (declaredTooLarge(req, maxBytes)) {
    done(tooLarge(maxBytes));
    return;
  }
  // Most bodies arrive as one chunk: keep it as is, and start a list only for a second one.
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  let settled = false;
  req.on('data', (chunk: Buffer) => {
    if (settled) return; // past the limit: drained and discarded until the connection closes
    size += chunk.length;
    if (size > maxBytes) {
      settled = true;
      first = undefined;
      more = undefined;
      done(tooLarge(maxBytes));
    } else if (first === undefined) first = chunk;
    else (more ??= [first]).push(chunk);
  });
  req.on('end', () => {
    if (settled) return;
    settled = true;
    done(parse(more ? Buffer.concat(more, size) : (first ?? EMPTY)));
  });
  req.on('close', () => {
    if (settled) return;
    settled = true;
    done({ ok: false, status: 0, message: 'aborted' });
  });
}

const EMPTY = Buffer.alloc(0);

function parse(bytes: Buffer): BodyResult {
  if (bytes.length === 0) return { ok: false, status: 400, message: 'Request body is required' };
  if (!isUtf8(bytes)) return { ok: false, status: 400, message: 'Request body is not valid UTF-8' };
  try {
    // JSON.parse makes `__proto__` an own property and cannot pollute prototypes; a nesting too deep
    // for the engine throws a RangeError, caught here like any syntax error.
    const text = bytes.toString('utf8');
    return { ok: true, value: JSON.parse(text) as unknown, bytes: bytes.length, text };
  } catch {
    return { ok: false, status: 400, message: 'Request body is not valid JSON' };
  }
}
