/**
 * The stateful RefX sandbox: a real HTTP server (node:http) that behaves like RefX's
 * `POST /api/v1/links/upsert` and serves the one-time links it issues.
 *
 * Routes: `POST /api/v1/links/upsert` (auth, JSON, spec validation, upsert, link), `GET /referral/:id
 * ?token=` (the hosted form; single use; 15 minutes), `GET /health`. See store.ts for the upsert rule
 * and the memory bounds, auth.ts for authentication.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ReferralUpsertLinkDto, ReferralUpsertLinkRequest } from '../../generated/schema.ts';
import { SPEC_VERSION, UPSERT_PATH } from '../spec.ts';
import { validateUpsertRequest } from '../validation.ts';
import { createAuthenticator, type AuthResult, type JwtKeyInput } from './auth.ts';
import { declaredTooLarge, isJsonContentType, readJsonBody, type BodyResult } from './body.ts';
import { linkGonePage, linkNotFoundPage, referralFormPage, STYLE_HASH } from './pages.ts';
import { endLingering, rawErrorResponse, sendError, sendHtml, sendJson, type HeaderList } from './respond.ts';
import { DraftStore } from './store.ts';

/** Options of the sandbox. */
export interface SandboxOptions {
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Port to bind; 0 picks a free one. @default 4000 */
  port?: number;
  /** Accepted API keys (`Authorization: ApiKey <key>`). With none and no `jwtKeys`, a dev key is generated. @default [] */
  apiKeys?: string[];
  /** JWT key name (the `iss` claim) → ES256 public key (PEM SPKI, CryptoKey or KeyObject). @default {} */
  jwtKeys?: Record<string, JwtKeyInput>;
  /** Clock in ms, for link expiry and JWT times. @default Date.now */
  now?: () => number;
  /** Largest accepted request body; larger gets 413. @default 102400 */
  maxBodyBytes?: number;
  /** Most drafts kept; the least recently upserted are evicted beyond it. @default 10000 */
  maxDrafts?: number;
  /** Most bytes of stored pre-fill (sum of request sizes); oldest drafts are evicted beyond it. @default 67108864 */
  maxStoredBytes?: number;
  /** Lifetime of a link, used or not. @default 900000 */
  linkTtlMs?: number;
  /** Time allowed to receive a whole request (slow bodies get 408). @default 30000 */
  requestTimeoutMs?: number;
  /** Time allowed to receive the request headers. @default 10000 */
  headersTimeoutMs?: number;
  /**
   * Receives one line per request. `false` silences the sandbox and skips the per-request log
   * bookkeeping altogether (timing, status, line building). @default writes the line to stdout
   */
  log?: ((line: string) => void) | false;
}

/** A started sandbox. */
export interface RunningSandbox {
  /** Origin the sandbox serves, e.g. `http://127.0.0.1:4000` (no trailing slash). */
  url: string;
  port: number;
  /** The accepted API keys (including the generated dev key). */
  apiKeys: readonly string[];
  /** The generated development key, when no key was configured. */
  devApiKey?: string;
  /** Stops listening and closes connections. */
  close(): Promise<void>;
  /** Numbers of stored drafts and live links. */
  stats(): { drafts: number; links: number };
}

/** The request listener of a sandbox, usable without listening (e.g. in benchmarks). */
export interface SandboxHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** The accepted API keys (including the generated dev key). */
  readonly apiKeys: readonly string[];
  readonly devApiKey: string | undefined;
  /** Sets the origin links are issued under (the server's own `http://host:port`). */
  setOrigin(origin: string): void;
  /** Numbers of stored drafts and live links. */
  stats(): { drafts: number; links: number };
  /** Logs one line for a request the HTTP parser rejected before it became a request. */
  logRejected(status: number): void;
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 4000,
  maxBodyBytes: 102_400,
  maxDrafts: 10_000,
  maxStoredBytes: 64 * 1024 * 1024,
  linkTtlMs: 15 * 60 * 1000,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
} as const;

/** Our referralIds (`ref-<uuid>`) and tokens (base64url of 32 bytes): anything else is not a link. */
const REFERRAL_ID = /^ref-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const REFERRAL_PREFIX = '/referral/';

/** The wall-clock time for log lines, formatted at most once per millisecond. */
let lastMs = 0;
let lastIso = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

const defaultLog = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Formats an origin for a bound address (IPv6 in brackets). */
export function originOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Builds the request listener: imports the JWT keys, generates the dev key if needed, creates the
 * store. Links are issued under `origin` (settable later, once the port is known).
 */
