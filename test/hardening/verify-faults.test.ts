/**
 * hardening > verifier under faults: `npm run verify` pointed at a target that refuses connections,
 * hangs mid-response, answers slowly past the timeout, sends 50 MiB or an endless body, closes the
 * socket early, answers HTML or bytes that are not HTTP, or echoes the credential back. Each run ends
 * (the process is never killed by the bound below) with exit 2 when the target gives no usable answer
 * at all (a set-up problem), exit 1 when it answers but breaks the contract, a line naming the
 * target's fault, and the credential nowhere in stdout, stderr, the JUnit file or the report files.
 *
 * Dredd is off (`--no-dredd`): it has its own bound (src/dredd/run.ts) and would add minutes here.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runVerification } from '../../src/verify/index.ts';
import { FAULTS, startFaultyTarget, type Fault, type FaultyTarget } from './faulty-targets.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
/** The run's own per-exchange deadline. */
const TIMEOUT_MS = 500;
/** The bound on a whole CLI run; a run still going then is killed and the test fails as a hang. */
const RUN_BOUND_MS = 60_000;
const KEY = `fault-secret-${crypto.randomUUID()}`;

interface CliRun {
  code: number | null;
  /** Set when the bound killed the process. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function verifyCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['src/verify/cli.ts', ...args],
      { cwd: ROOT, env: { ...process.env, REFX_BASE_URL: '', REFX_API_KEY: KEY }, timeout: RUN_BOUND_MS, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number; signal?: NodeJS.Signals | null }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
      },
    );
  });
}

/** [fault, { exit code, what stdout+stderr must say about the fault }] */
const CASES: [Fault, { exit: 1 | 2; names: RegExp }][] = [
  ['refuses-connections', { exit: 2, names: /^refx verify: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/m }],
  ['hangs-mid-response', { exit: 2, names: new RegExp(`^refx verify: no usable answer from http://127\\.0\\.0\\.1:\\d+: no complete response within ${TIMEOUT_MS} ms$`, 'm') }],
  ['answers-slowly', { exit: 2, names: new RegExp(`^refx verify: no usable answer from http://127\\.0\\.0\\.1:\\d+: no complete response within ${TIMEOUT_MS} ms$`, 'm') }],
  ['huge-body', { exit: 1, names: /no_server_errors › NoResponse[^\n]*\n\s+expected: a complete response\n\s+actual:\s+response body exceeded 1048576 bytes/ }],
  ['endless-body', { exit: 1, names: /no_server_errors › NoResponse[^\n]*\n\s+expected: a complete response\n\s+actual:\s+response body exceeded 1048576 bytes/ }],
  ['closes-socket-early', { exit: 2, names: /^refx verify: no usable answer from http:\/\/127\.0\.0\.1:\d+: ECONNRESET/m }],
  ['answers-html', { exit: 1, names: /content_type_conformance › NonJsonContentType[^\n]*\n\s+expected: application\/json\n\s+actual:\s+text\/html/ }],
  ['answers-garbage', { exit: 2, names: /^refx verify: no usable answer from http:\/\/127\.0\.0\.1:\d+: (HPE_\w+|EPROTO): not a valid HTTP response/m }],
  ['echoes-credential', { exit: 1, names: /response_schema_conformance › ResponseSchemaViolation[^\n]*\n[^\n]*\n\s+actual:\s+"ApiKey \$REFX_API_KEY"/ }],
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'refx-faults-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hardening > verifier under faults', () => {
  test('every fault has a row', () => {
    expect(CASES.map(([fault]) => fault).sort()).toEqual([...FAULTS].sort());
  });

  describe.each(CASES)('target that %s', (fault, { exit, names }) => {
    let target: FaultyTarget;
    let run: CliRun;
    let files: string[] = [];
    beforeAll(async () => {
      target = await startFaultyTarget(fault, { slowMs: 100 });
      const reportDir = join(dir, fault);
      const junit = join(dir, `${fault}.xml`);
      run = await verifyCli(['--base-url', target.url, '--api-key', KEY, '--seed', '5', '--runs', '3', '--stateful', '--no-dredd', '--timeout-ms', String(TIMEOUT_MS), '--junit', junit, '--report', reportDir]);
      const reports = await readdir(reportDir).catch(() => [] as string[]);
      files = await Promise.all([...reports.map((f) => join(reportDir, f)), junit].map((f) => readFile(f, 'utf8').catch(() => '')));
    }, RUN_BOUND_MS + 10_000);
    afterAll(() => target.close());

    test(`ends on its own (not killed after ${RUN_BOUND_MS / 1000} s) with exit ${exit}`, () => {
      expect(run.signal).toBeNull();
      expect(run.code).toBe(exit);
    });

    test('names the fault', () => {
      expect(`${run.stderr}\n${run.stdout}`).toMatch(names);
      if (exit === 2) {
        // A set-up failure is one line, nothing else.
        expect(run.stderr.trim().split('\n')).toHaveLength(1);
        expect(run.stdout).toBe('');
      } else {
        expect(run.stdout).toMatch(/target: FAIL \(\d+ requests, seed 5/);
        expect(files.some((f) => f.includes('<testsuites'))).toBe(true);
      }
    });

    test('never prints or writes the credential', () => {
      for (const text of [run.stdout, run.stderr, ...files]) expect(text.includes(KEY)).toBe(false);
    });
  });
});

describe('hardening > verifier under faults > engine', () => {
  test('regression: a target echoing the credential got it printed in a failure\'s actual value', async () => {
    const target = await startFaultyTarget('echoes-credential');
    try {
      const report = await runVerification({ baseUrl: target.url, authorization: async () => `ApiKey ${KEY}`, credentialForRepro: KEY, seed: 2, runs: 2, dredd: false, transport: { timeoutMs: 5_000 } });
      expect(report.ok).toBe(false);
      expect(report.failures.some((f) => f.actual.includes('$REFX_API_KEY'))).toBe(true);
      expect(JSON.stringify(report)).not.toContain(KEY);
    } finally {
      await target.close();
    }
  });

  test('regression: a target sending one byte per 100 ms kept a run going forever (the timeout was idle-only)', async () => {
    const target = await startFaultyTarget('answers-slowly', { slowMs: 100 });
    try {
      const outcome = await runVerification({ baseUrl: target.url, seed: 1, runs: 1, dredd: false, transport: { timeoutMs: TIMEOUT_MS } }).catch((e: unknown) => e);
      expect((outcome as Error).message).toMatch(new RegExp(`: no complete response within ${TIMEOUT_MS} ms$`));
      expect(target.hits()).toBe(1);
    } finally {
      await target.close();
    }
  });
});
