/**
 * dredd > cli: `npm run verify:dredd` exits 0 when the contract holds, 1 when it is broken, 2 when
 * nothing could be checked; credentials come from flags, env or an ES256 key file and never show up
 * in its output.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { conforming, link, serve, type TestServer } from './servers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// tsx's loader in one node process, so the exit code is the CLI's own.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const API_KEY = 'cli-test-key-7be21d';
const KEY_NAME = 'cli-test-key-name';
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** Accepts `ApiKey <API_KEY>`, or a Bearer JWT signed by our key with `iss` = KEY_NAME. */
async function authorized(authorization: string | undefined): Promise<boolean> {
  if (authorization === `ApiKey ${API_KEY}`) return true;
  const jwt = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!jwt) return false;
  return jwtVerify(jwt, publicKey, { issuer: KEY_NAME, algorithms: ['ES256'] }).then(
    () => true,
    () => false,
  );
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  // Only what the CLI needs: an inherited REFX_API_KEY must not satisfy the "no credentials" case.
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', tsxLoader, 'src/dredd/cli.ts', ...args],
      { cwd: ROOT, env: { ...base, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('dredd > cli', { timeout: 90_000 }, () => {
  let good: TestServer;
  let bad: TestServer;
  let dir: string;
  let keyFile: string;
  beforeAll(async () => {
    good = await serve(conforming(authorized));
    // Planted bug: the link comes back under the wrong status.
    bad = await serve(async (req) => {
      const reply = await conforming(authorized)(req);
      return reply.status === 200 ? { status: 201, body: link } : reply;
    });
    dir = await mkdtemp(join(tmpdir(), 'refx-dredd-cli-'));
    keyFile = join(dir, 'key.pem');
    await writeFile(keyFile, PRIVATE_PEM, { mode: 0o600 });
  });
  afterAll(async () => {
    await Promise.all([good?.close(), bad?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('dredd > cli > API key from env, contract holds: exit 0 and a one-line verdict', async () => {
    const { code, stdout, stderr } = await runCli(['--base-url', good.url], { REFX_API_KEY: API_KEY });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^dredd: contract holds: 3 passed, 0 failed, 0 skipped of 3 transactions/);
    expect(stdout + stderr).not.toContain(API_KEY);
  });

  test('dredd > cli > ES256 JWT from a key file: exit 0', async () => {
    const { code, stdout } = await runCli(['--base-url', good.url, '--jwt-key-name', KEY_NAME, '--jwt-private-key', keyFile, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, passed: 3, skipped: 0 });
    expect(stdout).not.toContain('PRIVATE KEY');
  });

  test('dredd > cli > a broken server: exit 1 naming the transaction, key not echoed', async () => {
    const { code, stdout, stderr } = await runCli(['--base-url', bad.url, '--api-key', API_KEY]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/contract BROKEN: 2 passed, 1 failed/);
    expect(stdout).toContain('> 200 > application/json');
    expect(stdout).toContain("Expected status code '200', but got '201'");
    expect(stdout + stderr).not.toContain(API_KEY);
  });

  const setupCases: [string, string[], Record<string, string>, RegExp][] = [
    ['no credentials', ['--base-url', 'http://127.0.0.1:1'], {}, /^verify:dredd: no credentials/],
    ['no base URL', [], { REFX_API_KEY: API_KEY }, /^verify:dredd: no base URL/],
    ['an unreachable base URL', ['--base-url', 'http://127.0.0.1:1'], { REFX_API_KEY: API_KEY }, /^verify:dredd: cannot reach http:\/\/127\.0\.0\.1:1: ECONNREFUSED$/],
    ['an unknown flag', ['--bogus'], {}, /^verify:dredd: Unknown option '--bogus'/],
    ['a JWT key name without a key', ['--base-url', 'http://127.0.0.1:1', '--jwt-key-name', KEY_NAME], {}, /go together/],
  ];
  test.each(setupCases)('dredd > cli > %s: exit 2 with a one-line reason', async (_name, args, env, reason) => {
    const { code, stdout, stderr } = await runCli(args, env);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr.trim()).toMatch(reason);
    expect(stderr).not.toContain(API_KEY);
  });
});
