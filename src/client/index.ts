/**
 * The typed RefX client: `POST /api/v1/links/upsert` on openapi-fetch, typed by the generated
 * `paths`, with the body checked by the one spec validator (src/validation.ts) before it leaves the
 * process, and every outcome either a typed result (200, 400, 401) or a `RefxClientError`.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { ErrorBody, operations, paths, ReferralUpsertLinkDto, ReferralUpsertLinkRequest } from '../../generated/schema.ts';
import { SPEC_VERSION } from '../spec.ts';
import { DOCUMENTED_STATUSES, validateUpsertRequest, validateUpsertResponse } from '../validation.ts';
import { createTarget, TransportError, type HttpRequest } from '../transport.ts';
import { createAuthorizationProvider, type RefxAuth } from './auth.ts';
import {
  RefxClientError,
  RefxNetworkError,
  RefxResponseValidationError,
  RefxTimeoutError,
  RefxUnexpectedStatusError,
  RefxValidationError,
} from './errors.ts';

export * from './errors.ts';
export { createAuthorizationProvider, normaliseApiKey, type AuthorizationProvider, type RefxAuth } from './auth.ts';

/** Options of {@link createRefxClient}. */
export interface RefxClientOptions {
  /** Where RefX is, e.g. `https://refer-staging.health.gov.sg` or the local sandbox `http://127.0.0.1:4000`. */
  baseUrl: string;
  /** The credentials: `{ apiKey }` or `{ jwt: { keyName, privateKey, subject? } }`. */
  auth: RefxAuth;
  /**
   * The fetch to send requests with (inject one for tests or a proxy-aware agent). It gets a WHATWG
   * `Request` with an `AbortSignal` carrying the timeout.
   * @default the kit's transport (src/transport.ts: a keep-alive undici pool per origin, the timeout
   * as a deadline on the whole exchange, answers capped at 1 MiB)
   */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * Milliseconds until a call that has not received its whole response is aborted with `RefxTimeoutError`.
   * @default 10_000
   */
  timeoutMs?: number;
  /**
   * Check each request body against the spec before sending; an invalid one throws
   * `RefxValidationError` and is never sent.
   * @default true
   */
  validate?: boolean;
  /**
   * Check each documented response's body against the spec's schema for its status; a mismatch throws
   * `RefxResponseValidationError`. (A 200 that is not JSON always throws it.)
   * @default false
   */
  validateResponses?: boolean;
  /**
   * Clock in milliseconds for JWT `iat`/`exp`, for tests.
   * @default Date.now
   */
  now?: () => number;
}

/** Per-call options of `createUpsertLink`. */
export interface RefxCallOptions {
  /** Aborts the call; the signal's reason is thrown as is (it is not a `RefxClientError`). */
  signal?: AbortSignal;
}

type UpsertResponses = operations['createUpsertLink']['responses'];
/** The documented error statuses of the upsert operation (every documented status but 200). */
export type UpsertLinkErrorStatus = Exclude<keyof UpsertResponses, 200>;

/** The outcome of `createUpsertLink`, discriminated by `ok` (and `status`). */
export type CreateUpsertLinkResult =
  | {
      ok: true;
      status: 200;
      /** The one-time link: single use, expires 15 minutes after creation. */
      link: ReferralUpsertLinkDto;
      /** The response's `x-request-id` header, when the server sends one. */
      requestId?: string;
    }
  | {
      ok: false;
      status: UpsertLinkErrorStatus;
      /** The documented error body (`{}` when the server sent none or a non-JSON one). */
      error: ErrorBody;
      /** The response's `x-request-id` header, when the server sends one. */
      requestId?: string;
    };

/** A RefX client bound to one base URL and one set of credentials. */
export interface RefxClient {
  /**
   * `POST /api/v1/links/upsert`: creates (or updates) a draft referral and returns a one-time link to
   * RefX's pre-filled referral form. Resolves to the typed link (200) or the typed error (400, 401);
   * throws a `RefxClientError` for an invalid body (`invalid_request`, nothing sent), an undocumented
   * status, a network failure, a timeout or a response that breaks the spec.
   */
  createUpsertLink(body: ReferralUpsertLinkRequest, init?: RefxCallOptions): Promise<CreateUpsertLinkResult>;
  /** `info.version` of the spec this client was generated from. */
  readonly specVersion: string;
}

const UPSERT_PATH = '/api/v1/links/upsert';
const DEFAULT_TIMEOUT_MS = 10_000;

/** The `code` of a Node network error (`ECONNREFUSED`, …), looked for along the `cause` chain. */
function networkReason(error: unknown): string {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    // Only an error *code*: messages of a custom fetch could quote anything.
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) return code;
  }
  return 'no response; details in error.cause';
}

/**
 * What openapi-fetch builds per call when no custom fetch is given: URL, method, headers, body and
 * signal as they are, sent by the kit's own transport (see `createTransportFetch`). A WHATWG
 * `Request` would be built twice (by openapi-fetch, then again inside `fetch(request)`, where
 * Node's undici pipes the body through a TransformStream): ~100 µs of CPU per call.
 */
class PlainRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: RequestInit['body'];
  readonly signal: AbortSignal | undefined;
  /** Same arguments as `new Request(url, init)`. */
  constructor(url: string, init: RequestInit = {}) {
    this.url = url;
    this.method = init.method ?? 'GET';
    this.headers = new Headers(init.headers);
    this.body = init.body;
    this.signal = init.signal ?? undefined;
  }
}

