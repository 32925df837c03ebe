/**
 * The kit's HTTP transport, used by the verifier (every check sends through it) and by the typed
 * client (its default way out): one keep-alive connection pool per origin (undici, the HTTP
 * client Node's own fetch is built on, driven through its low-level dispatch API), a deadline on
 * each whole exchange and a response-size cap, so a slow, endless or huge answer ends as a clear
 * failure, never a hang. Errors carry Node's classic codes (`ECONNREFUSED`, `ECONNRESET`,
 * `ETIMEDOUT`, `HPE_…`), whichever client produced them.
 *
 * Why undici's dispatcher rather than `node:http` or `fetch`: the transport is most of a
 * verification run's client CPU and of a client call's, and the same exchanges cost about half as
 * much through it (bench verify and client rows).
 */
import { createRequire } from 'node:module';
import type { Dispatcher, Pool as UndiciPool } from 'undici';

// undici's Pool alone, not its index: the index also loads fetch, WebSocket, caches and mocks
// (~190 ms at the start of every CLI run here, against ~50 ms). The version is pinned in
// package.json; every transport test goes through this Pool.
const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
type Pool = UndiciPool;

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

/** Per-request options of {@link Target.sendRequest}. */
export interface SendOptions {
  /** Aborts the exchange: the promise rejects with the signal's reason, as it is. */
  signal?: AbortSignal;
}

/** The adapter every check sends through. */
export interface Target {
  /** Sends one request. Rejects with {@link TransportError} when no usable response arrives. */
  sendRequest(req: HttpRequest, options?: SendOptions): Promise<HttpResponse>;
  /** Closes the kept-alive sockets. */
  close(): void;
}

/** Where a request URL goes: its pool, path and (from userinfo) Basic credentials. Parsed once per URL. */
interface Route {
  pool: Pool;
  path: string;
  basic?: string;
}

/** Creates the HTTP adapter for a target. */
export function createTarget(options: TargetOptions = {}): Target {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
  const maxSockets = options.maxSockets ?? 16;
  const pools = new Map<string, Pool>();
  // A run sends thousands of requests to a handful of URLs: parse each once.
  const routes = new Map<string, Route>();
  let closed = false;

  function routeOf(href: string): Route {
    let route = routes.get(href);
    if (route) return route;
    const url = new URL(href);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TransportError('EPROTO', `unsupported protocol ${url.protocol}`);
    let pool = pools.get(url.origin);
    if (!pool) {
      // Timeouts are ours (one deadline per exchange); undici's idle ones are off.
      pool = new Pool(url.origin, { connections: maxSockets, headersTimeout: 0, bodyTimeout: 0, connectTimeout: timeoutMs });
      pools.set(url.origin, pool);
    }
    route = { pool, path: `${url.pathname}${url.search}` };
    // As node:http does: userinfo in the URL is sent as Basic credentials when the request sets none.
    if (url.username !== '' || url.password !== '') {
      route.basic = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    }
    if (routes.size < 1_000) routes.set(href, route);
    return route;
  }

  function sendRequest(req: HttpRequest, sendOptions?: SendOptions): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      if (closed) return reject(new TransportError('ECLOSED', 'the target adapter is closed'));
      const signal = sendOptions?.signal;
      if (signal?.aborted) return reject(signal.reason);
      let route: Route;
      try {
        route = routeOf(req.url);
      } catch (err) {
        return reject(err instanceof TransportError ? err : new TransportError('EINVAL', `invalid URL: ${(err as Error).message}`));
      }
      const exchange = new Exchange(resolve, reject, timeoutMs, maxBytes, signal);
      const headers = route.basic !== undefined && req.headers.authorization === undefined ? { ...req.headers, authorization: route.basic } : req.headers;
      try {
        route.pool.dispatch({ method: req.method, path: route.path, headers, body: req.body }, exchange);
      } catch (err) {
        exchange.fail(toTransportError(err));
      }
    });
  }

  return {
    sendRequest,
    close() {
      closed = true;
      for (const pool of pools.values()) void pool.destroy().catch(() => undefined);
      pools.clear();
      routes.clear();
    },
  };
}

