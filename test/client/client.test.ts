/**
 * client > …: the typed client against a real local HTTP server (test/client/server.ts) that records
 * each request; a request the test did not expect fails it (afterEach).
 */
import { generateKeyPair, exportPKCS8, decodeProtectedHeader, jwtVerify, type CryptoKey } from 'jose';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  createAuthorizationProvider,
  createRefxClient,
  JWT_LIFETIME_SECONDS,
  JWT_RENEW_BEFORE_EXPIRY_SECONDS,
  referrerIdTypeValues,
  RefxAuthError,
  RefxClientError,
  RefxNetworkError,
  RefxResponseValidationError,
  RefxTimeoutError,
  RefxUnexpectedStatusError,
  RefxValidationError,
  SPEC_VERSION,
  validateUpsertRequest,
  type RefxAuth,
  type RefxClientOptions,
  type ReferralUpsertLinkDto,
  type ReferralUpsertLinkRequest,
} from '../../src/index.ts';
import { requestExamples, resolveRef, spec, upsertOperation, type JsonSchema } from '../../src/spec.ts';
import { refusedUrl, startTestServer, type TestServer } from './server.ts';

// The documentation's example request and response, read from the spec (never retyped here).
const docExample = requestExamples().find((e) => e.name === 'documentation')!.value as ReferralUpsertLinkRequest;
const docLink = spec.components.examples.DocumentationResponse!.value as ReferralUpsertLinkDto;
const requestProperties = resolveRef(upsertOperation.requestBody.content['application/json']!.schema as JsonSchema)
  .properties as Record<string, JsonSchema>;
const phonePattern = requestProperties.patientPhoneNumber!.pattern as string;

const API_KEY = 'sk-test-0123456789abcdef';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  const stray = server.unexpected.map((r) => `${r.method} ${r.url}`);
  await server.close();
  expect(stray, 'requests the test did not expect').toEqual([]);
});

const client = (options: Partial<RefxClientOptions> = {}) =>
  createRefxClient({ baseUrl: server.url, auth: { apiKey: API_KEY }, ...options });

