/**
 * hardening > fuzz: at least 10,000 hostile requests from fast-check (seed printed; rerun with
 * REFX_FUZZ_SEED=<n>) against an in-process sandbox, so that prototype pollution and memory can be
 * checked in the same process afterwards.
 *
 * The oracle: every answer arrives within 5 s and is a 200 for a request the spec allows (valid
 * credentials, a JSON media type, a body `validateUpsertRequest` accepts — an unknown `__proto__` key
 * included), otherwise a 4xx with a JSON error body; never a 5xx, a hang or a crash. Links pages
 * (`/referral/…`) are HTML by design and are judged as pages.
 *
 * Two channels: `http.request` over keep-alive sockets for requests HTTP can express (odd bodies,
 * headers, duplicate `Authorization`, slow bodies), and raw sockets for what it cannot (wrong
 * `Content-Length`, broken chunking, bytes that are not HTTP, stalled and aborted uploads).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/index.ts';
import { UPSERT_PATH } from '../../src/spec.ts';
import { validateUpsertRequest, validateUpsertResponse } from '../../src/validation.ts';
import { allFields, isFreeString } from '../../src/verify/schema.ts';
import { randomBodyArb } from '../../src/verify/valid.ts';
import { collectGarbage, parseResponses, pool, sendRaw, type ParsedResponse } from './support.ts';

const SEED = Number(process.env.REFX_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.REFX_FUZZ_RUNS ?? 10_000);
/** Every answer must arrive within this (a stalled upload gets its 408 well before). */
const ANSWER_BOUND_MS = 5_000;
const MAX_BODY = 102_400;
const MAX_DRAFTS = 500;
const MAX_STORED = 8 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 1_500;
const CONCURRENCY = 16;

const KEY = `fuzz-key-${randomUUID()}`;
/** Patient values planted in bodies: they must never come back in an error body or a log line. */
const CANARY = { patientName: 'Canaryname Fuzzpatient', patientUin: 'S0000000CANARY', patientPhoneNumber: '91234567' };

// ---------------------------------------------------------------------------------------------
// The cases

interface HttpCase {
  channel: 'http';
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
  /** Send the body in this many pieces (chunked, no Content-Length) … */
  pieces: number;
  /** … with this pause between them. */
  delayMs: number;
  /** Whether the credentials and media type are acceptable (the body is judged by the validator). */
  authOk: boolean;
  typeOk: boolean;
}

interface RawCase {
  channel: 'raw';
  kind: string;
  parts: Buffer[];
  delayMs: number;
  /** Destroy the connection right after sending (a client crashing mid-upload). */
  abort?: boolean;
  /** Keep the connection open after sending (a stalled upload): the answer must be 408. */
  hold?: boolean;
  /** Keep the connection open until `minAnswers` answers arrived (pipelined requests). */
  keepOpen?: boolean;
  /** How many 200s the exchange may contain (pipelined valid requests). */
  maxOk: number;
  /** How many answers it must contain at least. */
  minAnswers: number;
}

type FuzzCase = HttpCase | RawCase;

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
const freeFields = allFields.filter((f) => isFreeString(f.schema) && !f.pointer.slice(1).includes('/')).map((f) => f.name);
const topFields = allFields.filter((f) => !f.pointer.slice(1).includes('/')).map((f) => f.name);

/** A valid body with the canary patient planted in it. */
const validBody = randomBodyArb.map((b) => ({ ...b, ...CANARY }));
const validText = validBody.map((b) => JSON.stringify(b));

/** A placeholder swapped for raw JSON text or bytes after `JSON.stringify`. */
const HOLE = '\u0000HOLE\u0000';
const HOLE_JSON = JSON.stringify(HOLE);
const spliceText = (body: Record<string, unknown>, field: string, raw: string): string =>
  JSON.stringify({ ...body, [field]: HOLE }).replace(HOLE_JSON, raw);
