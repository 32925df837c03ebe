/**
 * sandbox > links: the upsert rule (CONTRACT.md sandbox decision), the link's shape, the hosted
 * form (pre-filled, escaped, security headers), single use (also under concurrent visits) and the
 * 15-minute expiry on the injected clock.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ReferralUpsertLinkRequest } from '../../generated/schema.ts';
import { documentationRequest, fullRequest, json, startTestSandbox, type TestSandbox } from './helpers.ts';

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(async () => {
  sb.expectCleanLogs();
  await sb.close();
});

const FIFTEEN_MINUTES = 15 * 60 * 1000;
const patient = (overrides: Partial<ReferralUpsertLinkRequest> = {}): ReferralUpsertLinkRequest => ({
  ...fullRequest(),
  ...overrides,
});
const tokenOf = (url: string): string => new URL(url).searchParams.get('token') ?? '';
const withToken = (url: string, token: string): string => {
  const u = new URL(url);
  u.searchParams.set('token', token);
  return u.href;
};

describe('sandbox > links > upsert rule', () => {
  test('same institution + referrer + patientUin: same referralId, new link, refreshed pre-fill', async () => {
    const first = await sb.link(patient({ patientUin: 'S0000001I', patientName: 'First Name-Before' }));
    const second = await sb.link(patient({ patientUin: 'S0000001I', patientName: 'Second Name-After', patientPhoneNumber: undefined }));
    expect(second.referralId).toBe(first.referralId);
    expect(second.url).not.toBe(first.url);
    const page = await (await fetch(second.url)).text();
    expect(page).toContain('Second Name-After');
    expect(page).not.toContain('First Name-Before');
    // Replaced, not merged: a field left out of the new call is no longer pre-filled.
    expect(page).not.toContain(fullRequest().patientPhoneNumber!);
  });

  test.each([
    ['another patientUin', { patientUin: 'S0000002G' }],
    ['another referrerId', { referrerId: 'MCR99999Z' }],
    ['another referrerInstitutionId', { referrerInstitutionId: 'S9999Z' }],
  ] as const)('%s makes a new draft', async (_name, change) => {
    const base = patient({ patientUin: 'S0000003E' });
    const a = await sb.link(base);
    const b = await sb.link({ ...base, ...change });
    expect(b.referralId).not.toBe(a.referralId);
  });

  test('without patientUin every call makes a new draft', async () => {
    const body = documentationRequest();
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await sb.link(body)).referralId);
    expect(ids.size).toBe(3);
  });

  test('an empty patientUin is treated as absent (new draft each time)', async () => {
    const body = patient({ patientUin: '' });
    expect((await sb.link(body)).referralId).not.toBe((await sb.link(body)).referralId);
  });

  test('issuing a new link for a draft retires its previous link (410)', async () => {
    const body = patient({ patientUin: 'S0000004C' });
    const old = await sb.link(body);
    const fresh = await sb.link(body);
    expect((await fetch(old.url)).status).toBe(410);
    expect((await fetch(fresh.url)).status).toBe(200);
  });
});

describe('sandbox > links > shape', () => {
  test('200 {referralId, url, type: upsert}: url is <origin>/referral/<referralId>?token=<43 base64url chars>', async () => {
    const res = await sb.upsert(fullRequest());
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(Object.keys(body).sort()).toEqual(['referralId', 'type', 'url']);
    expect(body.type).toBe('upsert');
    expect(body.referralId).toMatch(/^ref-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const url = new URL(String(body.url));
    expect(url.origin).toBe(sb.url);
    expect(url.pathname).toBe(`/referral/${String(body.referralId)}`);
    expect(tokenOf(url.href)).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes = 256 bits
    sb.secrets.add(tokenOf(url.href));
  });

  test('tokens are distinct and unrelated to the referralId', async () => {
    const body = patient({ patientUin: 'S0000005A' });
    const links = [await sb.link(body), await sb.link(body), await sb.link(body)];
    const tokens = new Set(links.map((l) => tokenOf(l.url)));
    expect(tokens.size).toBe(3);
    for (const token of tokens) expect(token).not.toContain(links[0]!.referralId.slice(4, 12));
  });
});

describe('sandbox > links > the hosted form', () => {
  test('first visit: 200 HTML form pre-filled with referrer and patient, with security headers', async () => {
    const body = fullRequest();
    const { url, referralId } = await sb.link(body);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+='/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/script-src|unsafe-inline/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('<title>RefX referral form (sandbox)</title>');
    expect(html).toContain('Sandbox — not the real RefX');
    expect(html).toContain(referralId);
    expect(html).not.toMatch(/<script|https?:\/\//i); // no scripts, no external resources
    for (const value of [
      body.referrerInstitutionName, body.referrerInstitutionId, body.referrerName, body.referrerId,
      body.requesterIdentifier, body.patientName, body.patientUin, body.patientDob, body.patientPhoneNumber,
      body.address?.postalCode, body.address?.streetName, body.clinicLicenseNumber, body.clinicalInfo,
    ]) {
      expect(html).toContain(`${value}`);
    }
    // Enums are pre-selected options.
    for (const value of [body.patientGender, body.residentialStatus, body.nationality, body.clinicType, body.referrerIdType]) {
      expect(html).toContain(`<option selected>${value}</option>`);
    }
    expect(html).toMatch(/name="isPatientHsgEnrolled" checked/);
  });

  test('a <script> patient name and quotes in every field are HTML-escaped', async () => {
    const evil = '<script>alert("x")</script>';
    const body = patient({ patientName: evil, referrerName: `Dr "quoted" O'Neil & <b>co</b>`, clinicalInfo: '</textarea><script>alert(1)</script>' });
    const html = await (await fetch((await sb.link(body)).url)).text();
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<b>co</b>');
    expect(html).toContain('value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"');
    expect(html).toContain('Dr &quot;quoted&quot; O&#39;Neil &amp; &lt;b&gt;co&lt;/b&gt;');
    expect(html).toContain('&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>');
  });
});

describe('sandbox > links > single use', () => {
  test('the second visit gets the 410 "no longer valid" page', async () => {
    const { url } = await sb.link();
    expect((await fetch(url)).status).toBe(200);
    const again = await fetch(url);
    expect(again.status).toBe(410);
    expect(again.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(again.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    const html = await again.text();
    expect(html).toContain('This link is no longer valid');
    expect(html).not.toContain(fullRequest().patientName!);
  });

  test('20 concurrent visits: exactly one 200, the rest 410', async () => {
    const { url } = await sb.link();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await fetch(url);
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 410)).toHaveLength(19);
  });

  test('HEAD and POST do not use the link up (405 with Allow: GET)', async () => {
    const { url } = await sb.link();
    for (const method of ['HEAD', 'POST']) {
      const res = await fetch(url, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET');
    }
    expect((await fetch(url)).status).toBe(200);
  });
});

describe('sandbox > links > expiry (fake clock)', () => {
  test('valid just before 15 minutes, 410 at 15 minutes, used or not', async () => {
    const early = await sb.link();
    const late = await sb.link();
    sb.clock.advance(FIFTEEN_MINUTES - 1);
    expect((await fetch(early.url)).status).toBe(200);
    sb.clock.advance(1);
    expect((await fetch(late.url)).status).toBe(410);
  });

  test('the expiry counts from creation, not from the draft: an upsert issues a fresh 15 minutes', async () => {
    const body = patient({ patientUin: 'S0000006Z' });
    const first = await sb.link(body);
    sb.clock.advance(FIFTEEN_MINUTES - 1000);
    const second = await sb.link(body);
    expect(second.referralId).toBe(first.referralId);
    sb.clock.advance(10 * 60 * 1000);
    expect((await fetch(second.url)).status).toBe(200);
  });
});

describe('sandbox > links > wrong and malformed links', () => {
  test.each([
    ['a wrong token', 410, async () => withToken((await sb.link()).url, 'A'.repeat(43))],
    ["another draft's token", 410, async () => withToken((await sb.link()).url, tokenOf((await sb.link()).url))],
    ['an unknown referralId with a well-formed token', 410, async () => `${sb.url}/referral/ref-00000000-0000-4000-8000-000000000000?token=${'B'.repeat(43)}`],
    ['no token', 404, async () => (await sb.link()).url.split('?')[0]!],
    ['a token of the wrong length', 404, async () => withToken((await sb.link()).url, 'short')],
    ['a malformed referralId', 404, async () => `${sb.url}/referral/not-a-ref?token=${'C'.repeat(43)}`],
  ] as const)('%s gets %i', async (_name, status, makeUrl) => {
    const res = await fetch(await makeUrl());
    expect(res.status).toBe(status);
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    const html = await res.text();
    expect(html).toContain(status === 410 ? 'This link is no longer valid' : 'Page not found');
  });

  test('a path below a referral is an unknown path (404 JSON)', async () => {
    const res = await fetch(`${(await sb.link()).url.split('?')[0]!}/x`);
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ statusCode: 404, message: 'Not found', error: 'Not Found' });
  });

  test('a wrong token does not use up the real link', async () => {
    const { url } = await sb.link();
    expect((await fetch(withToken(url, 'D'.repeat(43)))).status).toBe(410);
    expect((await fetch(url)).status).toBe(200);
  });
});