/** Statuses whose response has no body (a `Response` with one cannot be built). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The default way a call goes out: the kit's HTTP transport (src/transport.ts: a keep-alive
 * undici pool per origin, a deadline on the whole exchange, a 1 MiB cap on the answer), answering
 * openapi-fetch with a standard `Response`. Against the global `fetch` it halves the client's CPU
 * per call, and the timeout is the transport's deadline instead of an `AbortSignal` per call (a
 * signal into fetch cost ~35 µs a call: `npm run bench`, client row). A caller's signal still
 * aborts the exchange.
 */
function createTransportFetch(timeoutMs: number): (request: PlainRequest) => Promise<Response> {
  // The transport's own cap (1 MiB) holds: RefX's answers are a few hundred bytes.
  const transport = createTarget({ timeoutMs });
  return async (request) => {
    if (request.body !== undefined && request.body !== null && typeof request.body !== 'string') {
      throw new TypeError('the RefX client sends JSON text bodies only');
    }
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const req: HttpRequest = { method: request.method, url: request.url, headers, ...(typeof request.body === 'string' ? { body: request.body } : {}) };
    const res = await transport.sendRequest(req, request.signal ? { signal: request.signal } : undefined);
    return new Response(NULL_BODY_STATUSES.has(res.status) ? null : res.bodyText, { status: res.status, headers: res.headers });
  };
}

/** A plain JSON object, the only shape an error body can have. */
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Creates a typed RefX client.
 * @example
 * const refx = createRefxClient({ baseUrl: 'http://127.0.0.1:4000', auth: { apiKey: process.env.REFX_API_KEY! } });
 * const result = await refx.createUpsertLink(body);
 * if (result.ok) open(result.link.url); else console.error(result.status, result.error.message);
 */
export function createRefxClient(options: RefxClientOptions): RefxClient {
  const { baseUrl, auth, fetch, timeoutMs = DEFAULT_TIMEOUT_MS, validate = true, validateResponses = false, now } = options;
  let origin: string;
  try {
    const url = new URL(baseUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
    origin = url.origin; // never the user-info part, which could hold credentials
  } catch {
    throw new TypeError('baseUrl must be an absolute http(s) URL');
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number');

  // Throws now for credentials that are unusable on their face (an empty key), not on the first call.
  const authorization = createAuthorizationProvider(auth, { now });
  const authMiddleware: Middleware = {
    async onRequest({ request }) {
      request.headers.set('Authorization', await authorization());
      return request;
    },
  };
  // Without a custom fetch, openapi-fetch gets a plain request and the kit's transport: see PlainRequest.
  const client = createClient<paths>(
    fetch ? { baseUrl, fetch } : { baseUrl, Request: PlainRequest as unknown as typeof Request, fetch: createTransportFetch(timeoutMs) as never },
  );
  client.use(authMiddleware);

  async function createUpsertLink(body: ReferralUpsertLinkRequest, init: RefxCallOptions = {}): Promise<CreateUpsertLinkResult> {
    if (validate) {
      const result = validateUpsertRequest(body);
      if (!result.ok) throw new RefxValidationError(result.violations);
    }
    init.signal?.throwIfAborted();

    // The default transport keeps the deadline itself. A custom fetch gets it as a signal: our own
    // timer rather than AbortSignal.timeout(), cleared as soon as the call ends, and
    // `timedOut.signal.aborted` tells a timeout apart from the caller's abort.
    const timedOut = fetch ? new AbortController() : undefined;
    const timer = timedOut && setTimeout(() => timedOut.abort(), timeoutMs);
    const signal = timedOut && init.signal ? AbortSignal.any([timedOut.signal, init.signal]) : (timedOut?.signal ?? init.signal);

    let outcome;
    try {
      // parseAs 'text': openapi-fetch would JSON.parse a 2xx itself and throw a bare SyntaxError
      // whose message quotes the body (possibly the link); parsing here keeps the status and the
      // secrecy. Error bodies it parses (or leaves as text) itself.
      outcome = await client.POST(UPSERT_PATH, { body, ...(signal ? { signal } : {}), parseAs: 'text' });
    } catch (error) {
      if (error instanceof RefxClientError) throw error; // from the auth middleware
      if (init.signal?.aborted) throw init.signal.reason;
      if (timedOut?.signal.aborted || (error instanceof TransportError && error.code === 'ETIMEDOUT')) throw new RefxTimeoutError(timeoutMs);
      throw new RefxNetworkError(origin, networkReason(error), error);
    } finally {
      clearTimeout(timer);
    }

    const { response } = outcome;
    const status = response.status;
    const requestId = response.headers.get('x-request-id') ?? undefined;

    if (status === 200) {
      let link: unknown;
      try {
        link = JSON.parse(outcome.data ?? '');
      } catch {
        throw new RefxResponseValidationError(status, [{ pointer: '', rule: 'json', message: '(body) must be JSON' }]);
      }
      if (validateResponses) {
        const result = validateUpsertResponse(status, link);
        if (!result.ok) throw new RefxResponseValidationError(status, result.violations);
      }
      return { ok: true, status, link: link as ReferralUpsertLinkDto, ...(requestId ? { requestId } : {}) };
    }

    if (!DOCUMENTED_STATUSES.includes(String(status))) throw new RefxUnexpectedStatusError(status, DOCUMENTED_STATUSES);
    const errorBody: unknown = outcome.error;
    if (validateResponses) {
      const result = validateUpsertResponse(status, errorBody);
      if (!result.ok) throw new RefxResponseValidationError(status, result.violations);
    }
    return {
      ok: false,
      status: status as UpsertLinkErrorStatus,
      error: isObject(errorBody) ? (errorBody as ErrorBody) : {},
      ...(requestId ? { requestId } : {}),
    };
  }

  return { createUpsertLink, specVersion: SPEC_VERSION };
}

export type { ErrorBody, ReferralUpsertLinkDto, ReferralUpsertLinkRequest };