const spliceBytes = (body: Record<string, unknown>, field: string, raw: Buffer): Buffer => {
  const [before = '', after = ''] = JSON.stringify({ ...body, [field]: HOLE }).split(HOLE_JSON);
  return Buffer.concat([enc(before), raw, enc(after)]);
};

const hugeNumber = fc.constantFrom('1e309', '-1e309', '1e-400', '123456789012345678901234567890', '-0', '0.0000000000000000000000001', `1${'0'.repeat(5_000)}`, '9007199254740993');
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom('\u0000', '\u001b[31m', '\r\nX-Injected: 1', '\u2028\u2029', '\ud800', '\udfff', '<script>alert(1)</script>', '"onerror="alert(1)', '${jndi:ldap://x}', '%00', '../../etc/passwd'),
);
const protoJson = fc.constantFrom('{"polluted":"yes"}', '{"__proto__":{"polluted":"yes"}}', 'null', '[]', '"x"', '{"toString":"x","valueOf":1}');
/** A deeply nested array or object, up to 10,000 levels. */
const deep = fc.tuple(fc.integer({ min: 1_000, max: 10_000 }), fc.boolean()).map(([depth, array]) =>
  array ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
);
const badUtf8 = fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xfe, 0xfe, 0xff]).map((b) => Buffer.from(b));

/** Bodies, from valid to hostile, each with a short kind for reporting (never data). */
const bodyArb: fc.Arbitrary<{ kind: string; body: Buffer | undefined }> = fc.oneof(
  { weight: 14, arbitrary: validText.map((t) => ({ kind: 'valid', body: enc(t) })) },
  {
    weight: 10,
    arbitrary: fc
      .tuple(validBody, fc.constantFrom('__proto__', 'constructor', 'prototype'), protoJson, fc.boolean())
      .map(([b, key, value, front]) => {
        const text = JSON.stringify(b);
        const extra = `"${key}":${value}`;
        return { kind: `key ${key}`, body: enc(front ? `{${extra},${text.slice(1)}` : `${text.slice(0, -1)},${extra}}`) };
      }),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(validBody, fc.constantFrom(...topFields), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
      .map(([b, field, value, last]) => {
        const text = JSON.stringify(b);
        const dup = `${JSON.stringify(field)}:${JSON.stringify(value) ?? 'null'}`;
        // JSON.parse keeps the last duplicate: the body is valid or not depending on which comes last.
        return { kind: 'duplicate key', body: enc(last ? `${text.slice(0, -1)},${dup}}` : `{${dup},${text.slice(1)}`) };
      }),
  },
  {
    weight: 16,
    arbitrary: fc
      .tuple(validBody, fc.constantFrom(...topFields), fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileString))
      .map(([b, field, value]) => ({ kind: 'wrong value', body: enc(JSON.stringify({ ...b, [field]: value })) })),
  },
  {
    weight: 5,
    arbitrary: fc.tuple(validBody, fc.constantFrom(...topFields), hugeNumber).map(([b, f, n]) => ({ kind: 'huge number', body: enc(spliceText(b, f, n)) })),
  },
  {
    weight: 5,
    arbitrary: fc
      .tuple(validBody, fc.constantFrom(...freeFields), badUtf8)
      .map(([b, f, bytes]) => ({ kind: 'invalid UTF-8', body: spliceBytes(b, f, Buffer.concat([enc('"a'), bytes, enc('b"')])) })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(validBody, fc.constantFrom(...freeFields), fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 90_000, max: 110_000 }) }, { weight: 1, arbitrary: fc.constant(1024 * 1024) }))
      .map(([b, f, n]) => ({ kind: n >= 1024 * 1024 ? '1 MiB string' : 'long string', body: enc(JSON.stringify({ ...b, [f]: 'é'.repeat(n / 2) })) })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(deep, fc.option(fc.tuple(validBody, fc.constantFrom(...topFields)), { nil: undefined }))
      .map(([nested, into]) => ({ kind: 'deep nesting', body: enc(into ? spliceText(into[0], into[1], nested) : nested) })),
  },
  { weight: 7, arbitrary: fc.tuple(validText, fc.nat()).map(([t, n]) => ({ kind: 'truncated JSON', body: enc(t.slice(0, n % t.length)) })) },
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => ({ kind: 'random bytes', body: Buffer.from(b) })) },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 256 }).map((s) => ({ kind: 'random text', body: enc(s) })) },
  { weight: 6, arbitrary: fc.jsonValue().map((v) => ({ kind: 'any JSON value', body: enc(JSON.stringify(v) ?? 'null') })) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<[string, Buffer | undefined]>(
      ['no body', undefined],
      ['empty body', enc('')],
      ['whitespace body', enc(' \r\n\t ')],
      ['null body', enc('null')],
      ['NUL byte', enc('\u0000')],
    ).map(([kind, body]) => ({ kind, body })),
  },
);

