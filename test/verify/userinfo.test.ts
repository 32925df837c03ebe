/**
 * verify > userinfo: a base URL with userinfo (`http://user:pass@host`) was printed as is in the
 * summary, JUnit, report.json, set-up errors and curl reproducers. The userinfo is a credential:
 * it is shown as `***` everywhere, and a curl reproducer drops it and reads `-u "$REFX_BASIC_AUTH"`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPlantedServer, type PlantedServer } from '../../contract-tests/planted/server.ts';
import { createRedactor, redactUserinfo, toCurl } from '../../src/verify/redact.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const PASSWORD = `pw-${crypto.randomUUID()}`;
const USER = 'gateway-user';

function cli(args: string[], apiKey: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, ['src/verify/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, REFX_BASE_URL: '', REFX_API_KEY: apiKey }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('verify > userinfo > redaction', () => {
  test.each([
    ['user and password', 'https://u:p@host.example/x', 'https://***@host.example/x'],
    ['user only', 'http://u@127.0.0.1:80', 'http://***@127.0.0.1:80'],
    ['an @ inside the password', 'https://u:p@ss@host/', 'https://***@host/'],
    ['inside a sentence', 'cannot reach https://u:p@host: ECONNREFUSED', 'cannot reach https://***@host: ECONNREFUSED'],
    ['no userinfo', 'https://host/path?q=a@b', 'https://host/path?q=a@b'],
  ])('%s', (_name, given, want) => {
    expect(redactUserinfo(given)).toBe(want);
    expect(createRedactor([])(given)).toBe(want);
  });

  test('the curl reproducer drops the userinfo and reads $REFX_BASIC_AUTH', () => {
    const curl = toCurl({ method: 'POST', url: `https://${USER}:${PASSWORD}@host.example/api/v1/links/upsert`, headers: { accept: 'application/json' }, body: '{}' }, createRedactor([]));
    expect(curl).toContain(`'https://host.example/api/v1/links/upsert' -u "$REFX_BASIC_AUTH"`);
    expect(curl).not.toContain(PASSWORD);
    expect(curl).not.toContain(USER);
  });
});

describe('verify > userinfo > cli', () => {
  let bad: PlantedServer;
  let dir: string;
  beforeAll(async () => {
    [bad, dir] = await Promise.all([startPlantedServer('accepts-bad-phone'), mkdtemp(join(tmpdir(), 'refx-userinfo-'))]);
  });
  afterAll(async () => {
    await Promise.all([bad.close(), rm(dir, { recursive: true, force: true })]);
  });

  test('a failing run prints and writes the base URL without its userinfo, and the curl uses $REFX_BASIC_AUTH', async () => {
    const withUserinfo = bad.url.replace('http://', `http://${USER}:${PASSWORD}@`);
    const junit = join(dir, 'junit.xml');
    const reportDir = join(dir, 'report');
    const { code, stdout, stderr } = await cli(['--base-url', withUserinfo, '--seed', '4', '--runs', '5', '--no-dredd', '--junit', junit, '--report', reportDir], bad.apiKey);
    expect(code).toBe(1);
    const files = await Promise.all([junit, ...['report.json', 'coverage.json', 'coverage.html'].map((f) => join(reportDir, f))].map((f) => readFile(f, 'utf8')));
    for (const text of [stdout, stderr, ...files]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(USER);
    }
    const shown = bad.url.replace('http://', 'http://***@');
    expect(JSON.parse(files[1]!).targets[0].report.target.baseUrl).toBe(shown);
    expect(files[0]).toContain(`value="${shown}"`);
    expect(stdout).toMatch(new RegExp(`reproduce: curl .* '${bad.url.replace(/\./g, '\\.')}/api/v1/links/upsert' -u "\\$REFX_BASIC_AUTH"`));
  });

  test('a set-up error names the target without its userinfo', async () => {
    const { code, stderr } = await cli(['--base-url', `http://${USER}:${PASSWORD}@127.0.0.1:1`], 'k-0123456789');
    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(/^refx verify: cannot reach http:\/\/\*\*\*@127\.0\.0\.1:1: ECONNREFUSED/);
    expect(stderr).not.toContain(PASSWORD);
  });
});
