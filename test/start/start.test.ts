/**
 * start: `npm start` brings up the sandbox and the Prism mock, prints a working `curl` for each, and
 * Ctrl-C stops both.
 *
 * The process is started through tsx's own bin rather than `npx tsx`: npm re-raises SIGINT on
 * itself after its child exits, so npx would report the signal instead of our exit code.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { validateUpsertResponse } from '../../src/validation.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const tsxManifest = require.resolve('tsx/package.json');
const tsxBin = join(dirname(tsxManifest), (require(tsxManifest) as { bin: string }).bin);

interface Started {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[]): Started {
  const child = spawn(process.execPath, [tsxBin, 'src/cli/start.ts', ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Resolves once `text()` contains `marker`; rejects if the process exits first. */
function waitFor(started: Started, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (started.stdout().includes(marker)) {
        started.child.stdout.off('data', check);
        resolve();
      }
    };
    started.child.stdout.on('data', check);
    check();
    void started.exit.then(({ code }) =>
      reject(new Error(`start exited (${code}) before "${marker}": ${started.stderr().trim()}`)),
    );
  });
}

/** Runs a printed command line through a POSIX shell, as a user pasting it would. */
function runInShell(commandLine: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    // `-w` appends the status on its own line after the body.
    execFile('sh', ['-c', `${commandLine} -w '\\n%{http_code}'`], { timeout: 20_000 }, (error, stdout) => {
      if (error) return reject(new Error(`curl failed: ${error.message.split('\n')[0]}`));
      const lines = stdout.trimEnd().split('\n');
      const status = Number(lines.pop());
      resolve({ status, body: JSON.parse(lines.join('\n')) });
    });
  });
}

const withoutAuthorization = (commandLine: string): string => commandLine.replace(/ -H 'Authorization: [^']*'/, '');

async function refused(url: string): Promise<boolean> {
  return fetch(url).then(
    () => false,
    (error: { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED',
  );
}

describe('start > sandbox and mock', () => {
  let started: Started;
  let urls: { sandbox: string; mock: string };
  let curls: { sandbox: string; mock: string };

  beforeAll(async () => {
    started = startCli(['--sandbox-port', '0', '--mock-port', '0']);
    await waitFor(started, 'Ctrl-C to stop');
    const out = started.stdout();
    const url = (label: string): string => new RegExp(`${label}[^:]*: (http://\\S+)`).exec(out)?.[1] ?? '';
    urls = { sandbox: url('Sandbox'), mock: url('Spec mock') };
    const curlLines = out.split('\n').filter((l) => l.startsWith('curl '));
    curls = {
      sandbox: curlLines.find((l) => l.includes(urls.sandbox)) ?? '',
      mock: curlLines.find((l) => l.includes(urls.mock)) ?? '',
    };
  });
  afterAll(async () => {
    if (started && started.child.exitCode === null && started.child.signalCode === null) {
      started.child.kill('SIGTERM');
      await started.exit;
    }
  });

  test('start > prints both URLs (real ports for port 0) and a curl for each', () => {
    expect(urls.sandbox).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(urls.mock).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(urls.sandbox).not.toBe(urls.mock);
    expect(curls.sandbox).toMatch(/-H 'Authorization: ApiKey \S+'/);
    expect(curls.mock).toMatch(/-H 'Authorization: ApiKey \S+'/);
    expect(started.stdout()).toMatch(/Development API key \(sandbox only[^:]*: \S+/);
  });

  test.each(['sandbox', 'mock'] as const)('start > %s > the printed curl gets 200 and a valid body', async (name) => {
    const { status, body } = await runInShell(curls[name]);
    expect(status).toBe(200);
    expect(validateUpsertResponse(200, body)).toEqual({ ok: true });
    if (name === 'sandbox') {
      // The sandbox's link points at itself (compared as a boolean so no token is ever printed).
      expect(String((body as { url: string }).url).startsWith(`${urls.sandbox}/`)).toBe(true);
    }
  });

  test.each(['sandbox', 'mock'] as const)('start > %s > the printed curl without Authorization gets 401', async (name) => {
    const commandLine = withoutAuthorization(curls[name]);
    expect(commandLine).not.toContain('Authorization');
    const { status, body } = await runInShell(commandLine);
    expect(status).toBe(401);
    expect(validateUpsertResponse(401, body)).toEqual({ ok: true });
  });

  test('start > SIGINT stops both servers and exits 0', async () => {
    started.child.kill('SIGINT');
    expect(await started.exit).toEqual({ code: 0, signal: null });
    expect(await refused(urls.sandbox)).toBe(true);
    expect(await refused(urls.mock)).toBe(true);
  });
});

describe('start > busy ports', () => {
  let blocker: Server;
  let busyPort: number;
  // A quiet mock asks its port whether Prism is up: the blocker keeps what connects, unread.
  const held = new Set<Socket>();
  beforeAll(async () => {
    blocker = createServer();
    blocker.on('connection', (socket) => held.add(socket));
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    busyPort = (blocker.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  });

  const cases: [string, { flag: string; other: string; label: string }][] = [
    ['--sandbox-port', { flag: '--sandbox-port', other: '--mock-port', label: 'sandbox' }],
    ['--mock-port', { flag: '--mock-port', other: '--sandbox-port', label: 'mock' }],
  ];
  test.each(cases)('start > busy ports > a busy %s is a one-line reason naming the port and the flag', async (_name, { flag, other, label }) => {
    const started = startCli([flag, String(busyPort), other, '0', '--quiet']);
    const { code } = await started.exit;
    expect(code).toBe(1);
    expect(started.stderr().trim()).toBe(`start: ${label} port ${busyPort} is already in use (choose another with ${flag})`);
    expect(started.stdout()).not.toContain('Ctrl-C to stop');
  });
});