const authArb: fc.Arbitrary<{ value: string | string[] | undefined; ok: boolean }> = fc.oneof(
  { weight: 40, arbitrary: fc.constantFrom(`ApiKey ${KEY}`, `apikey ${KEY}`, `APIKEY   ${KEY}`).map((value) => ({ value, ok: true })) },
  {
    weight: 6,
    arbitrary: fc
      .constantFrom<string | string[] | undefined>(
        undefined,
        '',
        'ApiKey',
        'ApiKey ',
        `ApiKey ${KEY.slice(0, -1)}`,
        `ApiKey ${KEY}x`,
        `Bearer ${KEY}`,
        KEY,
        `ApiKey ${KEY} extra`,
        'Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.',
        `Basic ${Buffer.from(`u:${KEY}`).toString('base64')}`,
        // Duplicate headers: an intermediary checking one and the sandbox using another must not disagree.
        [`ApiKey ${KEY}`, 'ApiKey wrong-key'],
        ['ApiKey wrong-key', `ApiKey ${KEY}`],
        [`ApiKey ${KEY}`, `ApiKey ${KEY}`],
      )
      .map((value) => ({ value, ok: false })),
  },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 8_000 }).map((s) => ({ value: `ApiKey ${s}`, ok: false })) },
);

const typeArb: fc.Arbitrary<{ value: string | string[] | undefined; ok: boolean }> = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON;CHARSET="UTF-8"').map((value) => ({ value, ok: true })) },
  {
    weight: 4,
    arbitrary: fc
      .constantFrom<string | string[] | undefined>(undefined, '', 'text/plain', 'application/json; charset=latin1', 'application/jsonp', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', '*/*', 'application/json; charset=utf-16')
      .map((value) => ({ value, ok: false })),
  },
);

const routeArb: fc.Arbitrary<{ method: string; path: string; upsert: boolean }> = fc.oneof(
  { weight: 40, arbitrary: fc.constantFrom(UPSERT_PATH, `${UPSERT_PATH}?x=1`, `${UPSERT_PATH}?__proto__[polluted]=1&constructor[prototype][polluted]=1`).map((path) => ({ method: 'POST', path, upsert: true })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'TRACE', 'PROPFIND'),
        fc.constantFrom(UPSERT_PATH, `${UPSERT_PATH}/`, '/API/V1/LINKS/UPSERT', '/api/v1/links/%75psert', '/', '/health/', '/__proto__', `/referral/..${UPSERT_PATH}`, '//api/v1/links/upsert', '/api/v1/links/upsert;x'),
      )
      .map(([method, path]) => ({ method, path, upsert: method === 'POST' && path === UPSERT_PATH })),
  },
);

type HeaderMap = Record<string, string | string[]>;
const extraHeadersArb: fc.Arbitrary<HeaderMap> = fc.oneof(
  { weight: 30, arbitrary: fc.constant<HeaderMap>({}) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n): HeaderMap => ({ 'x-long': 'v'.repeat(n) })),
  },
  { weight: 1, arbitrary: fc.constant<HeaderMap>({ expect: '100-continue' }) },
  { weight: 1, arbitrary: fc.constant<HeaderMap>({ 'content-type-extra': 'x', 'x-forwarded-for': '127.0.0.1, 10.0.0.1', 'x-http-method-override': 'DELETE' }) },
  { weight: 1, arbitrary: fc.constant<HeaderMap>({ 'x-dup': ['a', 'b', 'c'], cookie: ['a=1', 'b=2'] }) },
  { weight: 1, arbitrary: fc.constant<HeaderMap>({ accept: 'text/html', 'accept-encoding': 'gzip, br', connection: 'close' }) },
);

const httpCaseArb: fc.Arbitrary<HttpCase> = fc
  .tuple(routeArb, authArb, typeArb, bodyArb, extraHeadersArb, fc.oneof({ weight: 30, arbitrary: fc.constant([1, 0]) }, { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 5, max: 40 })) }))
  .map(([route, auth, type, { kind, body }, extra, [pieces, delayMs]]) => {
    const headers: Record<string, string | string[]> = { ...extra };
    if (auth.value !== undefined) headers.authorization = auth.value;
    if (type.value !== undefined) headers['content-type'] = type.value;
    return {
      channel: 'http' as const,
      kind: `${route.upsert ? '' : `${route.method} ${route.path.slice(0, 30)}: `}${kind}${pieces > 1 ? ' (sent slowly)' : ''}${Object.keys(extra).length ? ` +${Object.keys(extra).join(',')}` : ''}`,
      method: route.method,
      path: route.path,
      headers,
      body: route.method === 'GET' || route.method === 'TRACE' ? undefined : body,
      pieces: pieces ?? 1,
      delayMs: delayMs ?? 0,
      authOk: route.upsert && auth.ok,
      typeOk: type.ok,
    };
  });

const head = (extra: string, auth = `ApiKey ${KEY}`): string =>
  `POST ${UPSERT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\n${extra}`;
const raw = (kind: string, parts: (string | Buffer)[], more: Partial<RawCase> = {}): RawCase => ({
  channel: 'raw',
  kind,
  parts: parts.map((p) => (typeof p === 'string' ? enc(p) : p)),
  delayMs: 0,
  maxOk: 0,
  minAnswers: 1,
  ...more,
});

const rawCaseArb: fc.Arbitrary<RawCase> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(validText, fc.integer({ min: 1, max: 50 })).map(([t, k]) => {
      const body = enc(t);
      // The first `length` bytes are a truncated body (400); the rest is parsed as the next request (400).
      return raw('Content-Length smaller than the body', [`${head(`Content-Length: ${Math.max(1, body.length - k)}\r\n`)}\r\n`, body]);
    }),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(validText, fc.integer({ min: 1, max: 5_000 })).map(([t, k]) => {
      const body = enc(t);
      return raw('Content-Length larger than the body (stalled)', [`${head(`Content-Length: ${body.length + k}\r\n`)}\r\n`, body], { hold: true });
    }),
  },
  {
    weight: 1,
    arbitrary: validText.map((t) => raw('upload aborted mid-body', [`${head(`Content-Length: ${Buffer.byteLength(t)}\r\n`)}\r\n`, t.slice(0, t.length >> 1)], { abort: true, minAnswers: 0 })),
  },
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(
        'Content-Length: -1\r\n',
        'Content-Length: +5\r\n',
        'Content-Length: 0x10\r\n',
        'Content-Length: 5\r\nContent-Length: 6\r\n',
        'Content-Length: 99999999999999999999\r\n',
        'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n',
        'Transfer-Encoding: gzip\r\n',
        'Transfer-Encoding: chunked, chunked\r\n',
        'Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n',
        'Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n',
        'Transfer-Encoding: chunked\r\n\r\n2;ext="\u0000"\r\n{}\r\n0\r\n',
        'X-Folded: a\r\n b\r\n',
        'X-Nul: a\u0000b\r\n',
        'No colon here\r\n',
        'X-Space : a\r\n',
        ' Leading-Space: a\r\n',
      )
      .map((extra) => raw('malformed framing', [`${head(extra)}\r\n{}`])),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean())
      .map(([bytes, terminate]) => raw('bytes that are not HTTP', [Buffer.from(bytes), terminate ? '\r\n\r\n' : ''], { minAnswers: 0 })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        'post /api/v1/links/upsert HTTP/1.1\r\nHost: x\r\n\r\n',
        'POST /api/v1/links/upsert HTTP/2.0\r\nHost: x\r\n\r\n',
        'POST /api/v1/links/upsert HTTP/9.9\r\nHost: x\r\n\r\n',
        'POST /api/v1/links/upsert\r\n\r\n',
        'POST  /api/v1/links/upsert HTTP/1.1\r\nHost: x\r\n\r\n',
        `POST /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        `GET /nope HTTP/1.1\r\n${'X-Many: 1\r\n'.repeat(3_000)}\r\n`,
        'GET /nope HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
        'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n',
        'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
        'GET http://evil.example/api/v1/links/upsert HTTP/1.1\r\nHost: evil.example\r\n\r\n',
        'GET /nope HTTP/1.0\r\n\r\n',
        'GET /nope?\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n',
      )
      .map((text) => raw('odd request line or headers', [Buffer.from(text, 'latin1')])),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom([0xff, 0xfe], [0xc3, 0xa9], [0x80]).map((bytes) => {
      const auth = Buffer.concat([enc(`ApiKey ${KEY.slice(0, 10)}`), Buffer.from(bytes)]).toString('latin1');
      return raw('non-ASCII bytes in Authorization', [Buffer.from(`${head('Content-Length: 2\r\n', auth)}\r\n{}`, 'latin1')]);
    }),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.array(validText, { minLength: 2, maxLength: 3 }), fc.boolean()).map(([texts, slow]) => {
      // Pipelined valid requests, optionally dribbled out a few bytes at a time: each gets its 200.
      const all = texts.map((t) => `${head(`Content-Length: ${Buffer.byteLength(t)}\r\n`)}\r\n${t}`).join('');
      const bytes = enc(all);
      // Split by bytes, not UTF-16 units: a split surrogate pair would change the byte count.
      const parts = slow ? Array.from({ length: Math.ceil(bytes.length / 700) }, (_, i) => bytes.subarray(i * 700, i * 700 + 700)) : [bytes];
      // The connection stays open: a client's FIN makes node abort the requests not yet answered.
      return raw(`${texts.length} pipelined valid requests${slow ? ' (sent slowly)' : ''}`, parts, {
        keepOpen: true,
        delayMs: slow ? 3 : 0,
        maxOk: texts.length,
        minAnswers: texts.length,
      });
    }),
  },
);

const caseArb: fc.Arbitrary<FuzzCase> = fc.oneof({ weight: 9, arbitrary: httpCaseArb }, { weight: 1, arbitrary: rawCaseArb });

// ---------------------------------------------------------------------------------------------
// The oracle

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether the spec allows this body: JSON text whose value the one validator accepts. */
function specAllows(body: Buffer | undefined): boolean {
  if (body === undefined || body.length === 0 || body.length > MAX_BODY) return false;
  try {
    return validateUpsertRequest(JSON.parse(utf8.decode(body))).ok;
  } catch {
    return false;
  }
}

/** What is wrong with an error answer, or undefined: a 4xx with the documented JSON error body. */
function errorAnswerProblem(res: ParsedResponse): string | undefined {
  if (res.status < 400 || res.status >= 500) return `status ${res.status}, expected a 4xx`;
  if (!/^application\/json\b/.test(res.headers['content-type'] ?? '')) return `${res.status} with content-type ${res.headers['content-type'] ?? '(none)'}`;
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch {
    return `${res.status} with a body that is not JSON`;
  }
  if ((body as { statusCode?: unknown }).statusCode !== res.status) return `${res.status} whose body says statusCode ${(body as { statusCode?: unknown }).statusCode}`;
  if ((res.status === 400 || res.status === 401) && !validateUpsertResponse(res.status, body).ok) return `${res.status} body breaks the spec's ErrorBody`;
  return undefined;
}

function okAnswerProblem(res: ParsedResponse, origin: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch {
    return '200 with a body that is not JSON';
  }
  if (!validateUpsertResponse(200, body).ok) return '200 body breaks ReferralUpsertLinkDto';
  if (!String((body as { url: string }).url).startsWith(`${origin}/referral/`)) return '200 link is not on the sandbox origin';
  return undefined;
}

/** Bytes of the header lines a case sends (roughly: names, values and separators). */
const headerBytes = (headers: HttpCase['headers']): number =>
  Object.entries(headers).reduce((n, [k, v]) => n + [v].flat().reduce((m, x) => m + k.length + x.length + 4, 0), 0);

// ---------------------------------------------------------------------------------------------
// Sending

/** Sends one case over the keep-alive agent; resolves with the answer or why there was none. */
function sendHttp(agent: http.Agent, port: number, c: HttpCase): Promise<ParsedResponse | { none: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: ParsedResponse | { none: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(value);
    };
    const headers: Record<string, string | string[] | number> = { ...c.headers };
    if (c.body !== undefined && c.pieces === 1) headers['content-length'] = c.body.length;
    // Node chunks a streamed body by default except for GET, HEAD, DELETE, OPTIONS, TRACE and
    // CONNECT, where it would send the bytes with no framing at all: the server rightly reads them
    // as the next request (400, connection closed) while the agent puts the socket back in its
    // pool, and a later case reused it and got ECONNRESET (seed 918462849). Say chunked outright.
    else if (c.body !== undefined && c.body.length > 0) headers['transfer-encoding'] = 'chunked';
    let req: http.ClientRequest;
    try {
      req = http.request({ host: '127.0.0.1', port, method: c.method, path: c.path, headers, agent });
    } catch (error) {
      // http.request refuses some header values itself (e.g. over its own size limit): not sent.
      settle({ none: `not sent: ${(error as NodeJS.ErrnoException).code ?? 'error'}` });
      return;
    }
    const deadline = setTimeout(() => {
      req.destroy();
      settle({ none: `no answer within ${ANSWER_BOUND_MS} ms` });
    }, ANSWER_BOUND_MS);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
        settle({ status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks) });
      });
      res.on('error', () => settle({ none: 'response aborted' }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => settle({ none: `request error ${error.code ?? error.name}` }));
    const body = c.body;
    if (body === undefined || body.length === 0) {
      req.end(body);
      return;
    }
    if (c.pieces === 1) {
      req.end(body);
      return;
    }
    void (async () => {
      const size = Math.ceil(body.length / c.pieces);
      for (let at = 0; at < body.length && !settled; at += size) {
        if (at > 0) await new Promise((r) => setTimeout(r, c.delayMs));
        if (!req.destroyed) req.write(body.subarray(at, at + size));
      }
      if (!req.destroyed) req.end();
    })();
  });
}

