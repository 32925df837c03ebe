/**
 * sandbox > auth: `ApiKey <key>` against the configured keys, `Bearer <jwt>` (ES256, iss = key name,
 * exp/iat checked against the injected clock); everything else gets the documented 401 body.
 */
import { generateKeyPairSync } from 'node:crypto';
import { base64url, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JwtKeyInput } from '../../src/sandbox/auth.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { validateUpsertResponse } from '../../src/validation.ts';
import { documentationRequest, json, startTestSandbox, type TestSandbox } from './helpers.ts';

let sb: TestSandbox;
let clinic: { privateKey: CryptoKey; publicKey: CryptoKey };
let other: { privateKey: CryptoKey; publicKey: CryptoKey };
const secondKey = 'second-key-0123456789';

beforeAll(async () => {
  clinic = await generateKeyPair('ES256', { extractable: true });
  other = await generateKeyPair('ES256', { extractable: true });
  sb = await startTestSandbox({
    apiKeys: ['first-key-abcdefghij', secondKey],
    // One key as PEM (as the CLI passes it), one as a CryptoKey.
    jwtKeys: { 'clinic-a': await exportSPKI(clinic.publicKey), 'clinic-b': other.publicKey },
  });
  sb.secrets.add('first-key-abcdefghij').add(secondKey);
});
afterAll(async () => {
  sb.expectCleanLogs();
  await sb.close();
});

const nowS = (): number => Math.floor(sb.clock.now() / 1000);

/** A RefX-style JWT: ES256, iss, iat = now, exp = iat + 15 s, unless overridden. */
async function jwt(
  opts: { iss?: string; iat?: number; exp?: number | null; key?: CryptoKey; sub?: string } = {},
): Promise<string> {
  const iat = opts.iat ?? nowS();
  const claims: Record<string, unknown> = { iss: opts.iss ?? 'clinic-a' };
  if (opts.sub) claims.sub = opts.sub;
  let token = new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).setIssuedAt(iat);
  if (opts.exp !== null) token = token.setExpirationTime(opts.exp ?? iat + 15);
  const signed = await token.sign(opts.key ?? clinic.privateKey);
  sb.secrets.add(signed);
  return signed;
}

