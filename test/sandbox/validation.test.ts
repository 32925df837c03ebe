/**
 * sandbox > validation: requests are checked by the one spec validator (src/validation.ts); every
 * violation is listed in the documented 400 body; malformed or non-JSON input is a 400, never a 5xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestExamples } from '../../src/spec.ts';
import { validateUpsertRequest, validateUpsertResponse } from '../../src/validation.ts';
import { documentationRequest, fullRequest, json, startTestSandbox, type TestSandbox } from './helpers.ts';

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(async () => {
  sb.expectCleanLogs();
  await sb.close();
});

type Body = Record<string, unknown>;
const without = (body: Body, field: string): Body => {
  const copy = { ...body };
  delete copy[field];
  return copy;
};

/** [name, { given: request body, want: pointer of the violation the body must name }] */
const invalidBodies: [string, { given: Body; want: string[] }][] = [
  ['a missing required field', { given: without(documentationRequest() as Body, 'requesterIdentifier'), want: ['/requesterIdentifier'] }],
  ['a value outside an enum', { given: { ...documentationRequest(), referrerIdType: 'MCR' }, want: ['/referrerIdType'] }],
  ['a phone number breaking the pattern', { given: { ...fullRequest(), patientPhoneNumber: '12345678' }, want: ['/patientPhoneNumber'] }],
  ['a date of birth that is not a date', { given: { ...fullRequest(), patientDob: '31/01/1980' }, want: ['/patientDob'] }],
  ['a wrong type', { given: { ...fullRequest(), isPatientHsgEnrolled: 'yes' }, want: ['/isPatientHsgEnrolled'] }],
  ['an incomplete address', { given: { ...fullRequest(), address: { postalCode: '168753' } }, want: ['/address/block', '/address/streetName', '/address/floorNumber', '/address/unitNumber'] }],
  ['several violations at once', { given: { ...without(fullRequest() as Body, 'referrerName'), patientGender: 'M', nationality: 'Singaporean' }, want: ['/referrerName', '/patientGender', '/nationality'] }],
  ['a body that is an array', { given: [] as unknown as Body, want: ['(body)'] }],
];

describe('sandbox > validation > invalid bodies get 400 listing every violation', () => {
  test.each(invalidBodies)('%s', async (_name, { given, want }) => {
    const res = await sb.upsert(given);
    expect(res.status).toBe(400);
    const body = await json(res);
    // Exactly what the shared validator says, one message per violation, in the documented body.
    const expected = validateUpsertRequest(given);
    expect(expected.ok).toBe(false);
    const messages = expected.ok ? [] : expected.violations.map((v) => v.message);
    expect(body).toEqual({ statusCode: 400, message: messages, error: 'Bad Request' });
    expect(messages).toHaveLength(want.length);
    want.forEach((pointer, i) => expect(messages[i]).toMatch(new RegExp(`^${pointer.replace(/[()]/g, '\\$&')} `)));
    expect(validateUpsertResponse(400, body)).toEqual({ ok: true });
  });
});

describe('sandbox > validation > valid bodies get 200', () => {
  test.each(requestExamples().map((e) => [e.name, e.value] as const))('spec example %s', async (_name, value) => {
    const res = await sb.upsert(value);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(validateUpsertResponse(200, body)).toEqual({ ok: true });
  });

  test('unknown properties are accepted (the spec does not forbid them) and not stored', async () => {
    const res = await sb.upsert({ ...documentationRequest(), somethingNew: 'value-not-in-spec' });
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    expect(await (await fetch(url)).text()).not.toContain('value-not-in-spec');
  });
});

/** [name, { given: raw body and content type, want: message }] */
const malformed: [string, { body: string | Uint8Array; type?: string; want: string }][] = [
  ['truncated JSON', { body: '{"referrerId":', want: 'Request body is not valid JSON' }],
  ['not JSON at all', { body: 'referrerId=1', want: 'Request body is not valid JSON' }],
  ['an empty body', { body: '', want: 'Request body is required' }],
  ['invalid UTF-8', { body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), want: 'Request body is not valid UTF-8' }],
  ['text/plain', { body: JSON.stringify(documentationRequest()), type: 'text/plain', want: 'Content-Type must be application/json' }],
  ['a form', { body: 'a=1', type: 'application/x-www-form-urlencoded', want: 'Content-Type must be application/json' }],
  ['JSON in another charset', { body: '{}', type: 'application/json; charset=latin1', want: 'Content-Type must be application/json' }],
  ['a look-alike type', { body: '{}', type: 'application/jsonp', want: 'Content-Type must be application/json' }],
];

describe('sandbox > validation > malformed requests get 400', () => {
  test.each(malformed)('%s', async (_name, { body, type = 'application/json', want }) => {
    const res = await sb.upsert(undefined, { headers: { 'content-type': type }, raw: body as string });
    expect(res.status).toBe(400);
    expect(await json(res)).toEqual({ statusCode: 400, message: want, error: 'Bad Request' });
  });

  test('a missing Content-Type gets 400', async () => {
    const res = await fetch(`${sb.url}/api/v1/links/upsert`, {
      method: 'POST',
      headers: { authorization: `ApiKey ${sb.key}` },
      body: new Blob([JSON.stringify(documentationRequest())]), // a Blob without type sends no Content-Type
    });
    expect(res.status).toBe(400);
    expect((await json(res)).message).toBe('Content-Type must be application/json');
  });

  test('Content-Type parameters and case are tolerated', async () => {
    const res = await sb.upsert(documentationRequest(), { headers: { 'content-type': 'Application/JSON; Charset="UTF-8"' } });
    expect(res.status).toBe(200);
  });

  test('deeply nested JSON gets 400, not a crash', async () => {
    const depth = 50_000;
    for (const raw of ['['.repeat(depth) + ']'.repeat(depth), '{"a":'.repeat(depth / 5) + '1' + '}'.repeat(depth / 5)]) {
      const res = await sb.upsert(undefined, { raw });
      expect(res.status).toBe(400);
    }
    expect((await fetch(`${sb.url}/health`)).status).toBe(200);
  });
});

describe('sandbox > validation > prototype pollution', () => {
  test('__proto__, constructor and prototype keys are own data and pollute nothing', async () => {
    const raw =
      JSON.stringify(documentationRequest()).slice(0, -1) +
      ',"__proto__":{"polluted":"yes","referrerIdType":"bad"},"constructor":{"prototype":{"polluted":"yes"}},"__proto__":{"polluted":"again"}}';
    const res = await sb.upsert(undefined, { raw });
    expect(res.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    const page = await (await fetch(((await res.json()) as { url: string }).url)).text();
    expect(page).not.toContain('polluted');
  });
});

describe('sandbox > validation > no client input produces a 5xx', () => {
  test('arbitrary JSON values and strings get 200 or 400 (bounded: 150 runs)', async () => {
    const anyBody = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
      fc.string({ maxLength: 200 }),
      // Near-valid: the documentation example with one field replaced by anything.
      fc
        .tuple(fc.constantFrom(...Object.keys(fullRequest())), fc.jsonValue())
        .map(([field, value]) => JSON.stringify({ ...fullRequest(), [field]: value })),
    );
    await fc.assert(
      fc.asyncProperty(anyBody, async (raw) => {
        const res = await sb.upsert(undefined, { raw });
        await res.arrayBuffer();
        expect([200, 400]).toContain(res.status);
      }),
      { numRuns: 150, interruptAfterTimeLimit: 20_000 },
    );
  });
});