// ---------------------------------------------------------------------------------------------
// The run

let sandbox: RunningSandbox;
const lines: string[] = [];
const protoBefore = {
  object: Object.getOwnPropertyNames(Object.prototype).sort(),
  array: Object.getOwnPropertyNames(Array.prototype).sort(),
  func: Object.getOwnPropertyNames(Function.prototype).sort(),
};
let heapBaseline = 0;

beforeAll(async () => {
  console.log(`hardening fuzz: seed ${SEED}, ${RUNS} requests (rerun: REFX_FUZZ_SEED=${SEED} npx vitest run test/hardening/fuzz.test.ts)`);
  sandbox = await startSandbox({
    port: 0,
    apiKeys: [KEY],
    maxDrafts: MAX_DRAFTS,
    maxStoredBytes: MAX_STORED,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    headersTimeoutMs: REQUEST_TIMEOUT_MS,
    log: (line) => lines.push(line),
  });
  collectGarbage();
  heapBaseline = process.memoryUsage().heapUsed;
});
afterAll(async () => {
  await sandbox.close();
});

interface Finding {
  index: number;
  kind: string;
  problem: string;
}

describe('hardening > fuzz', () => {
  const findings: Finding[] = [];
  const errorBodies: string[] = [];
  const counts = { requests: 0, ok: 0, rejected: 0, unanswered: 0 };
  let cases: FuzzCase[] = [];

  test(`sandbox > ${RUNS} hostile requests: each a 200 the spec allows or a 4xx JSON error, within ${ANSWER_BOUND_MS} ms`, { timeout: 180_000 }, async () => {
    cases = fc.sample(caseArb, { seed: SEED, numRuns: RUNS });
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const started = performance.now();
    try {
      await pool(cases, CONCURRENCY, async (c, index) => {
        const problem = (text: string): void =>
          void findings.push({ index, kind: c.channel === 'http' ? `${c.kind}; credentials ${c.authOk ? 'valid' : 'invalid'}, media type ${c.typeOk ? 'valid' : 'invalid'}` : c.kind, problem: text });
        if (c.channel === 'http') {
          counts.requests += 1;
          const res = await sendHttp(agent, sandbox.port, c);
          if ('none' in res) {
            counts.unanswered += 1;
            // Only a request the client itself refused to send may go unanswered.
            if (!res.none.startsWith('not sent')) problem(res.none);
            return;
          }
          const allowed = c.authOk && c.typeOk && specAllows(c.body);
          // Node's limit on the request head is 16 KiB: near or above it, 431 is the right answer.
          if (res.status === 431 && headerBytes(c.headers) > 15_000) {
            const wrong = errorAnswerProblem(res);
            if (wrong) problem(wrong);
            counts.rejected += 1;
            return;
          }
          if (c.path.startsWith('/referral/')) {
            if (res.status !== 404 && res.status !== 405 && res.status !== 410) problem(`link page answered ${res.status}`);
            return;
          }
          if (allowed) {
            if (res.status !== 200) problem(`a request the spec allows got ${res.status}`);
            else if (okAnswerProblem(res, sandbox.url)) problem(okAnswerProblem(res, sandbox.url)!);
            counts.ok += 1;
            return;
          }
          if (res.status === 200) problem('200 for a request the spec does not allow');
          const wrong = errorAnswerProblem(res);
          if (wrong) problem(wrong);
          counts.rejected += 1;
          errorBodies.push(res.body.toString('utf8'));
          return;
        }
        const exchange = await sendRaw(sandbox.port, c.parts, {
          delayMs: c.delayMs,
          end: !c.hold && !c.abort && !c.keepOpen,
          deadlineMs: c.abort ? 50 : ANSWER_BOUND_MS,
          ...(c.keepOpen ? { until: (received: Buffer) => parseResponses(received).responses.length >= c.minAnswers } : {}),
        });
        const { responses, trailing } = parseResponses(exchange.bytes);
        const answers = responses.filter((r) => r.status !== 100);
        counts.requests += Math.max(1, answers.length);
        if (exchange.timedOut && !c.abort) problem(`connection still open after ${ANSWER_BOUND_MS} ms`);
        if (trailing > 0) problem(`${trailing} bytes that are not a complete HTTP response`);
        if (answers.length < c.minAnswers) problem(`${answers.length} answers, expected at least ${c.minAnswers}`);
        if (c.hold && answers[0]?.status !== 408) problem(`a stalled upload got ${answers[0]?.status ?? 'no answer'}, expected 408`);
        let oks = 0;
        for (const res of answers) {
          if (res.status === 200) {
            oks += 1;
            const wrong = okAnswerProblem(res, sandbox.url);
            if (wrong) problem(wrong);
            continue;
          }
          const wrong = errorAnswerProblem(res);
          if (wrong) problem(wrong);
          errorBodies.push(res.body.toString('utf8'));
        }
        counts.ok += oks;
        counts.rejected += answers.length - oks;
        if (oks > c.maxOk) problem(`${oks} × 200, at most ${c.maxOk} expected`);
      });
    } finally {
      agent.destroy();
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `hardening fuzz: ${cases.length} cases, ${counts.requests} requests in ${seconds.toFixed(1)} s: ${counts.ok} × 200, ${counts.rejected} × 4xx, ${counts.unanswered} not sent by the client; ${findings.length} findings`,
    );
    const report = findings.slice(0, 15).map((f) => `#${f.index} [${f.kind}] ${f.problem}`);
    expect(report, `seed ${SEED}: rerun with REFX_FUZZ_SEED=${SEED}`).toEqual([]);
    expect(counts.requests).toBeGreaterThanOrEqual(RUNS);
    // The mix really exercised both outcomes.
    expect(counts.ok).toBeGreaterThan(RUNS / 10);
    expect(counts.rejected).toBeGreaterThan(RUNS / 10);
  });

  test('sandbox > after the fuzz > no prototype was polluted', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore.object);
    expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(protoBefore.array);
    expect(Object.getOwnPropertyNames(Function.prototype).sort()).toEqual(protoBefore.func);
  });

  test('sandbox > after the fuzz > still serving, memory back within its bounds', async () => {
    const res = await fetch(`${sandbox.url}/health`);
    expect(res.status).toBe(200);
    const stats = sandbox.stats();
    expect(stats.drafts).toBeGreaterThan(0);
    expect(stats.drafts).toBeLessThanOrEqual(MAX_DRAFTS);
    expect(stats.links).toBeLessThanOrEqual(stats.drafts);
    collectGarbage();
    const grownMiB = (process.memoryUsage().heapUsed - heapBaseline) / 2 ** 20;
    // The store keeps at most MAX_STORED bytes of pre-fill (8 MiB); the rest is slack for the
    // worker's own allocations (fast-check, vitest). A leak of one request per request would be
    // far beyond this after 10,000 requests with up to 1 MiB each.
    expect(grownMiB).toBeLessThan(64);
    expect(process.memoryUsage().rss / 2 ** 20).toBeLessThan(1_024);
  });

  test('sandbox > after the fuzz > log lines are well-formed and carry no key, no patient value', () => {
    expect(lines.length).toBeGreaterThanOrEqual(RUNS * 0.9);
    const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?:[0-9a-f]{6}-[0-9a-z]+ [!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ (?:\d{3}|\S+\(aborted\)) \d+\.\dms|- - \(unparsed\) \d{3} -)$/;
    const malformed = lines.filter((l) => !LINE.test(l));
    expect(malformed.length, 'log lines not in the one format').toBe(0);
    expect(lines.filter((l) => / 5\d\d /.test(l) || l.includes('internal error'))).toEqual([]);
    // The logged path is always a matched route or a placeholder, never client input.
    const paths = new Set(lines.map((l) => l.split(' ')[3]));
    for (const path of paths) expect(['/api/v1/links/upsert', '/health', '(unmatched)', '/referral/(invalid)', '(unparsed)', undefined]).toContain(path);
    const all = lines.join('\n');
    for (const secret of [KEY, ...Object.values(CANARY)]) expect(all.includes(secret), `a secret of length ${secret.length} in the log`).toBe(false);
  });

  test('sandbox > after the fuzz > error bodies never echo the key or a patient value', () => {
    expect(errorBodies.length).toBeGreaterThan(RUNS / 10);
    const all = errorBodies.join('\n');
    for (const secret of [KEY, ...Object.values(CANARY)]) expect(all.includes(secret), `a secret of length ${secret.length} in an error body`).toBe(false);
  });
});
