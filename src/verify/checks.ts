/**
 * The checks, named after the rule each enforces, and the response-conformance rules applied to
 * every response (schemathesis-style: `status_code_conformance` raises `UndefinedStatusCode`).
 */
import { DOCUMENTED_STATUSES, validateUpsertResponse } from '../validation.ts';
import type { HttpResponse } from '../transport.ts';

/** Every check a run reports, in summary order. */
export const CHECK_NAMES = [
  'examples_accepted',
  'valid_data_accepted',
  'invalid_data_rejected',
  'auth_required',
  'no_server_errors',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'link_is_absolute_url',
  'stateful_upsert',
  'link_single_use',
  'constraint_coverage',
  'dredd',
] as const;

/** The name of a check. */
export type CheckName = (typeof CHECK_NAMES)[number];

/** The outcome of one check on one response or case. */
export interface Outcome {
  /** The check. */
  check: CheckName;
  /** `undefined` when the check held; otherwise what went wrong. */
  violation?: {
    /** Violation name, e.g. `UndefinedStatusCode`. */
    name: string;
    /** JSON pointer into the response (or request) body. */
    pointer: string;
    /** What the spec requires. */
    expected: string;
    /** What happened (never request data; response values only where they cannot be patient data). */
    actual: string;
  };
}

// One shared, frozen "held" outcome per check: responseConformance runs on every response, and
// these were a handful of fresh objects each time.
const OK = Object.fromEntries(CHECK_NAMES.map((name) => [name, Object.freeze({ check: name })])) as Record<CheckName, Outcome>;
const ok = (check: CheckName): Outcome => OK[check];
const bad = (check: CheckName, name: string, pointer: string, expected: string, actual: string): Outcome => ({
  check,
  violation: { name, pointer, expected, actual },
});

/** Media type of a `content-type` header, lower-cased, without parameters. */
export function mediaType(header: string | undefined): string {
  if (header === undefined) return '';
  // Called on every response: slice up to the first `;` instead of splitting the whole value.
  const semicolon = header.indexOf(';');
  return (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

const isJsonMedia = (type: string): boolean => type === 'application/json' || /^application\/[^/]+\+json$/.test(type);

function describeValue(value: unknown, showStrings: boolean): string {
  if (value === undefined) return 'absent';
  if (typeof value === 'string') return showStrings && value.length <= 200 ? JSON.stringify(value) : `a string of ${value.length} characters`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function valueAt(body: unknown, pointer: string): unknown {
  if (pointer === '') return body;
  return pointer
    .slice(1)
    .split('/')
    .reduce<unknown>((n, k) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), body);
}

/**
 * The rules every response must follow: no 5xx, a documented status, a JSON content type, a body
 * valid against that status's schema, and (on 200) a `url` that is an absolute http(s) URL.
 */
export function responseConformance(res: HttpResponse): Outcome[] {
  const out: Outcome[] = [];
  out.push(res.status >= 500 ? bad('no_server_errors', 'ServerError', '', 'a status below 500', `status ${res.status}`) : ok('no_server_errors'));
  const status = String(res.status);
  if (!DOCUMENTED_STATUSES.includes(status)) {
    out.push(bad('status_code_conformance', 'UndefinedStatusCode', '', `one of ${DOCUMENTED_STATUSES.join(', ')}`, `status ${res.status}`));
    return out;
  }
  out.push(ok('status_code_conformance'));
  const type = mediaType(res.headers['content-type']);
  out.push(
    isJsonMedia(type)
      ? ok('content_type_conformance')
      : bad('content_type_conformance', type ? 'NonJsonContentType' : 'MissingContentType', '', 'application/json', type || 'no content-type'),
  );
  if (res.body === undefined) {
    out.push(bad('response_schema_conformance', 'ResponseBodyNotJson', '', `a JSON body valid for status ${status}`, res.bodyText === '' ? 'an empty body' : 'a body that is not JSON'));
    return out;
  }
  const result = validateUpsertResponse(res.status, res.body);
  if (result.ok) out.push(ok('response_schema_conformance'));
  else {
    // Values from a 200 body are the server's own (ids, links); error bodies may echo patient data.
    const showStrings = res.status === 200;
    for (const v of result.violations) {
      out.push(bad('response_schema_conformance', 'ResponseSchemaViolation', v.pointer, v.message, describeValue(valueAt(res.body, v.pointer), showStrings)));
    }
  }
  if (res.status === 200) {
    const url = (res.body as { url?: unknown } | null)?.url;
    if (typeof url === 'string') out.push(isAbsoluteHttpUrl(url) ? ok('link_is_absolute_url') : bad('link_is_absolute_url', 'LinkNotAbsoluteUrl', '/url', 'an absolute http(s) URL', describeValue(url, true)));
  }
  return out;
}

/** Authorities (`http://user@host:port`) already parsed, and whether they parse: a run's links share a few. */
const parsedAuthorities = new Map<string, boolean>();
const MAX_AUTHORITIES = 64;

/** Whether a string is an absolute `http:` or `https:` URL with a host. */
export function isAbsoluteHttpUrl(value: string): boolean {
  // Fast path, same answer. For http(s) (special schemes) the WHATWG parser can fail only in the
  // scheme and the authority (userinfo, host, port): a path, query or fragment always parses, and a
  // URL whose host parses has one. So "http(s)://<authority>" parsing means the URL does, and a
  // run's ~1,300 links share one authority: it is parsed once (URL.canParse was ~5 µs a link).
  // Anything else takes the full check below.
  if (value.startsWith('https://') || value.startsWith('http://')) {
    const from = value.indexOf('//') + 2;
    let end = value.length;
    for (let i = from; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === 0x2f || c === 0x3f || c === 0x23 || c === 0x5c) {
        end = i; // '/', '?', '#', '\\': where the authority ends
        break;
      }
    }
    const authority = value.slice(0, end);
    // Leading and trailing spaces and C0 controls are trimmed from a whole URL, not from a part of
    // one: an authority ending in one is left to the full check.
    if (authority.charCodeAt(authority.length - 1) <= 0x20) return fullCheck(value);
    let parses = parsedAuthorities.get(authority);
    if (parses === undefined) {
      parses = URL.canParse(authority);
      if (parsedAuthorities.size < MAX_AUTHORITIES) parsedAuthorities.set(authority, parses);
    }
    if (parses) return true;
  }
  return fullCheck(value);
}

function fullCheck(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}
