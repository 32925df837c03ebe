/**
 * verify > cli: exit codes (0 pass, 1 violation, 2 set-up or usage with one line), the summary and
 * coverage tables on stdout, the JUnit and report files, and no credential in any output.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPlantedServer, type PlantedServer } from '../../contract-tests/planted/server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, ['src/verify/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, REFX_BASE_URL: '', REFX_API_KEY: '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('verify > cli > usage and set-up', () => {
  test.each([
    ['an unreachable target', ['--base-url', 'http://127.0.0.1:1', '--api-key', 'k-0123456789'], /cannot reach http:\/\/127\.0\.0\.1:1/],
    ['missing credentials', ['--base-url', 'http://127.0.0.1:1'], /missing credentials/],
    ['an unknown flag', ['--frobnicate'], /Unknown option '--frobnicate'/],
    ['a bad --runs', ['--runs', 'many'], /--runs must be an integer/],
    ['a bad --target-kind', ['--target-kind', 'staging'], /--target-kind must be server or mock/],
  ])('%s exits 2 with one line', async (_name, args, reason) => {
    const { code, stderr } = await cli(args);
    expect(code).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(reason);
    expect(stderr).not.toContain('k-0123456789');
  });
});

describe('verify > cli > against planted servers', () => {
  let good: PlantedServer;
  let bad: PlantedServer;
  let dir: string;
  beforeAll(async () => {
    [good, bad, dir] = await Promise.all([startPlantedServer('none'), startPlantedServer('accepts-bad-phone'), mkdtemp(join(tmpdir(), 'refx-verify-'))]);
  });
  afterAll(async () => {
    await Promise.all([good.close(), bad.close(), rm(dir, { recursive: true, force: true })]);
  });

  test('a conforming server exits 0 and prints the summary and coverage', async () => {
    const { code, stdout } = await cli(['--base-url', good.url, '--seed', '3', '--runs', '10', '--no-dredd', '--stateful'], { REFX_API_KEY: good.apiKey });
    expect(code).toBe(0);
    expect(stdout).toMatch(/Summary[\s\S]*target\s+check\s+cases\s+passed\s+failed\s+skipped/);
    expect(stdout).toMatch(/target\s+link_single_use\s+2\s+2\s+0\s+0\s+ok/);
    expect(stdout).toMatch(/Coverage[\s\S]*constraints\s+(\d+)\/\1/);
  });

  test('a defect exits 1 with the failure, its curl, JUnit and report files, and no key', async () => {
    const junit = join(dir, 'junit.xml');
    const reportDir = join(dir, 'report');
    const { code, stdout, stderr } = await cli(['--base-url', bad.url, '--api-key', bad.apiKey, '--seed', '4', '--runs', '5', '--no-dredd', '--junit', junit, '--report', reportDir]);
    expect(code).toBe(1);
    expect(stdout).toContain('invalid_data_rejected › InvalidDataAccepted at /patientPhoneNumber');
    expect(stdout).toContain('reproduce: curl ');
    const xml = await readFile(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const files = await Promise.all(['report.json', 'coverage.json', 'coverage.html'].map((f) => readFile(join(reportDir, f), 'utf8')));
    expect(JSON.parse(files[0]!).targets[0].report.ok).toBe(false);
    for (const text of [stdout, stderr, xml, ...files]) expect(text).not.toContain(bad.apiKey);
  });
});