/**
 * One exchange: undici's handler, the deadline and the caller's signal in one object. Its methods
 * live on the prototype, so a request allocates this object and no closures (each named per-request
 * closure also cost a `__name` call under tsx: ~3 µs a request here).
 */
class Exchange implements Dispatcher.DispatchHandler {
  #settled = false;
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #headers: Record<string, string> = {};
  #chunks: Buffer[] = [];
  #size = 0;
  readonly #deadline: ReturnType<typeof setTimeout>;

  constructor(
    private readonly resolve: (res: HttpResponse) => void,
    private readonly reject: (err: unknown) => void,
    private readonly timeoutMs: number,
    private readonly maxBytes: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    // A deadline on the whole exchange, not an idle timeout: a target that sends one byte now and
    // then would otherwise keep the run going forever.
    this.#deadline = setTimeout(expire, timeoutMs, this);
    // The exchange is the listener (its handleEvent), so no closure is made for it.
    signal?.addEventListener('abort', this, { once: true });
  }

  /** Marks the exchange settled (false if it already was): the first outcome wins; the deadline and the signal are let go. */
  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    clearTimeout(this.#deadline);
    this.signal?.removeEventListener('abort', this);
    return true;
  }

  /** Settles with `err` (the first outcome wins) and aborts the exchange if it is under way. */
  fail(err: unknown, abortWith?: Error): void {
    if (!this.#settle()) return;
    this.reject(err);
    if (abortWith) this.#controller?.abort(abortWith);
  }

  /** The deadline passed. */
  expire(): void {
    this.fail(new TransportError('ETIMEDOUT', `no complete response within ${this.timeoutMs} ms`), new TransportError('ETIMEDOUT', 'deadline'));
  }

  /** The caller's signal aborted: reject with its reason, as it is. */
  handleEvent(): void {
    this.fail(this.signal!.reason, new TransportError('ECANCELED', 'aborted by the caller'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#settled) controller.abort(new TransportError('ECANCELED', 'settled before it started'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, responseHeaders: Record<string, string | string[] | undefined>): void {
    // 1xx answers come before the real one: keep only the last status and headers.
    this.#status = statusCode;
    const headers: Record<string, string> = {};
    for (const name in responseHeaders) {
      const v = responseHeaders[name];
      if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v;
    }
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > this.maxBytes) {
      this.#chunks = [];
      this.fail(new TransportError('ETOOLARGE', `response body exceeded ${this.maxBytes} bytes`), new TransportError('ETOOLARGE', 'size cap'));
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (!this.#settle()) return;
    const chunks = this.#chunks;
    const bodyText = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.resolve({ status: this.#status, headers: this.#headers, body: parseJson(bodyText), bodyText });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(toTransportError(err));
  }
}

/** setTimeout's callback for a deadline (module level: no closure per request). */
function expire(exchange: Exchange): void {
  exchange.expire();
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** undici's own error codes, as the classic codes the rest of the kit (and its users) know. */
const UNDICI_CODES: Record<string, string> = {
  UND_ERR_SOCKET: 'ECONNRESET',
  UND_ERR_CONNECT_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_HEADERS_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_BODY_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_CLOSED: 'ECLOSED',
  UND_ERR_DESTROYED: 'ECLOSED',
};

function toTransportError(err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  // A network error (ECONNREFUSED, ECONNRESET, ENOTFOUND, …) may ride as undici's cause.
  const native = e.cause?.code && /^E[A-Z]+$/.test(e.cause.code) ? e.cause.code : undefined;
  // llhttp's parse errors (the answer is not HTTP): HPE_… where llhttp names one, else EPROTO.
  const notHttp = (err as Error).name === 'HTTPParserError';
  const raw = e.code ?? (notHttp ? 'EPROTO' : 'EUNKNOWN');
  const code = native ?? UNDICI_CODES[raw] ?? raw;
  const message = notHttp ? `not a valid HTTP response: ${e.message ?? ''}` : (e.message ?? String(err));
  return new TransportError(code, `${code}: ${message}`);
}
