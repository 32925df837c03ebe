/**
 * sandbox > cli: `npm run sandbox` flags and environment (parsed without a process), and the real
 * process: listening line, dev key, clean stop on SIGINT/SIGTERM, one-line failures with exit codes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { CliError, parseSandboxArgs } from '../../src/sandbox/args.ts';
import { documentationRequest } from './helpers.ts';

const CLI = fileURLToPath(new URL('../../src/sandbox/cli.ts', import.meta.url));
const readKey = (path: string): string => `PEM of ${path}`;

describe('sandbox > cli > arguments', () => {
  test.each([
    ['no flags', [], {}, { apiKeys: [], jwtKeys: {} }],
    ['host and port', ['--host', '0.0.0.0', '--port', '0'], {}, { host: '0.0.0.0', port: 0 }],
    ['PORT from the environment', [], { PORT: '4100' }, { port: 4100 }],
    ['--port over PORT', ['--port', '4200'], { PORT: '4100' }, { port: 4200 }],
    ['repeated --api-key plus the environment list', ['--api-key', 'k3', '--api-key=k4'], { REFX_SANDBOX_API_KEYS: 'k1, k2,' }, { apiKeys: ['k1', 'k2', 'k3', 'k4'] }],
    ['--jwt-key and the environment list', ['--jwt-key', 'b=/keys/b.pem'], { REFX_SANDBOX_JWT_KEYS: 'a=/keys/a.pem' }, { jwtKeys: { a: 'PEM of /keys/a.pem', b: 'PEM of /keys/b.pem' } }],
    ['limits', ['--max-body-bytes', '2048', '--max-drafts', '10'], {}, { maxBodyBytes: 2048, maxDrafts: 10 }],
  ] as const)('%s', (_name, argv, env, want) => {
    const config = parseSandboxArgs(argv, env, readKey);
    expect(config.help).toBe(false);
    expect(config.help ? undefined : config.options).toMatchObject(want);
  });

  test.each([
    ['an unknown flag', ['--bogus'], {}, /Unknown option '--bogus'/],
    ['a positional argument', ['extra'], {}, /positional/i],
    ['a non-numeric port', ['--port', 'abc'], {}, /^--port must be an integer from 0 to 65535$/],
    ['a port out of range', ['--port', '70000'], {}, /^--port must be/],
    ['a bad PORT', [], { PORT: '-1' }, /^PORT must be/],
    ['a zero body limit', ['--max-body-bytes', '0'], {}, /^--max-body-bytes must be/],
    ['a fractional draft cap', ['--max-drafts', '1.5'], {}, /^--max-drafts must be/],
    ['a jwt key without name', ['--jwt-key', '/keys/a.pem'], {}, /^--jwt-key must be name=path.pem/],
    ['an unreadable jwt key', ['--jwt-key', 'a=/nope.pem'], {}, /^cannot read JWT key "a" from \/nope.pem$/],
  ] as const)('%s is refused', (_name, argv, env, message) => {
    const read = (path: string): string => {
      if (path === '/nope.pem') throw new Error('ENOENT');
      return readKey(path);
    };
    expect(() => parseSandboxArgs(argv, env, read)).toThrow(CliError);
    expect(() => parseSandboxArgs(argv, env, read)).toThrow(message);
  });

  test('--help asks for the usage', () => {
    expect(parseSandboxArgs(['--help'], {}, readKey)).toEqual({ help: true });
  });
});

/** Starts the CLI as a real process (node + tsx, as `npm run sandbox` does). */
function runCli(args: string[], env: Record<string, string> = {}): {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  nextLine: (pattern: RegExp) => Promise<string>;
  exit: Promise<{ code: number | null; stderr: string }>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr })),
  );
  const nextLine = (pattern: RegExp): Promise<string> => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return Promise.race([
      new Promise<string>((resolve) => waiters.push({ pattern, resolve })),
      exit.then(({ code, stderr: err }) => {
        throw new Error(`sandbox exited (${code}) before printing ${pattern}: ${err}`);
      }),
    ]);
  };
  return { child, lines, nextLine, exit };
}

const listening = /^RefX sandbox listening on (http:\/\/127\.0\.0\.1:\d+)$/;

describe('sandbox > cli > process', () => {
  test('without keys: prints where it listens and a dev key that works; SIGTERM stops it with 0', async () => {
    const cli = runCli(['--port', '0']);
    try {
      const origin = listening.exec(await cli.nextLine(listening))![1]!;
      const keyLine = await cli.nextLine(/^ {2}Authorization: ApiKey /);
      const key = keyLine.replace(/^ {2}Authorization: ApiKey /, '');
      expect((await fetch(`${origin}/health`)).status).toBe(200);
      const res = await fetch(`${origin}/api/v1/links/upsert`, {
        method: 'POST',
        headers: { authorization: `ApiKey ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(documentationRequest()),
      });
      expect(res.status).toBe(200);
      // The request log line is on stdout and carries no key.
      await cli.nextLine(/ POST \/api\/v1\/links\/upsert 200 /);
      expect(cli.lines.filter((l) => l.includes(key))).toEqual([keyLine]);
    } finally {
      cli.child.kill('SIGTERM');
    }
    const { code } = await cli.exit;
    expect(code).toBe(0);
    expect(cli.lines).toContain('RefX sandbox stopping (SIGTERM)');
  });

  test('keys from env and a --jwt-key file: no dev key; ApiKey and JWT both accepted; SIGINT stops it', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const dir = mkdtempSync(join(tmpdir(), 'refx-sandbox-cli-'));
    const pemPath = join(dir, 'clinic-a.pem');
    writeFileSync(pemPath, await exportSPKI(pair.publicKey));
    const cli = runCli(['--port', '0', '--jwt-key', `clinic-a=${pemPath}`], { REFX_SANDBOX_API_KEYS: 'env-key-1,env-key-2' });
    try {
      const origin = listening.exec(await cli.nextLine(listening))![1]!;
      const now = Math.floor(Date.now() / 1000);
      const jwt = await new SignJWT({ iss: 'clinic-a' }).setProtectedHeader({ alg: 'ES256' }).setIssuedAt(now).setExpirationTime(now + 15).sign(pair.privateKey);
      for (const authorization of ['ApiKey env-key-2', `Bearer ${jwt}`]) {
        const res = await fetch(`${origin}/api/v1/links/upsert`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify(documentationRequest()),
        });
        expect(res.status).toBe(200);
      }
      expect(cli.lines.some((l) => l.includes('ApiKey'))).toBe(false);
    } finally {
      cli.child.kill('SIGINT');
    }
    expect((await cli.exit).code).toBe(0);
  });

  test('a bad flag exits 2 with one line', async () => {
    const { code, stderr } = await runCli(['--port', 'nope']).exit;
    expect(code).toBe(2);
    expect(stderr).toBe('refx-sandbox: --port must be an integer from 0 to 65535 (see --help)\n');
  });

  test('a port in use exits 1 with one line', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const { code, stderr } = await runCli(['--port', String(port)]).exit;
      expect(code).toBe(1);
      expect(stderr).toBe(`refx-sandbox: port already in use (127.0.0.1:${port})\n`);
    } finally {
      blocker.close();
    }
  });
});
