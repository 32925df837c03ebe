/**
 * The target behind a small adapter: one keep-alive HTTP agent, a per-request timeout and a
 * response-size cap, so a slow, endless or huge answer ends as a clear failure, never a hang.
 */
import http from 'node:http';
import https from 'node:https';

/** A request as the run sends it (and as the curl reproducer prints it). */
export interface HttpRequest {
  /** HTTP method. */
  method: string;
  /** Absolute URL. */
  url: string;
  /** Request headers (lower-case names). */
  headers: Record<string, string>;
  /** Body text, if any. */
  body?: string;
}

/** What came back. `body` is the parsed JSON, or `undefined` when the text is not JSON. */
export interface HttpResponse {
  /** HTTP status. */
  status: number;
  /** Response headers (lower-case names, joined when repeated). */
  headers: Record<string, string>;
  /** Parsed JSON body, `undefined` when absent or not JSON. */
  body: unknown;
  /** Raw body text. */
  bodyText: string;
}

/** A request that got no usable response (refused, reset, timed out, too large). */
export class TransportError extends Error {
  /** `ECONNREFUSED`, `ETIMEDOUT`, `ETOOLARGE`, … */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
  }
}

/** Options of {@link createTarget}. */
export interface TargetOptions {
  /** Deadline for each whole exchange (connect to last byte of the answer), in ms. @default 10000 */
  timeoutMs?: number;
  /** Largest response body accepted, in bytes. @default 1048576 (1 MiB) */
  maxResponseBytes?: number;
  /** Sockets kept open to the target. @default 16 */
  maxSockets?: number;
}

/** The adapter every check sends through. */
export interface Target {
  /** Sends one request. Rejects with {@link TransportError} when no usable response arrives. */
  sendRequest(req: HttpRequest): Promise<HttpResponse>;
  /** Closes the kept-alive sockets. */
  close(): void;
}

/** Creates the HTTP adapter for a target. */
export function createTarget(options: TargetOptions = {}): Target {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
  const maxSockets = options.maxSockets ?? 16;
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets }),
    'https:': new https.Agent({ keepAlive: true, maxSockets }),
  };

  function sendRequest(req: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const url = new URL(req.url);
      const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
      const lib = url.protocol === 'https:' ? https : http;
      const headers: Record<string, string | number> = { ...req.headers };
      if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
      const request = lib.request(url, { method: req.method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            request.destroy(new TransportError('ETOOLARGE', `response body exceeded ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => reject(toTransportError(err)));
        res.on('end', () => {
          const bodyText = Buffer.concat(chunks).toString('utf8');
          const responseHeaders: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
          }
          resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: parseJson(bodyText), bodyText });
        });
      });
      // A deadline on the whole exchange, not only an idle timeout (request.setTimeout): a target
      // that sends one byte now and then would otherwise keep the run going forever.
      const deadline = setTimeout(() => {
        request.destroy(new TransportError('ETIMEDOUT', `no complete response within ${timeoutMs} ms`));
      }, timeoutMs);
      request.on('close', () => clearTimeout(deadline));
      request.on('error', (err) => reject(toTransportError(err)));
      request.end(req.body);
    });
  }

  return {
    sendRequest,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toTransportError(err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  const code = (err as { code?: string }).code ?? 'EUNKNOWN';
  return new TransportError(code, `${code}: ${(err as Error).message}`);
}