/** An unsigned token (`alg: none`). */
function unsignedJwt(payload: Record<string, unknown>): string {
  const enc = (v: unknown): string => base64url.encode(JSON.stringify(v));
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(payload)}.`;
}

/** An HS256 token whose HMAC secret is the public key PEM (the classic algorithm-confusion attack). */
async function hs256WithPublicKey(): Promise<string> {
  const pem = new TextEncoder().encode(await exportSPKI(clinic.publicKey));
  return new SignJWT({ iss: 'clinic-a' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(nowS()).setExpirationTime(nowS() + 15).sign(pem);
}

const call = (authorization?: string): Promise<Response> =>
  sb.upsert(documentationRequest(), { headers: authorization === undefined ? { authorization: '' } : { authorization } });

/** Makes the `Authorization` header value of one case (`undefined`: no header). */
type HeaderOf = () => string | undefined | Promise<string | undefined>;

describe('sandbox > auth > accepted', () => {
  test.each<[string, HeaderOf]>([
    ['the first configured API key', () => 'ApiKey first-key-abcdefghij'],
    ['the second configured API key', () => `ApiKey ${secondKey}`],
    ['the scheme in any case', () => `apikey ${secondKey}`],
    ['an ES256 JWT (PEM-configured key)', async () => `Bearer ${await jwt()}`],
    ['an ES256 JWT (CryptoKey-configured key) with sub', async () => `Bearer ${await jwt({ iss: 'clinic-b', key: other.privateKey, sub: 'system-1' })}`],
    ['a JWT expired within the 5 s leeway', async () => `Bearer ${await jwt({ iat: nowS() - 18, exp: nowS() - 3 })}`],
    ['a JWT issued slightly in the future (clock skew)', async () => `Bearer ${await jwt({ iat: nowS() + 3 })}`],
  ])('%s gets 200', async (_name, header) => {
    const res = await call(await header());
    expect(res.status).toBe(200);
  });
});

describe('sandbox > auth > rejected with 401', () => {
  test.each<[string, HeaderOf, RegExp]>([
    ['no Authorization header', () => undefined, /^Missing Authorization header/],
    ['an unknown API key', () => 'ApiKey not-a-configured-key', /^Invalid API key$/],
    ['a configured key with one character changed', () => `ApiKey ${secondKey.slice(0, -1)}X`, /^Invalid API key$/],
    ['a configured key prefix', () => `ApiKey ${secondKey.slice(0, 5)}`, /^Invalid API key$/],
    ['a key without scheme', () => secondKey, /^Invalid Authorization header/],
    ['Basic auth', () => `Basic ${btoa(`user:${secondKey}`)}`, /^Invalid Authorization header/],
    ['a key sent as a Bearer token', () => `Bearer ${secondKey}`, /^Invalid JWT/],
    ['an empty ApiKey', () => 'ApiKey ', /^Invalid Authorization header/],
    ['a JWT sent as an ApiKey', async () => `ApiKey ${await jwt()}`, /^Invalid API key$/],
    ['alg: none', () => `Bearer ${unsignedJwt({ iss: 'clinic-a', iat: nowS(), exp: nowS() + 15 })}`, /^Invalid JWT/],
    ['HS256 signed with the public key', () => hs256WithPublicKey().then((t) => `Bearer ${t}`), /^Invalid JWT/],
    ['a JWT signed with another key than its iss names', async () => `Bearer ${await jwt({ iss: 'clinic-a', key: other.privateKey })}`, /^Invalid JWT \(ERR_JWS_SIGNATURE_VERIFICATION_FAILED\)$/],
    ['an unknown iss', async () => `Bearer ${await jwt({ iss: 'clinic-z' })}`, /^Invalid JWT \(unknown issuer\)$/],
    ['iss __proto__', async () => `Bearer ${await jwt({ iss: '__proto__' })}`, /^Invalid JWT \(unknown issuer\)$/],
    ['an expired JWT', async () => `Bearer ${await jwt({ iat: nowS() - 60, exp: nowS() - 45 })}`, /^Invalid JWT \(ERR_JWT_EXPIRED\)$/],
    ['a far-future iat', async () => `Bearer ${await jwt({ iat: nowS() + 3600 })}`, /^Invalid JWT \(ERR_JWT_CLAIM_VALIDATION_FAILED\)$/],
    ['an old iat with a far exp', async () => `Bearer ${await jwt({ iat: nowS() - 3600, exp: nowS() + 3600 })}`, /^Invalid JWT \(ERR_JWT_EXPIRED\)$/],
    ['a JWT without exp', async () => `Bearer ${await jwt({ exp: null })}`, /^Invalid JWT \(ERR_JWT_CLAIM_VALIDATION_FAILED\)$/],
    ['a tampered payload', async () => {
      const [h, , s] = (await jwt()).split('.');
      return `Bearer ${h}.${base64url.encode(JSON.stringify({ iss: 'clinic-a', iat: nowS(), exp: nowS() + 9999 }))}.${s}`;
    }, /^Invalid JWT/],
    ['garbage', () => 'Bearer a.b.c', /^Invalid JWT/],
  ])('%s', async (_name, header, message) => {
    const res = await call(await header());
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('ApiKey, Bearer');
    const body = await json(res);
    expect(body).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(message) });
    expect(validateUpsertResponse(401, body)).toEqual({ ok: true });
  });

  test('a JWT is refused once the injected clock passes exp + leeway', async () => {
    const token = await jwt();
    expect((await call(`Bearer ${token}`)).status).toBe(200);
    sb.clock.advance(21_000);
    expect((await call(`Bearer ${token}`)).status).toBe(401);
  });

  test('401 comes before the body is looked at', async () => {
    const res = await sb.upsert(undefined, { headers: { authorization: 'ApiKey nope', 'content-type': 'text/plain' }, raw: '{' });
    expect(res.status).toBe(401);
  });
});

describe('sandbox > auth > configuration', () => {
  test('with no key configured a dev key is generated, reported and accepted', async () => {
    const dev = await startSandbox({ port: 0, log: () => {} });
    try {
      expect(dev.devApiKey).toMatch(/^sbx_dev_[A-Za-z0-9_-]{32}$/);
      expect(dev.apiKeys).toEqual([dev.devApiKey]);
      const res = await fetch(`${dev.url}/api/v1/links/upsert`, {
        method: 'POST',
        headers: { authorization: `ApiKey ${dev.devApiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(documentationRequest()),
      });
      expect(res.status).toBe(200);
    } finally {
      await dev.close();
    }
  });

  test('with only JWT keys configured no dev key is generated and ApiKey is refused', async () => {
    const jwtOnly = await startSandbox({ port: 0, log: () => {}, jwtKeys: { 'clinic-a': clinic.publicKey } });
    try {
      expect(jwtOnly.devApiKey).toBeUndefined();
      expect(jwtOnly.apiKeys).toEqual([]);
      const res = await fetch(`${jwtOnly.url}/api/v1/links/upsert`, {
        method: 'POST',
        headers: { authorization: 'ApiKey anything', 'content-type': 'application/json' },
        body: JSON.stringify(documentationRequest()),
      });
      expect(res.status).toBe(401);
    } finally {
      await jwtOnly.close();
    }
  });

  test.each<[string, () => JwtKeyInput, RegExp]>([
    ['a private key', () => clinic.privateKey, /must be an ECDSA P-256 public key/],
    ['an RSA key', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey, /must be a P-256 public key/],
    ['a P-384 key', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey, /must be a P-256 public key/],
    ['a PEM that is not a key', () => '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', /not an ES256 \(P-256\) public key/],
  ] as const)('a JWT key that is %s is refused at start', async (_name, key, message) => {
    await expect(startSandbox({ port: 0, log: () => {}, jwtKeys: { bad: key() } })).rejects.toThrow(message);
  });

  test('an API key with whitespace is refused at start without echoing it', async () => {
    const start = startSandbox({ port: 0, log: () => {}, apiKeys: ['ok-key', 'has space'] });
    await expect(start).rejects.toThrow(/^API key #2 contains whitespace$/);
  });
});
