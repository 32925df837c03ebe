/**
 * contract > targets: the project's own sandbox and the Prism spec mock pass the whole verification
 * on five seeds with zero failures (zero false alarms). The mock is verified as what it is (it
 * cannot tell credentials apart or keep state): those checks must be skipped with a reason, never
 * passed. Also: JWT credentials, and Dredd's result as a row of the same report.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAuthorizationProvider } from '../src/client/auth.ts';
import { startPrismMock, type RunningPrismMock } from '../src/mock/prism.ts';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.ts';
import { PRISM_KNOWN_DEVIATIONS, runVerification } from '../src/verify/index.ts';

const SEEDS = [1, 2, 3, 4, 5];
const KEY = 'contract-targets-key-7b1e2c';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const JWT_KEY_NAME = 'contract-targets-jwt';

let sandbox: RunningSandbox;
let mock: RunningPrismMock;
beforeAll(async () => {
  [sandbox, mock] = await Promise.all([
    startSandbox({
      port: 0,
      apiKeys: [KEY],
      jwtKeys: { [JWT_KEY_NAME]: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      log: () => {},
    }),
    startPrismMock({ port: 0 }),
  ]);
});
afterAll(async () => {
  await Promise.all([sandbox?.close(), mock?.close()]);
});

const apiKeyAuth = async (): Promise<string> => `ApiKey ${KEY}`;
const summary = (failures: { check: string; violation: string; pointer: string; case: string }[]): string[] =>
  failures.map((f) => `${f.check} ${f.violation} ${f.pointer} (${f.case})`);

describe.each(SEEDS)('contract > targets > seed %i', (seed) => {
  test('sandbox passes every check, stateful ones included', async () => {
    const report = await runVerification({ baseUrl: sandbox.url, authorization: apiKeyAuth, credentialForRepro: KEY, seed, runs: 40, stateful: true, dredd: false });
    expect(summary(report.failures)).toEqual([]);
    expect(report.ok).toBe(true);
    const passed = Object.fromEntries(report.checks.map((c) => [c.name, c.passed]));
    expect(passed.stateful_upsert).toBe(2);
    expect(passed.link_single_use).toBe(2);
    expect(passed.auth_required).toBe(5);
  });

  test('Prism mock passes, credential and state checks skipped with a reason', async () => {
    const report = await runVerification({
      baseUrl: mock.url,
      authorization: apiKeyAuth,
      credentialForRepro: KEY,
      seed,
      runs: 40,
      targetKind: 'mock',
      dredd: false,
      knownDeviations: PRISM_KNOWN_DEVIATIONS,
    });
    expect(summary(report.failures)).toEqual([]);
    const auth = report.checks.find((c) => c.name === 'auth_required')!;
    expect(auth).toMatchObject({ passed: 2, failed: 0, skipped: 3 });
    expect(auth.skipReason).toMatch(/spec mock/);
    expect(report.checks.find((c) => c.name === 'link_single_use')).toMatchObject({ passed: 0, skipped: 1 });
  });
});

describe('contract > targets > credentials and Dredd', () => {
  test('a JWT credential passes the sandbox, a tampered JWT is refused', async () => {
    const authorization = createAuthorizationProvider({
      jwt: { keyName: JWT_KEY_NAME, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    });
    const report = await runVerification({ baseUrl: sandbox.url, authorization, seed: 9, runs: 10, stateful: true, dredd: false });
    expect(summary(report.failures)).toEqual([]);
    expect(report.checks.find((c) => c.name === 'auth_required')).toMatchObject({ passed: 5, failed: 0 });
  });

  test('Dredd runs as a row of the same report', async () => {
    const report = await runVerification({ baseUrl: sandbox.url, authorization: apiKeyAuth, credentialForRepro: KEY, seed: 1, runs: 0, stateful: false, dredd: true });
    const dredd = report.checks.find((c) => c.name === 'dredd')!;
    expect(dredd.failed).toBe(0);
    expect(dredd.passed).toBeGreaterThan(0);
  }, 150_000);
});
