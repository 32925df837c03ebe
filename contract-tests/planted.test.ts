/**
 * contract > planted defects: the verifier must catch every deliberately broken server with the
 * expected check and violation (schemathesis' planted-bug apps), and pass the conforming reference
 * server with zero failures. One row per defect: a new defect is one new row.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runVerification, type VerificationReport } from '../src/verify/index.ts';
import { DEFECTS, startPlantedServer, type Defect, type PlantedServer } from './planted/server.ts';

/** [defect, the failures it must produce: `check › violation [at pointer]`]. */
const CASES: [Exclude<Defect, 'none'>, { want: { check: string; violation: string; pointer?: string }[] }][] = [
  ['wrong-success-status', { want: [{ check: 'status_code_conformance', violation: 'UndefinedStatusCode' }] }],
  ['missing-response-field', { want: [{ check: 'response_schema_conformance', violation: 'ResponseSchemaViolation', pointer: '/referralId' }] }],
  ['response-type-outside-enum', { want: [{ check: 'response_schema_conformance', violation: 'ResponseSchemaViolation', pointer: '/type' }] }],
  ['url-not-a-uri', { want: [{ check: 'link_is_absolute_url', violation: 'LinkNotAbsoluteUrl', pointer: '/url' }, { check: 'response_schema_conformance', violation: 'ResponseSchemaViolation', pointer: '/url' }] }],
  ['relative-url', { want: [{ check: 'link_is_absolute_url', violation: 'LinkNotAbsoluteUrl', pointer: '/url' }] }],
  ['accepts-missing-required-field', { want: [{ check: 'invalid_data_rejected', violation: 'InvalidDataAccepted', pointer: '/referrerName' }, { check: 'invalid_data_rejected', violation: 'InvalidDataAccepted', pointer: '/address/postalCode' }] }],
  ['accepts-bad-phone', { want: [{ check: 'invalid_data_rejected', violation: 'InvalidDataAccepted', pointer: '/patientPhoneNumber' }] }],
  ['accepts-unknown-enum-value', { want: [{ check: 'invalid_data_rejected', violation: 'InvalidDataAccepted', pointer: '/patientGender' }, { check: 'invalid_data_rejected', violation: 'InvalidDataAccepted', pointer: '/nationality' }] }],
  ['accepts-bad-date', { want: [{ check: 'invalid_data_rejected', violation: 'InvalidDataAccepted', pointer: '/patientDob' }] }],
  ['accepts-no-auth', { want: [{ check: 'auth_required', violation: 'MissingAuthAccepted' }] }],
  ['accepts-wrong-scheme', { want: [{ check: 'auth_required', violation: 'WrongSchemeAccepted' }] }],
  ['accepts-unknown-key', { want: [{ check: 'auth_required', violation: 'UnknownCredentialAccepted' }] }],
  ['server-error-on-malformed-json', { want: [{ check: 'no_server_errors', violation: 'ServerError' }] }],
  ['non-json-content-type', { want: [{ check: 'content_type_conformance', violation: 'NonJsonContentType' }] }],
  ['invalid-error-body', { want: [{ check: 'response_schema_conformance', violation: 'ResponseSchemaViolation', pointer: '/message' }] }],
  ['undocumented-error-status', { want: [{ check: 'status_code_conformance', violation: 'UndefinedStatusCode' }, { check: 'invalid_data_rejected', violation: 'WrongRejectionStatus' }] }],
  ['rejects-valid-optional-field', { want: [{ check: 'valid_data_accepted', violation: 'ValidDataRejected', pointer: '/clinicalInfo' }] }],
  ['rejects-valid-enum-value', { want: [{ check: 'valid_data_accepted', violation: 'ValidDataRejected', pointer: '/clinicType' }] }],
  ['rejects-edge-case-phone', { want: [{ check: 'valid_data_accepted', violation: 'ValidDataRejected', pointer: '/patientPhoneNumber' }] }],
  ['rejects-non-ascii-name', { want: [{ check: 'valid_data_accepted', violation: 'ValidDataRejected', pointer: '/patientName' }] }],
  ['rejects-long-text', { want: [{ check: 'valid_data_accepted', violation: 'ValidDataRejected' }] }],
  ['accepts-non-object-body', { want: [{ check: 'invalid_data_rejected', violation: 'InvalidDataAccepted', pointer: '' }] }],
  ['new-referral-every-upsert', { want: [{ check: 'stateful_upsert', violation: 'ReferralIdChanged', pointer: '/referralId' }] }],
  ['reusable-link', { want: [{ check: 'link_single_use', violation: 'LinkReusable', pointer: '/url' }] }],
  ['hangs-on-long-text', { want: [{ check: 'no_server_errors', violation: 'NoResponse' }] }],
  ['endless-response-on-malformed-json', { want: [{ check: 'no_server_errors', violation: 'NoResponse' }] }],
];

// A short timeout only where a defect never answers: elsewhere a loaded machine must not time out.
const verify = (server: PlantedServer, seed: number, timeoutMs = 10_000): Promise<VerificationReport> =>
  runVerification({
    baseUrl: server.url,
    authorization: async () => `ApiKey ${server.apiKey}`,
    credentialForRepro: server.apiKey,
    seed,
    runs: 20,
    stateful: true,
    dredd: false,
    transport: { timeoutMs },
  });

test('contract > planted > every defect has a row', () => {
  expect(CASES.map(([d]) => d).sort()).toEqual(DEFECTS.filter((d) => d !== 'none').sort());
});

describe.each(CASES)('contract > planted > %s', (defect, { want }) => {
  let server: PlantedServer;
  let report: VerificationReport;
  beforeAll(async () => {
    server = await startPlantedServer(defect);
    report = await verify(server, 11, defect === 'hangs-on-long-text' ? 1_000 : 10_000);
  });
  afterAll(() => server.close());

  test('the run fails', () => {
    expect(report.ok).toBe(false);
  });

  test.each(want.map((w) => [`${w.check} › ${w.violation}${w.pointer === undefined ? '' : ` at ${w.pointer || '(body)'}`}`, w] as const))('reports %s', (_name, w) => {
    const found = report.failures.filter((f) => f.check === w.check && f.violation === w.violation && (w.pointer === undefined || f.pointer === w.pointer));
    expect(found.length, JSON.stringify(report.failures.map((f) => `${f.check} ${f.violation} ${f.pointer}`))).toBeGreaterThan(0);
    expect(report.checks.find((c) => c.name === w.check)?.failed).toBeGreaterThan(0);
  });

  test('failures are structured, reproducible and carry no credential', () => {
    for (const f of report.failures) {
      expect(f.seed).toBe(11);
      expect(f.expected).not.toBe('');
      expect(JSON.stringify(f)).not.toContain(server.apiKey);
    }
    const withRequest = report.failures.filter((f) => f.request.method !== '');
    expect(withRequest.every((f) => f.curl.startsWith('curl '))).toBe(true);
  });
});

describe.each([1, 2, 3, 4, 5])('contract > planted > reference server > seed %i', (seed) => {
  test('passes with zero failures', async () => {
    const server = await startPlantedServer('none');
    try {
      const report = await verify(server, seed);
      expect(report.failures).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.checks.find((c) => c.name === 'link_single_use')?.passed).toBe(2);
    } finally {
      await server.close();
    }
  });
});