export async function createSandboxHandler(options: SandboxOptions & { origin?: string } = {}): Promise<SandboxHandler> {
  const now = options.now ?? Date.now;
  // Undefined when silenced: then no request does any log bookkeeping.
  const log = options.log === false ? undefined : (options.log ?? defaultLog);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  const jwtKeys = options.jwtKeys ?? {};
  const configuredKeys = (options.apiKeys ?? []).filter((k) => k !== '');
  configuredKeys.forEach((key, i) => {
    // Never print the key itself, only its position.
    if (/\s/.test(key)) throw new Error(`API key #${i + 1} contains whitespace`);
  });
  const devApiKey =
    configuredKeys.length === 0 && Object.keys(jwtKeys).length === 0
      ? `sbx_dev_${randomBytes(24).toString('base64url')}`
      : undefined;
  const apiKeys = Object.freeze(devApiKey ? [devApiKey] : configuredKeys);
  const authenticate = await createAuthenticator({ apiKeys, jwtKeys, now });
  const store = new DraftStore({
    now,
    linkTtlMs: options.linkTtlMs ?? DEFAULTS.linkTtlMs,
    maxDrafts: options.maxDrafts ?? DEFAULTS.maxDrafts,
    maxStoredBytes: options.maxStoredBytes ?? DEFAULTS.maxStoredBytes,
  });
  let origin = options.origin ?? originOf(options.host ?? DEFAULTS.host, options.port ?? DEFAULTS.port);

  // Request ids: a per-process prefix and a counter; cheap, unique, and not client input.
  const idPrefix = randomBytes(3).toString('hex');
  let counter = 0;

  const WWW_AUTHENTICATE: HeaderList = ['WWW-Authenticate', 'ApiKey, Bearer'];
  const CLOSE: HeaderList = ['Connection', 'close'];

  // The upsert runs synchronously from the request head to the answer wherever it can: auth by API
  // key is synchronous and the body is read with a callback, so the hot path makes no promise and
  // waits for no microtask (an async function cost several µs per request). A JWT check is the one
  // asynchronous step (WebCrypto).
  const upsert = (req: IncomingMessage, res: ServerResponse, id: string): void => {
    // Node keeps the first of repeated Authorization headers and drops the rest, so a proxy checking
    // another one would disagree with the sandbox about who is calling: refuse the request instead.
    // Counted on rawHeaders: `req.headersDistinct` would build a second header object per request.
    const raw = req.rawHeaders;
    let authorizations = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === 13 && name.toLowerCase() === 'authorization') authorizations++;
    }
    if (authorizations > 1) {
      return sendError(res, id, 401, 'Invalid Authorization header (sent more than once)', WWW_AUTHENTICATE);
    }
    const auth = authenticate(req.headers.authorization);
    if (auth instanceof Promise) {
      auth.then(
        (result) => authenticated(req, res, id, result),
        (error: unknown) => internalError(res, id, error),
      );
      return;
    }
    authenticated(req, res, id, auth);
  };

  const authenticated = (req: IncomingMessage, res: ServerResponse, id: string, auth: AuthResult): void => {
    if (!auth.ok) return sendError(res, id, 401, auth.message, WWW_AUTHENTICATE);
    if (!isJsonContentType(req.headers['content-type'])) {
      return sendError(res, id, 400, 'Content-Type must be application/json');
    }
    if (!declaredTooLarge(req, maxBodyBytes) && req.headers.expect?.toLowerCase() === '100-continue') {
      res.writeContinue();
    }
    readJsonBody(req, maxBodyBytes, (body) => {
      // Called from a stream event: a throw here would be uncaught.
      try {
        answer(res, id, body);
      } catch (error) {
        internalError(res, id, error);
      }
    });
  };

  const answer = (res: ServerResponse, id: string, body: BodyResult): void => {
    if (!body.ok) {
      if (body.status === 0) return; // aborted: nobody to answer
      // Do not parse the rest: answer and close the connection (once the client stops sending, or
      // after a short linger: see endAfterRequest in respond.ts).
      if (body.status === 413) return sendError(res, id, 413, body.message, CLOSE);
      return sendError(res, id, body.status, body.message);
    }
    const result = validateUpsertRequest(body.value);
    if (!result.ok) return sendError(res, id, 400, result.violations.map((v) => v.message));
    const link = store.upsert(body.value as ReferralUpsertLinkRequest, body.bytes, body.text);
    const dto: ReferralUpsertLinkDto = {
      referralId: link.referralId,
      url: `${origin}${REFERRAL_PREFIX}${link.referralId}?token=${link.token}`,
      type: 'upsert',
    };
    sendJson(res, id, 200, dto);
  };

  const visit = (res: ServerResponse, id: string, referralId: string, query: string): void => {
    const token = new URLSearchParams(query).get('token');
    if (!REFERRAL_ID.test(referralId) || token === null || !TOKEN.test(token)) {
      return sendHtml(res, id, 404, linkNotFoundPage(), STYLE_HASH);
    }
    // Unknown id, wrong token, used, expired or replaced: all the same 410 (nothing to tell apart
    // without the token, and the user's next step is the same: request a new link).
    const found = store.visit(referralId, token);
    if (!found.ok) return sendHtml(res, id, 410, linkGonePage(), STYLE_HASH);
    sendHtml(res, id, 200, referralFormPage(referralId, found.prefill), STYLE_HASH);
  };

  const internalError = (res: ServerResponse, id: string, error: unknown): void => {
    // Only the error's class: a message could quote request data.
    log?.(`internal error (${error instanceof Error ? error.name : typeof error})`);
    if (!res.headersSent) sendError(res, id, 500, 'Internal sandbox error');
    else res.destroy();
  };

  const notAllowed = (res: ServerResponse, id: string, method: string, allow: string): void =>
    sendError(res, id, 405, `Method ${method} not allowed`, ['Allow', allow]);

  const handler = ((req: IncomingMessage, res: ServerResponse): void => {
    const id = `${idPrefix}-${(++counter).toString(36)}`;
    const method = req.method ?? '-';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    // The logged path is the matched route, never raw client input (it could hold anything).
    let logPath = '(unmatched)';
    if (log) {
      const started = performance.now();
      // 'close' is emitted once per response: after 'finish', or when the connection dies first
      // (`on`, not `once`: no wrapper to build and unhook).
      res.on('close', () => {
        const status = res.writableFinished ? String(res.statusCode) : `${res.headersSent ? res.statusCode : '-'}(aborted)`;
        log(`${isoNow()} ${id} ${method} ${logPath} ${status} ${(performance.now() - started).toFixed(1)}ms`);
      });
    }

    try {
      if (path === UPSERT_PATH) {
        logPath = UPSERT_PATH;
        if (method !== 'POST') return notAllowed(res, id, method, 'POST');
        return upsert(req, res, id);
      }
      if (path.startsWith(REFERRAL_PREFIX) && !path.includes('/', REFERRAL_PREFIX.length)) {
        const referralId = path.slice(REFERRAL_PREFIX.length);
        logPath = REFERRAL_ID.test(referralId) ? path : `${REFERRAL_PREFIX}(invalid)`;
        // Only GET: a HEAD or a prefetch by another method must not use the link up.
        if (method !== 'GET') return notAllowed(res, id, method, 'GET');
        return visit(res, id, referralId, q < 0 ? '' : url.slice(q + 1));
      }
      if (path === '/health') {
        logPath = path;
        if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, id, method, 'GET, HEAD');
        return sendJson(res, id, 200, { status: 'ok', service: 'refx-sandbox', specVersion: SPEC_VERSION, ...store.stats() });
      }
      sendError(res, id, 404, 'Not found');
    } catch (error) {
      internalError(res, id, error);
    }
  }) as SandboxHandler;

  return Object.assign(handler, {
    apiKeys,
    devApiKey,
    setOrigin: (value: string) => {
      origin = value;
    },
    stats: () => store.stats(),
    logRejected: (status: number) => log?.(`${isoNow()} - - (unparsed) ${status} -`),
  });
}

