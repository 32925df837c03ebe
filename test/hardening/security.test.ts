/**
 * hardening > security of the sandbox, on top of test/sandbox/auth.test.ts (alg none, HS256 signed
 * with the public key, wrong key, unknown iss, expired, far-future iat, old iat with far exp are
 * tested there): the JWT attacks it does not cover, link-token entropy and single use, escaping of
 * every free field of the hosted form, the headers of every page, and no secret in anything the
 * sandbox process prints.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ReferralUpsertLinkDto } from '../../generated/schema.ts';
import { UPSERT_PATH } from '../../src/spec.ts';
import { allFields, isFreeString } from '../../src/verify/schema.ts';
import { documentationRequest, fullRequest, startTestSandbox, type TestSandbox } from '../sandbox/helpers.ts';

let sb: TestSandbox;
let clinic: { privateKey: CryptoKey; publicKey: CryptoKey };
let attacker: { privateKey: CryptoKey; publicKey: CryptoKey };

beforeAll(async () => {
  clinic = await generateKeyPair('ES256', { extractable: true });
  attacker = await generateKeyPair('ES256', { extractable: true });
  sb = await startTestSandbox({ jwtKeys: { 'clinic-a': clinic.publicKey } });
});
afterAll(async () => {
  sb.expectCleanLogs();
  await sb.close();
});

const nowS = (): number => Math.floor(sb.clock.now() / 1000);
const tokenOf = (url: string): string => new URL(url).searchParams.get('token') ?? '';

describe('hardening > security > JWT attacks not covered by sandbox > auth', () => {
  /** Signs claims with a header; `iat` now and `exp` = `iat` + 15 unless given. */
  const sign = async (claims: Record<string, unknown>, header: Record<string, unknown> = {}, key: CryptoKey = clinic.privateKey): Promise<string> => {
    const token = await new SignJWT({ iss: 'clinic-a', iat: nowS(), exp: nowS() + 15, ...claims })
      .setProtectedHeader({ alg: 'ES256', ...header })
      .sign(key);
    sb.secrets.add(token);
    return token;
  };

  /** Signs any header (jose refuses to sign some on purpose, e.g. an unknown `crit`). */
  const signRaw = async (header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> => {
    const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
    // WebCrypto's ECDSA signature is r‖s, exactly the JWS form.
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, clinic.privateKey, new TextEncoder().encode(input));
    const token = `${input}.${base64url.encode(new Uint8Array(signature))}`;
    sb.secrets.add(token);
    return token;
  };

  test.each<[string, () => Promise<string>]>([
    ['regression: a far-future exp (a year) with a fresh iat was accepted (maxTokenAge bounds iat only)', () => sign({ exp: nowS() + 365 * 86_400 })],
    ['an exp an hour ahead with a fresh iat', () => sign({ exp: nowS() + 3_600 })],
    ['an attacker key embedded in the header (jwk)', async () => sign({}, { jwk: await exportJWK(attacker.publicKey) }, attacker.privateKey)],
    ['an attacker key URL in the header (jku) and kid', async () => sign({}, { jku: 'http://127.0.0.1:1/keys', kid: await calculateJwkThumbprint(await exportJWK(attacker.publicKey)) }, attacker.privateKey)],
    ['an unknown critical header parameter', () => signRaw({ alg: 'ES256', crit: ['x-refx'], 'x-refx': 1 }, { iss: 'clinic-a', iat: nowS(), exp: nowS() + 15 })],
    ['a nbf in the future', () => sign({ nbf: nowS() + 600 })],
    ['iss as an array naming the key', () => sign({ iss: ['clinic-a'] })],
    ['alg "None" (case variant) without signature', async () => {
      const enc = (v: unknown): string => base64url.encode(JSON.stringify(v));
      return `${enc({ alg: 'None' })}.${enc({ iss: 'clinic-a', iat: nowS(), exp: nowS() + 15 })}.`;
    }],
    ['a valid token with its signature stripped', async () => `${(await sign({})).split('.').slice(0, 2).join('.')}.`],
    ['a valid token with a second signature segment', async () => `${await sign({})}.AAAA`],
  ])('%s gets 401', async (_name, token) => {
    const res = await sb.upsert(documentationRequest(), { headers: { authorization: `Bearer ${await token()}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toMatch(/^Invalid JWT/);
  });

  test('the same claims, signed properly by either signer, get 200 (the table above fails for its attack only)', async () => {
    for (const token of [await sign({}), await signRaw({ alg: 'ES256' }, { iss: 'clinic-a', iat: nowS(), exp: nowS() + 15 })]) {
      const res = await sb.upsert(documentationRequest(), { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    }
  });
});

describe('hardening > security > link tokens', () => {
  const SAMPLES = 600;
  const links: ReferralUpsertLinkDto[] = [];
  beforeAll(async () => {
    const capped = await startTestSandbox();
    try {
      // Half on one draft (same patient: a new token each time), half on new drafts.
      const same = { ...documentationRequest(), patientUin: 'S0000001I' };
      for (let i = 0; i < SAMPLES; i++) links.push(await capped.link(i % 2 ? same : documentationRequest()));
    } finally {
      await capped.close();
    }
  }, 60_000);

  const bits = (token: string): number[] =>
    [...Buffer.from(token, 'base64url')].flatMap((byte) => Array.from({ length: 8 }, (_, i) => (byte >> (7 - i)) & 1));

  test('each token carries 256 bits (32 bytes, base64url), at least the 128 required', () => {
    for (const { url } of links) {
      const token = tokenOf(url);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
  });

  test(`${SAMPLES} tokens are distinct and every bit position is balanced (random, not a counter or a hash)`, () => {
    const tokens = links.map((l) => tokenOf(l.url));
    expect(new Set(tokens).size).toBe(SAMPLES);
    const ones = new Array<number>(256).fill(0);
    for (const token of tokens) bits(token).forEach((b, i) => (ones[i]! += b));
    // Binomial(600, ½): sd ≈ 12; 30–70 % is more than 8 sd away. A counter, timestamp or fixed
    // prefix leaves positions stuck at 0 or 1.
    for (const count of ones) {
      expect(count).toBeGreaterThan(SAMPLES * 0.3);
      expect(count).toBeLessThan(SAMPLES * 0.7);
    }
    // Consecutive tokens differ in about half their bits: the next token is not derivable from the last.
    for (let i = 1; i < tokens.length; i++) {
      const a = bits(tokens[i - 1]!);
      const distance = bits(tokens[i]!).filter((b, j) => b !== a[j]).length;
      expect(distance).toBeGreaterThan(64);
      expect(distance).toBeLessThan(192);
    }
  });

  test('a token is not derivable from its referralId: one referralId gets unrelated tokens', async () => {
    const byId = new Map<string, string[]>();
    for (const l of links) byId.set(l.referralId, [...(byId.get(l.referralId) ?? []), tokenOf(l.url)]);
    const repeated = [...byId.entries()].find(([, tokens]) => tokens.length > 100);
    expect(repeated).toBeDefined();
    const [referralId, tokens] = repeated!;
    expect(new Set(tokens).size).toBe(tokens.length);
    const { createHash, createHmac } = await import('node:crypto');
    const uuidBytes = Buffer.from(referralId.slice(4).replace(/-/g, ''), 'hex');
    const derived = [
      createHash('sha256').update(referralId).digest('base64url'),
      createHash('sha256').update(uuidBytes).digest('base64url'),
      createHmac('sha256', '').update(referralId).digest('base64url'),
      Buffer.from(referralId).toString('base64url'),
    ];
    for (const token of tokens) {
      expect(derived).not.toContain(token);
      expect(token).not.toContain(referralId.slice(4, 12));
    }
  });

  test('a used token stays dead, also after its draft is upserted again or in another letter case', async () => {
    const body = { ...fullRequest(), patientUin: 'S0000002G' };
    const first = await sb.link(body);
    expect((await fetch(first.url)).status).toBe(200);
    const second = await sb.link(body);
    expect(second.referralId).toBe(first.referralId);
    expect((await fetch(first.url)).status).toBe(410);
    const token = tokenOf(second.url);
    const flipped = token.replace(/[a-z]/, (c) => c.toUpperCase());
    expect(flipped).not.toBe(token);
    expect((await fetch(second.url.replace(token, flipped))).status).toBe(410);
    expect((await fetch(second.url)).status).toBe(200);
    expect((await fetch(second.url)).status).toBe(410);
  });
});

describe('hardening > security > the hosted form escapes every value', () => {
  /** The free-text fields of the request (no pattern, format or enum), from the spec. */
  const free = allFields.filter((f) => isFreeString(f.schema)).map((f) => f.pointer.slice(1).split('/'));
  const set = (body: Record<string, unknown>, path: string[], value: string): void => {
    let node = body;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    node[path[path.length - 1]!] = value;
  };
  /** Characters that would change the page's structure if a value were not escaped. */
  const structural = (html: string): string => html.replace(/[^<>"']/g, '');

  const page = async (value: (field: string) => string): Promise<string> => {
    const body = fullRequest() as unknown as Record<string, unknown>;
    for (const path of free) set(body, path, value(path.join('.')));
    const { url } = await sb.link(body as never);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return res.text();
  };

  test('a <script> or "onerror= patient name renders as text', async () => {
    const html = await page((f) => (f === 'patientName' ? '<script>alert(1)</script>"onerror="alert(2)' : 'x'));
    expect(html).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;onerror=&quot;alert(2)"');
    expect(html).not.toMatch(/<script|\sonerror=/i);
  });

  test(`hostile text in all ${free.length} free fields leaves the page structure unchanged (property, 60 runs)`, async () => {
    expect(free.length).toBeGreaterThan(8);
    const reference = structural(await page(() => 'plain'));
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' autofocus onfocus='alert(1)", '</textarea><svg onload=alert(1)>', '<!--', ']]>', '&lt;already&gt;', '<style>*{display:none}</style>'),
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...free.map((p) => p.join('.'))), hostile), async (values) => {
        const html = await page((f) => values[f] ?? 'plain');
        // Escaped values add no <, >, " or ': the page has exactly the reference's structure.
        expect(structural(html)).toBe(reference);
      }),
      { numRuns: 60, interruptAfterTimeLimit: 20_000 },
    );
  });
});

describe('hardening > security > headers of every page and answer', () => {
  const PAGE_HEADERS = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
  test.each<[string, number, () => Promise<string>]>([
    ['the form (200)', 200, async () => (await sb.link()).url],
    ['a used link (410)', 410, async () => {
      const { url } = await sb.link();
      await (await fetch(url)).arrayBuffer();
      return url;
    }],
    ['a malformed link (404)', 404, async () => `${sb.url}/referral/not-a-referral?token=x`],
  ])('%s sends CSP without scripts, nosniff, no-referrer and no-store', async (_name, status, url) => {
    const res = await fetch(await url());
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/script-src|unsafe-|\*/);
    for (const [name, value] of Object.entries(PAGE_HEADERS)) expect(res.headers.get(name)).toBe(value);
    expect(await res.text()).not.toMatch(/<script/i);
  });

  test('the 200 answer carrying the link token is not cacheable', async () => {
    const res = await sb.upsert(documentationRequest());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    sb.secrets.add(tokenOf(((await res.json()) as ReferralUpsertLinkDto).url));
  });
});

describe('hardening > security > no secret in anything the sandbox process prints', () => {
  test('npm run sandbox: stdout and stderr of a hostile session hold no key, token or patient value', async () => {
    const key = `cli-secret-key-${crypto.randomUUID()}`;
    const cli = fileURLToPath(new URL('../../src/sandbox/cli.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const child = spawn(tsx, [cli, '--port', '0'], { env: { ...process.env, REFX_SANDBOX_API_KEYS: key }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    try {
      const lines = createInterface({ input: child.stdout });
      let origin = '';
      for await (const line of lines) {
        const match = /listening on (http:\/\/\S+)/.exec(line);
        if (match) {
          origin = match[1]!;
          break;
        }
      }
      expect(origin).not.toBe('');
      const patient = { ...fullRequest(), patientName: 'Leaky Secretname', patientUin: 'S7777777Z', patientPhoneNumber: '98765432', patientDob: '1971-07-07' };
      const post = (auth: string, body: unknown, type = 'application/json'): Promise<Response> =>
        fetch(`${origin}${UPSERT_PATH}?uin=${patient.patientUin}`, { method: 'POST', headers: { authorization: auth, 'content-type': type }, body: JSON.stringify(body) });
      const ok = await post(`ApiKey ${key}`, patient);
      const { url } = (await ok.json()) as ReferralUpsertLinkDto;
      const responses = await Promise.all([
        post(`ApiKey ${key.slice(0, -1)}`, patient),
        post(`Bearer ${key}`, patient),
        post(`ApiKey ${key}`, { ...patient, patientPhoneNumber: 'Leaky-Phone', patientDob: 'Leaky-Dob' }),
        post(`ApiKey ${key}`, patient, 'text/plain'),
        fetch(url),
        fetch(url),
        fetch(`${origin}/referral/${patient.patientUin}?token=${tokenOf(url)}`),
        fetch(`${origin}/${patient.patientName}/${key}`),
      ]);
      const bodies = await Promise.all(responses.map((r) => r.text()));
      child.kill('SIGTERM');
      await once(child, 'exit');
      expect(output).toMatch(/listening on/);
      expect(output.split('\n').filter((l) => /\/api\/v1\/links\/upsert \d{3}/.test(l)).length).toBeGreaterThanOrEqual(5);
      const secrets = [key, tokenOf(url), patient.patientName, patient.patientUin, patient.patientPhoneNumber, patient.patientDob, 'Leaky-Phone', 'Leaky-Dob'];
      for (const secret of secrets) expect(output.includes(secret), `a secret of length ${secret.length} in the process output`).toBe(false);
      // Error bodies too (the form page, bodies[4], shows the patient on purpose).
      const errors = bodies.filter((_, i) => i !== 4).join('\n');
      for (const secret of secrets) expect(errors.includes(secret), `a secret of length ${secret.length} in an error body`).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
