/**
 * sandbox > logging: one line per request (time, request id, method, path without query string,
 * status, latency), and never a key, JWT, link token or patient value, whatever the outcome.
 */
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.ts';
import { clientPart, documentationRequest, fullRequest, rawRequest, startTestSandbox, type TestSandbox } from './helpers.ts';

let sb: TestSandbox;
let jwt: string;
beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  sb = await startTestSandbox({ jwtKeys: { 'clinic-a': pair.publicKey } });
  const iat = Math.floor(sb.clock.now() / 1000);
  jwt = await new SignJWT({ iss: 'clinic-a' }).setProtectedHeader({ alg: 'ES256' }).setIssuedAt(iat).setExpirationTime(iat + 15).sign(pair.privateKey);
  sb.secrets.add(jwt);
});
afterAll(async () => {
  await sb.close();
});

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [0-9a-f]{6}-[0-9a-z]+ [A-Z]+ (\S+) (\d{3}|\S+\(aborted\)) \d+\.\dms$/;

describe('sandbox > logging', () => {
  test('a scenario through every status logs one well-formed, secret-free line per request', async () => {
    // Given a sequence of requests covering 200, 400, 401, 404, 405, 410, 413 and the form page,
    const patient = { ...fullRequest(), patientName: '<script>Tan Secret-Name</script>' };
    const requests: { status: number; path: string }[] = [];
    const expectStatus = async (res: Response, status: number, path: string): Promise<void> => {
      await res.arrayBuffer();
      expect(res.status).toBe(status);
      requests.push({ status, path });
    };
    const up = '/api/v1/links/upsert';
    const ok = await sb.upsert(patient);
    const { url, referralId } = (await ok.clone().json()) as { url: string; referralId: string };
    sb.secrets.add(new URL(url).searchParams.get('token')!);
    await expectStatus(ok, 200, up);
    await expectStatus(await sb.upsert(documentationRequest(), { headers: { authorization: `Bearer ${jwt}` } }), 200, up);
    await expectStatus(await sb.upsert({ ...patient, patientPhoneNumber: '12345678' }), 400, up);
    await expectStatus(await sb.upsert(patient, { headers: { authorization: 'ApiKey wrong-key-value' } }), 401, up);
    sb.secrets.add('wrong-key-value');
    await expectStatus(await sb.upsert(undefined, { raw: JSON.stringify({ ...patient, clinicalInfo: 'y'.repeat(110_000) }) }), 413, up);
    await expectStatus(await fetch(`${url}&utm=${patient.patientUin}`), 200, `/referral/${referralId}`);
    await expectStatus(await fetch(url), 410, `/referral/${referralId}`);
    await expectStatus(await fetch(`${sb.url}/referral/${patient.patientUin}?token=x`), 404, '/referral/(invalid)');
    await expectStatus(await fetch(`${sb.url}/patients/${patient.patientUin}/${patient.patientPhoneNumber}`), 404, '(unmatched)');
    await expectStatus(await fetch(`${sb.url}${up}?uin=${patient.patientUin}`), 405, up);
    await expectStatus(await fetch(`${sb.url}/health`), 200, '/health');
    // Then there is exactly one line per request, in order, with method, path, status and latency,
    await expect.poll(() => sb.lines.length).toBe(requests.length);
    sb.lines.forEach((line, i) => {
      const match = LINE.exec(line);
      expect(match, `line ${i} is well-formed`).not.toBeNull();
      expect(match?.[1]).toBe(requests[i]!.path);
      expect(match?.[2]).toBe(String(requests[i]!.status));
    });
    // and no key, JWT, token, UIN, name, phone or date of birth appears in any of them.
    for (const value of [patient.patientUin!, 'Secret-Name', patient.patientPhoneNumber!, patient.patientDob!, sb.key, jwt]) {
      expect(sb.secrets.has(value) || value === 'Secret-Name').toBe(true);
      expect(sb.lines.join('\n')).not.toContain(value);
    }
    sb.expectCleanLogs();
  });

  test('the leak check reads what a client could put in a line: the method, or a line of any other shape whole', async () => {
    // Every line the sandbox wrote so far is a request line: only its method is client text.
    expect(sb.lines.length).toBeGreaterThan(0);
    for (const line of sb.lines) expect(clientPart(line)).toMatch(/^[A-Z]+$/);
    const before = sb.lines.length;
    const [, id] = sb.lines[0]!.split(' ');
    // A short value that sits only in the sandbox's own request id is not a leak,
    sb.secrets.add(id!.slice(0, 3));
    sb.expectCleanLogs();
    // but one in the method, or anywhere in a line of another shape, is.
    for (const leaky of [sb.lines[0]!.replace(/ [A-Z]+ /, ` X${sb.key} `), `${sb.lines[0]} ${sb.key}`, `internal error ${sb.key}`]) {
      sb.lines.push(leaky);
      expect(() => sb.expectCleanLogs()).toThrow(/appears in 1 log line/);
      sb.lines.length = before;
    }
    sb.secrets.delete(id!.slice(0, 3));
  });

  test('request ids are unique and returned in X-Request-Id', async () => {
    const before = sb.lines.length;
    const ids: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${sb.url}/health`);
      ids.push(res.headers.get('x-request-id'));
    }
    expect(new Set(ids).size).toBe(5);
    await expect.poll(() => sb.lines.length).toBe(before + 5);
    sb.lines.slice(before).forEach((line, i) => expect(line.split(' ')[1]).toBe(ids[i]));
  });

  test('a request the HTTP parser rejects is logged once, without its content', async () => {
    const before = sb.lines.length;
    await rawRequest(sb.port, `GET /x HTTP/1.1\r\nAuthorization: ApiKey ${sb.key}\r\nBad Header Line\r\n\r\n`);
    await expect.poll(() => sb.lines.slice(before)).toEqual([expect.stringMatching(/ - - \(unparsed\) 400 -$/)]);
    sb.expectCleanLogs();
  });

  test('log: false silences the sandbox (nothing on stdout) and it still answers with request ids', async () => {
    const write = vi.spyOn(process.stdout, 'write');
    const quiet = await startSandbox({ port: 0, apiKeys: ['quiet-key'], log: false });
    try {
      const ok = await fetch(`${quiet.url}/api/v1/links/upsert`, {
        method: 'POST',
        headers: { authorization: 'ApiKey quiet-key', 'content-type': 'application/json' },
        body: JSON.stringify(documentationRequest()),
      });
      expect(ok.status).toBe(200);
      const notFound = await fetch(`${quiet.url}/nowhere`);
      expect(notFound.status).toBe(404);
      const ids = [ok.headers.get('x-request-id'), notFound.headers.get('x-request-id')];
      expect(ids.every((id) => id !== null && /^[0-9a-f]{6}-[0-9a-z]+$/.test(id))).toBe(true);
      expect(ids[0]).not.toBe(ids[1]);
      await rawRequest(quiet.port, 'GET /x HTTP/1.1\r\nBad Header Line\r\n\r\n');
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
      await quiet.close();
    }
  });
});