/** Awaits a promise that must reject and returns the rejection. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a result');
}

describe('client > request', () => {
  test('sends the documentation example as JSON to POST /api/v1/links/upsert', async () => {
    server.reply({ status: 200, json: docLink });
    await client().createUpsertLink(docExample);
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/api/v1/links/upsert');
    expect(request!.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(request!.body)).toEqual(docExample);
  });

  test('a base URL with a path prefix and trailing slash is joined without a double slash', async () => {
    server.reply({ status: 200, json: docLink });
    await createRefxClient({ baseUrl: `${server.url}/gateway/`, auth: { apiKey: API_KEY } }).createUpsertLink(docExample);
    expect(server.requests[0]!.url).toBe('/gateway/api/v1/links/upsert');
  });

  test('specVersion is the spec version the client was generated from', () => {
    expect(client().specVersion).toBe(SPEC_VERSION);
  });
});

describe('client > auth > ApiKey', () => {
  const cases: [string, { given: string; want: string }][] = [
    ['bare key', { given: API_KEY, want: `ApiKey ${API_KEY}` }],
    ['with the ApiKey prefix (not doubled)', { given: `ApiKey ${API_KEY}`, want: `ApiKey ${API_KEY}` }],
    ['with a lowercase apikey prefix', { given: `apikey ${API_KEY}`, want: `ApiKey ${API_KEY}` }],
    ['with surrounding spaces and an upper-case prefix', { given: `  APIKEY   ${API_KEY}  `, want: `ApiKey ${API_KEY}` }],
  ];
  test.each(cases)('%s: sends the documentation example and gets the typed link back', async (_name, { given, want }) => {
    server.reply({ status: 200, json: docLink });
    const result = await client({ auth: { apiKey: given } }).createUpsertLink(docExample);
    expect(server.requests[0]!.headers.authorization).toBe(want);
    expect(result).toEqual({ ok: true, status: 200, link: docLink });
  });

  test.each([[''], ['   '], ['ApiKey'], ['ApiKey   '], ['apikey\t']])('empty key %j is refused when the client is created', (key) => {
    expect(() => client({ auth: { apiKey: key } })).toThrow(RefxAuthError);
    expect(() => client({ auth: { apiKey: key } })).toThrow(/auth\.apiKey is empty/);
  });

  test('a key with inner whitespace or a newline is refused without quoting it', () => {
    for (const key of ['sk-secret part2', 'sk-secret\r\nX-Injected: 1']) {
      const error = (() => {
        try {
          client({ auth: { apiKey: key } });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(RefxAuthError);
      expect(String(error)).not.toContain('sk-secret');
    }
  });
});

describe('client > auth > JWT', () => {
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  let pem: string;
  beforeAll(async () => {
    ({ privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true }));
    pem = await exportPKCS8(privateKey);
  });

  const T0 = Date.UTC(2026, 4, 20, 1, 2, 3, 456);

  async function verifiedClaims(authorization: string | undefined, at: number) {
    expect(authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const jwt = authorization!.slice('Bearer '.length);
    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, {
      algorithms: ['ES256'],
      currentDate: new Date(at),
    });
    expect(decodeProtectedHeader(jwt).alg).toBe('ES256');
    return { payload, protectedHeader };
  }

  const keyForms: [string, () => string | CryptoKey | KeyObject][] = [
    ['a PKCS#8 PEM string', () => pem],
    ['a CryptoKey', () => privateKey],
    ['a KeyObject', () => createPrivateKey(pem)],
  ];
  test.each(keyForms)('private key as %s: the JWT verifies with the public key and has the right claims', async (_name, key) => {
    server.reply({ status: 200, json: docLink });
    const auth: RefxAuth = { jwt: { keyName: 'clinic-key-1', privateKey: key(), subject: 'system-42' } };
    const result = await client({ auth, now: () => T0 }).createUpsertLink(docExample);
    expect(result.ok && result.link).toEqual(docLink);

    const { payload, protectedHeader } = await verifiedClaims(server.requests[0]!.headers.authorization, T0);
    expect(protectedHeader.alg).toBe('ES256');
    const iat = Math.floor(T0 / 1000);
    expect(payload).toEqual({ iss: 'clinic-key-1', sub: 'system-42', iat, exp: iat + 15 });
  });

  test('without a subject the JWT has no sub claim', async () => {
    server.reply({ status: 200, json: docLink });
    await client({ auth: { jwt: { keyName: 'clinic-key-1', privateKey: pem } }, now: () => T0 }).createUpsertLink(docExample);
    const { payload } = await verifiedClaims(server.requests[0]!.headers.authorization, T0);
    expect(payload).not.toHaveProperty('sub');
    expect(payload.iss).toBe('clinic-key-1');
  });

  test('the JWT is reused for a second call while it is fresh', async () => {
    server.reply({ status: 200, json: docLink }, { status: 200, json: docLink });
    let now = T0;
    const refx = client({ auth: { jwt: { keyName: 'k', privateKey: pem } }, now: () => now });
    await refx.createUpsertLink(docExample);
    now += 3_000;
    await refx.createUpsertLink(docExample);
    const [first, second] = server.requests.map((r) => r.headers.authorization);
    expect(second).toBe(first);
  });

  test('the JWT is renewed shortly before it expires, with fresh iat and exp', async () => {
    let now = T0;
    const authorization = createAuthorizationProvider({ jwt: { keyName: 'k', privateKey: pem } }, { now: () => now });
    const first = await authorization();
    const iat0 = Math.floor(T0 / 1000);

    // Still reused until RENEW_BEFORE seconds before exp …
    now = (iat0 + JWT_LIFETIME_SECONDS - JWT_RENEW_BEFORE_EXPIRY_SECONDS) * 1000 - 1;
    expect(await authorization()).toBe(first);
    // … then replaced by one that is valid now.
    now = (iat0 + JWT_LIFETIME_SECONDS - JWT_RENEW_BEFORE_EXPIRY_SECONDS) * 1000;
    const renewed = await authorization();
    expect(renewed).not.toBe(first);
    const { payload } = await verifiedClaims(renewed, now);
    expect(payload.iat).toBe(Math.floor(now / 1000));
    expect(payload.exp).toBe(Math.floor(now / 1000) + JWT_LIFETIME_SECONDS);
  });

  test('concurrent first calls share one signature', async () => {
    const authorization = createAuthorizationProvider({ jwt: { keyName: 'k', privateKey: pem } }, { now: () => T0 });
    const headers = await Promise.all([authorization(), authorization(), authorization()]);
    expect(new Set(headers).size).toBe(1);
  });

  test('a PEM that is not a PKCS#8 EC key is refused with RefxAuthError, without quoting it', async () => {
    const notAKey = '-----BEGIN PRIVATE KEY-----\nUExBTlRFRC1LRVktTUFURVJJQUw=\n-----END PRIVATE KEY-----';
    const error = await rejection(client({ auth: { jwt: { keyName: 'k', privateKey: notAKey } } }).createUpsertLink(docExample));
    expect(error).toBeInstanceOf(RefxAuthError);
    expect((error as RefxAuthError).code).toBe('auth');
    expect(inspect(error)).not.toContain('UExBTlRFRC1LRVktTUFURVJJQUw');
    expect(server.requests).toEqual([]);
  });

  test('a non-EC key (RSA) is refused with RefxAuthError', async () => {
    const { privateKey: rsa } = await generateKeyPair('RS256');
    const error = await rejection(client({ auth: { jwt: { keyName: 'k', privateKey: rsa } } }).createUpsertLink(docExample));
    expect(error).toBeInstanceOf(RefxAuthError);
    expect(server.requests).toEqual([]);
  });

  test('an empty key name is refused when the client is created', () => {
    expect(() => client({ auth: { jwt: { keyName: ' ', privateKey: pem } } })).toThrow(/auth\.jwt\.keyName is empty/);
  });
});

describe('client > outcomes', () => {
  test('200: the typed link, and the x-request-id when sent', async () => {
    server.reply({ status: 200, json: docLink, headers: { 'x-request-id': 'req-123' } });
    const result = await client().createUpsertLink(docExample);
    expect(result).toEqual({ ok: true, status: 200, link: docLink, requestId: 'req-123' });
  });

  const errorCases: [string, { status: 400 | 401; body: unknown }][] = [
    ['400 with a message array', { status: 400, body: { statusCode: 400, message: ['/referrerName is required'], error: 'Bad Request' } }],
    ['401 with a message string', { status: 401, body: { statusCode: 401, message: 'Missing or invalid Authorization header', error: 'Unauthorized' } }],
  ];
  test.each(errorCases)('%s: ok false, the status and the typed error body', async (_name, { status, body }) => {
    server.reply({ status, json: body });
    const result = await client().createUpsertLink(docExample);
    expect(result).toEqual({ ok: false, status, error: body });
  });

  test('401 with a non-JSON body: ok false with an empty error body', async () => {
    server.reply({ status: 401, raw: '<html>denied</html>', headers: { 'content-type': 'text/html' } });
    expect(await client().createUpsertLink(docExample)).toEqual({ ok: false, status: 401, error: {} });
  });

  test.each([[201], [204], [404], [500], [503]])('undocumented status %i: RefxUnexpectedStatusError with the status', async (status) => {
    server.reply({ status, ...(status === 204 ? {} : { json: docLink }) });
    const error = await rejection(client().createUpsertLink(docExample));
    expect(error).toBeInstanceOf(RefxUnexpectedStatusError);
    expect(error).toMatchObject({ code: 'unexpected_status', status });
    expect((error as Error).message).toContain(String(status));
  });

  test('200 whose body is not JSON: RefxResponseValidationError, even with response validation off', async () => {
    server.reply({ status: 200, raw: 'OK', headers: { 'content-type': 'text/plain' } });
    const error = await rejection(client().createUpsertLink(docExample));
    expect(error).toBeInstanceOf(RefxResponseValidationError);
    expect(error).toMatchObject({ code: 'invalid_response', status: 200 });
  });

  test('connection refused: RefxNetworkError naming the cause code', async () => {
    const error = await rejection(client({ baseUrl: await refusedUrl() }).createUpsertLink(docExample));
    expect(error).toBeInstanceOf(RefxNetworkError);
    expect((error as RefxNetworkError).code).toBe('network');
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  test('a server that never answers: RefxTimeoutError after timeoutMs', async () => {
    server.reply({ hang: true });
    const error = await rejection(client({ timeoutMs: 200 }).createUpsertLink(docExample));
    expect(error).toBeInstanceOf(RefxTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', timeoutMs: 200 });
    expect(server.requests).toHaveLength(1);
  });

  test('an answer over 1 MiB is cut off: RefxNetworkError naming ETOOLARGE, nothing of it quoted', async () => {
    const huge = `{"referralId":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    server.reply({ status: 200, raw: huge, headers: { 'content-type': 'application/json' } });
    const error = await rejection(client().createUpsertLink(docExample));
    expect(error).toBeInstanceOf(RefxNetworkError);
    expect((error as Error).message).toContain('ETOOLARGE');
    expect((error as Error).message).not.toContain('xxxx');
  });

  test("the caller's abort signal aborts the call with the caller's reason (not a timeout)", async () => {
    server.reply({ hang: true });
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    void server.nextRequest().then(() => controller.abort(reason));
    const error = await rejection(client().createUpsertLink(docExample, { signal: controller.signal }));
    expect(error).toBe(reason);
  });

  test('an already aborted signal sends nothing', async () => {
    const error = await rejection(client().createUpsertLink(docExample, { signal: AbortSignal.abort(new Error('no')) }));
    expect((error as Error).message).toBe('no');
    expect(server.requests).toEqual([]);
  });
});

describe('client > validation', () => {
  // Derived, not retyped: a value outside the spec's enum, and a phone number the spec's pattern rejects.
  const unknownIdType = 'passport';
  const badPhone = '12345';
  beforeAll(() => {
    expect(referrerIdTypeValues).not.toContain(unknownIdType);
    expect(new RegExp(phonePattern).test(badPhone)).toBe(false);
  });
  const badBody = () =>
    ({ ...docExample, patientPhoneNumber: badPhone, referrerIdType: unknownIdType }) as unknown as ReferralUpsertLinkRequest;

  test('a bad phone number and an unknown referrerIdType are refused before any request, naming both', async () => {
    const error = await rejection(client().createUpsertLink(badBody()));
    expect(error).toBeInstanceOf(RefxValidationError);
    const { violations, message, code } = error as RefxValidationError;
    expect(code).toBe('invalid_request');
    expect(violations.map((v) => [v.pointer, v.rule]).sort()).toEqual([
      ['/patientPhoneNumber', 'pattern'],
      ['/referrerIdType', 'enum'],
    ]);
    expect(message).toContain(`/patientPhoneNumber must match pattern ${phonePattern}`);
    expect(message).toMatch(/\/referrerIdType must be one of /);
    expect(server.requests).toEqual([]);
  });

  test('every violation is listed by pointer and rule, one line each', async () => {
    const body = { referrerIdType: unknownIdType, patientPhoneNumber: badPhone, address: { block: 7 } } as unknown;
    const expected = validateUpsertRequest(body);
    expect(expected.ok).toBe(false);
    const want = expected.ok ? [] : expected.violations;
    expect(want.length).toBeGreaterThan(5);

    const error = (await rejection(client().createUpsertLink(body as ReferralUpsertLinkRequest))) as RefxValidationError;
    expect(error.violations).toEqual(want);
    const lines = error.message.split('\n').slice(1);
    expect(lines).toEqual(want.map((v) => `  ${v.message} [${v.rule}]`));
    expect(server.requests).toEqual([]);
  });

  test('validate: false sends an invalid body as is', async () => {
    server.reply({ status: 400, json: { statusCode: 400, message: ['invalid'], error: 'Bad Request' } });
    const result = await client({ validate: false }).createUpsertLink(badBody());
    expect(result).toMatchObject({ ok: false, status: 400 });
    expect(JSON.parse(server.requests[0]!.body)).toEqual(badBody());
  });

  const badLink = { referralId: 42, url: 'not a url', type: 'download' };
  test('validateResponses: a 200 body that breaks the schema is RefxResponseValidationError naming each pointer', async () => {
    server.reply({ status: 200, json: badLink });
    const error = await rejection(client({ validateResponses: true }).createUpsertLink(docExample));
    expect(error).toBeInstanceOf(RefxResponseValidationError);
    const pointers = (error as RefxResponseValidationError).violations.map((v) => v.pointer).sort();
    expect(pointers).toEqual(['/referralId', '/type', '/url']);
  });

  test('validateResponses: an error body that breaks the schema is RefxResponseValidationError', async () => {
    server.reply({ status: 401, json: { statusCode: 'four-oh-one' } });
    const error = await rejection(client({ validateResponses: true }).createUpsertLink(docExample));
    expect(error).toMatchObject({ code: 'invalid_response', status: 401 });
  });

  test('without validateResponses the 200 body is returned as sent', async () => {
    server.reply({ status: 200, json: badLink });
    expect(await client().createUpsertLink(docExample)).toEqual({ ok: true, status: 200, link: badLink });
  });
});

describe('client > options', () => {
  test.each([['not a url'], ['ftp://example.com'], ['/relative']])('baseUrl %j is refused', (baseUrl) => {
    expect(() => client({ baseUrl })).toThrow(TypeError);
  });
  test('a refused baseUrl is not quoted (it may carry user-info credentials)', () => {
    expect(() => client({ baseUrl: 'ftp://user:PLANTED-PW@example.com' })).toThrow(/^baseUrl must be an absolute http\(s\) URL$/);
  });
  test.each([[0], [-1], [Number.NaN], [Number.POSITIVE_INFINITY]])('timeoutMs %s is refused', (timeoutMs) => {
    expect(() => client({ timeoutMs })).toThrow(RangeError);
  });
});

describe('client > secrets', () => {
  // Planted values: none of them may appear in any error's message, String(), JSON or inspect().
  const PLANTED_KEY = 'sk-PLANTED-KEY-7f3a9c';
  const patient = {
    patientUin: 'S0000001PLANTEDUIN',
    patientName: 'PLANTED Patient Name',
    patientDob: '1901-02-03',
    patientPhoneNumber: 'PLANTED-PHONE',
  };
  const PLANTED_TOKEN = 'PLANTED-LINK-TOKEN-e4d2';
  let jwtKey: CryptoKey;
  beforeAll(async () => {
    ({ privateKey: jwtKey } = await generateKeyPair('ES256'));
  });

  type MakeClient = (options?: Partial<RefxClientOptions>) => ReturnType<typeof createRefxClient>;
  type Scenario = (make: MakeClient) => Promise<unknown>;
  const validBody = { ...docExample, patientUin: patient.patientUin, patientName: patient.patientName, patientDob: patient.patientDob };
  const scenarios: [string, Scenario][] = [
    ['invalid request', (make) => make().createUpsertLink({ ...validBody, ...patient })],
    [
      'undocumented status whose body echoes the request',
      (make) => {
        server.reply({ status: 500, json: { echo: { ...patient, url: PLANTED_TOKEN } } });
        return make().createUpsertLink(validBody);
      },
    ],
    [
      'response breaking the schema (validateResponses)',
      (make) => {
        server.reply({ status: 200, json: { referralId: patient.patientUin, url: `https://x.invalid/${PLANTED_TOKEN}`, type: patient.patientName } });
        return make({ validateResponses: true }).createUpsertLink(validBody);
      },
    ],
    [
      '200 that is not JSON',
      (make) => {
        server.reply({ status: 200, raw: `url=${PLANTED_TOKEN}&uin=${patient.patientUin}` });
        return make().createUpsertLink(validBody);
      },
    ],
    ['network failure', async (make) => make({ baseUrl: await refusedUrl() }).createUpsertLink(validBody)],
    [
      'timeout',
      (make) => {
        server.reply({ hang: true });
        return make({ timeoutMs: 150 }).createUpsertLink(validBody);
      },
    ],
  ];

  // ES256 signatures are randomised, but at a fixed clock every token's header.payload is the same:
  // forbid that, and every whole token the server saw.
  const T = Date.UTC(2026, 0, 2, 3, 4, 5);
  const authKinds: [string, { auth: () => RefxAuth; secrets: () => Promise<string[]> }][] = [
    ['ApiKey', { auth: () => ({ apiKey: PLANTED_KEY }), secrets: async () => [PLANTED_KEY] }],
    [
      'JWT',
      {
        auth: () => ({ jwt: { keyName: 'PLANTED-KEY-NAME', privateKey: jwtKey } }),
        secrets: async () => {
          const sample = await createAuthorizationProvider({ jwt: { keyName: 'PLANTED-KEY-NAME', privateKey: jwtKey } }, { now: () => T })();
          const seen = server.requests.map((r) => r.headers.authorization!.slice('Bearer '.length));
          return [sample.split(' ')[1]!.split('.').slice(0, 2).join('.'), ...seen];
        },
      },
    ],
  ];

  describe.each(authKinds)('%s', (_kind, { auth, secrets }) => {
    test.each(scenarios)('%s: no key, JWT, link token or patient value in the error', async (_name, scenario) => {
      const make: MakeClient = (options = {}) => client({ auth: auth(), now: () => T, ...options });
      const error = await rejection(scenario(make));
      expect(error).toBeInstanceOf(RefxClientError);
      const renderings = [(error as Error).message, String(error), JSON.stringify(error), inspect(error, { depth: 5 })];
      const forbidden = [...(await secrets()), PLANTED_TOKEN, ...Object.values(patient)];
      for (const text of renderings) {
        for (const value of forbidden) expect(text).not.toContain(value);
      }
      // The JSON form is useful, not empty.
      expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: (error as RefxClientError).code, message: (error as Error).message });
    });
  });
});
