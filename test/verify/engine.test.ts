/**
 * verify > engine: set-up failures, determinism, shrinking, redaction, reproducers and reports,
 * against real planted servers on 127.0.0.1:0.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { validateUpsertRequest } from '../../src/validation.ts';
import { shrinkRejected, runVerification, SetupError, toJUnit, coverageHtml, responseConformance, type VerificationReport } from '../../src/verify/index.ts';
import { createRedactor, toCurl } from '../../src/verify/redact.ts';
import { baseBody, requiredOnly } from '../../src/verify/valid.ts';
import { startPlantedServer, type PlantedServer } from '../../contract-tests/planted/server.ts';

const run = (server: PlantedServer, seed: number, runs = 10): Promise<VerificationReport> =>
  runVerification({ baseUrl: server.url, authorization: async () => `ApiKey ${server.apiKey}`, credentialForRepro: server.apiKey, seed, runs, dredd: false });

describe('verify > engine > set-up', () => {
  test('an unreachable target is a SetupError naming the target', async () => {
    const err = await runVerification({ baseUrl: 'http://127.0.0.1:1', seed: 1, runs: 1, dredd: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SetupError);
    expect((err as Error).message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
  });

  test('a base URL that is not http(s) is a SetupError', async () => {
    await expect(runVerification({ baseUrl: 'ftp://x', seed: 1, runs: 1, dredd: false })).rejects.toBeInstanceOf(SetupError);
  });
});

describe('verify > engine > determinism', () => {
  test('the same seed sends the same requests', async () => {
    const bodies: string[][] = [[], []];
    let round = 0;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies[round]!.push(`${req.headers.authorization ?? '-'} ${Buffer.concat(chunks).toString()}`);
        res.writeHead(400, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (round = 0; round < 2; round++) await runVerification({ baseUrl: url, authorization: async () => 'ApiKey k-123456', seed: 99, runs: 15, dredd: false, shrinkBudget: 0 });
    } finally {
      server.closeAllConnections();
      server.close();
    }
    expect(bodies[0]!.length).toBeGreaterThan(300);
    // Concurrency reorders arrivals, never contents.
    expect([...bodies[1]!].sort()).toEqual([...bodies[0]!].sort());
  });
});

describe('verify > engine > credentials', () => {
  // Given a provider that hands out a new value on every call, when a run sends its requests,
  // then an API key (which does not expire) is fetched once and a JWT before every request.
  test.each([
    ['an ApiKey header is fetched once', 'ApiKey', { perRequest: false }],
    ['a Bearer token is fetched before each request (the provider may renew it)', 'Bearer', { perRequest: true }],
  ] as const)('%s', async (_name, scheme, { perRequest }) => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(req.headers.authorization ?? '');
        res.writeHead(400, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    let calls = 0;
    const authorization = async (): Promise<string> => `${scheme} tok-${++calls}`;
    try {
      await runVerification({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, authorization, seed: 3, runs: 5, dredd: false, shrinkBudget: 0 });
    } finally {
      server.closeAllConnections();
      server.close();
    }
    const valid = seen.filter((h) => new RegExp(`^${scheme} tok-\\d+$`).test(h));
    expect(valid.length).toBeGreaterThan(200);
    if (perRequest) {
      // A fresh call for every request (and for each reproducer built): no two requests share a value.
      expect(new Set(valid).size).toBe(valid.length);
      expect(calls).toBeGreaterThan(valid.length);
    } else {
      expect(calls).toBe(1);
      expect(new Set(valid)).toEqual(new Set([`${scheme} tok-1`]));
    }
  });
});

describe('verify > engine > shrinking', () => {
  test('a rejected valid body shrinks to the required fields plus the culprit', async () => {
    const full = baseBody(5);
    const [minimal] = await shrinkRejected(full, 400, 200, async (b) => ('clinicType' in b ? 400 : 200));
    expect(Object.keys(minimal).sort()).toEqual([...Object.keys(requiredOnly(full)), 'clinicType'].sort());
    expect(minimal.clinicType).toBe(full.clinicType);
    expect(validateUpsertRequest(minimal).ok).toBe(true);
  });

  test('shrinking never spends more than its budget', async () => {
    let sent = 0;
    await shrinkRejected(baseBody(5), 400, 7, async () => {
      sent += 1;
      return 400;
    });
    expect(sent).toBeLessThanOrEqual(7);
  });
});

describe('verify > engine > reports', () => {
  let server: PlantedServer;
  let report: VerificationReport;
  beforeAll(async () => {
    server = await startPlantedServer('accepts-bad-phone');
    report = await run(server, 21);
  });
  afterAll(() => server.close());

  test('a failure\'s curl reproduces it when pasted', async () => {
    const failure = report.failures.find((f) => f.violation === 'InvalidDataAccepted')!;
    expect(failure.curl).toContain('$REFX_API_KEY');
    const { stdout } = await promisify(execFile)('bash', ['-c', failure.curl], { env: { ...process.env, REFX_API_KEY: server.apiKey } });
    // Accepted again: the reproducer shows the same defect.
    expect(stdout).toMatch(/^HTTP\/1\.1 200/);
  });

  test('JUnit output parses as JUnit XML with a failing testcase per violation', () => {
    const xml = toJUnit([{ name: 'planted', report }]);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => ['testsuite', 'testcase'].includes(name) }).parse(xml) as {
      testsuites: { testsuite: { '@_tests': string; '@_failures': string; testcase: { '@_name': string; failure?: unknown }[] }[] };
    };
    const suite = doc.testsuites.testsuite[0]!;
    expect(Number(suite['@_tests'])).toBe(suite.testcase.length);
    expect(Number(suite['@_failures'])).toBeGreaterThan(0);
    expect(suite.testcase.some((c) => c['@_name'].includes('InvalidDataAccepted /patientPhoneNumber') && c.failure)).toBe(true);
  });

  test('no credential appears in the report, JUnit or coverage page', () => {
    for (const text of [JSON.stringify(report), toJUnit([{ name: 'planted', report }]), coverageHtml([{ name: 'planted', report }])]) {
      expect(text).not.toContain(server.apiKey);
    }
  });
});

describe('verify > redaction', () => {
  test.each([
    ['an API key', 'ApiKey s3cr3t-key-value', '$REFX_API_KEY'],
    ['a JWT', 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl', '$REFX_JWT'],
  ])('%s becomes a placeholder the shell expands', (_name, header, placeholder) => {
    const curl = toCurl({ method: 'POST', url: 'http://127.0.0.1:9/x', headers: { authorization: header }, body: "{\"a\":\"it's\"}" }, createRedactor(['s3cr3t-key-value']));
    expect(curl).toContain(`"authorization: ${header.split(' ')[0]} ${placeholder}"`);
    expect(curl).toContain(`'{"a":"it'\\''s"}'`);
  });
});

describe('verify > response conformance', () => {
  const res = (status: number, body: unknown, type = 'application/json') => ({ status, headers: { 'content-type': type }, body, bodyText: JSON.stringify(body) });
  const valid = { referralId: 'ref-1', url: 'https://refer.example/r/1', type: 'upsert' };
  test.each([
    ['a conforming 200 breaks no rule', res(200, valid), []],
    ['201 is an undefined status', res(201, valid), ['status_code_conformance UndefinedStatusCode']],
    ['text/plain is not JSON', res(200, valid, 'text/plain'), ['content_type_conformance NonJsonContentType']],
    ['a relative url is not absolute', res(200, { ...valid, url: '/r/1' }), ['response_schema_conformance ResponseSchemaViolation', 'link_is_absolute_url LinkNotAbsoluteUrl']],
    ['503 is a server error', res(503, {}), ['no_server_errors ServerError', 'status_code_conformance UndefinedStatusCode']],
  ] as const)('%s', (_name, response, want) => {
    const got = responseConformance(response).filter((o) => o.violation).map((o) => `${o.check} ${o.violation!.name}`);
    expect(got).toEqual(want);
  });
});