/** Starts the sandbox on `host:port` (default 127.0.0.1:4000); rejects if the port is in use. */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const host = options.host ?? DEFAULTS.host;
  const requestTimeout = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? DEFAULTS.headersTimeoutMs, requestTimeout);
  const handler = await createSandboxHandler(options);
  const server: Server = createServer(
    {
      requestTimeout,
      headersTimeout,
      keepAliveTimeout: 5_000,
      // How often Node checks the two timeouts above (its default, 30 s, would make them coarse).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 2))),
    },
    handler,
  );
  // Expect: 100-continue goes through the same handler, which answers 401/413 before any continue.
  server.on('checkContinue', handler);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    // An answer already complete on the wire, waiting for the rest of its request's body: end it,
    // then answer the unparseable rest like any other (instead of resetting the client's answer).
    const answered = inFlight !== undefined && endLingering(inFlight);
    if (error.code === 'ECONNRESET' || !socket.writable || (!answered && inFlight?.headersSent)) {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    handler.logRejected(status);
    socket.end(rawErrorResponse(status, status === 408 ? 'Request timeout' : 'Malformed HTTP request'));
  });

  // Without a listener Node drops a CONNECT (proxy tunnel) request without a word: answer it.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    handler.logRejected(405);
    socket.end(rawErrorResponse(405, 'Method CONNECT not allowed'));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = originOf(host, port);
  handler.setOrigin(url);

  return {
    url,
    port,
    apiKeys: handler.apiKeys,
    ...(handler.devApiKey ? { devApiKey: handler.devApiKey } : {}),
    stats: () => handler.stats(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
        // Requests still in flight get a short grace period, then their connections are closed.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
