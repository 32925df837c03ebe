/**
 * mock > cli: `npm run mock` prints its URL once Prism answers, stops cleanly on SIGINT, and a busy
 * port is a one-line reason with a non-zero exit.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { UPSERT_PATH } from '../../src/spec.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// tsx's loader in one node process, so signals and the exit code are the CLI's own.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', tsxLoader, 'src/mock/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** Resolves with the printed URL once the ready line appears; rejects if the CLI exits first. */
  const ready = (): Promise<string> => new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const url = /^Prism mock listening on (http:\/\/\S+)$/m.exec(stdout)?.[1];
      if (url) resolve(url);
    };
    child.stdout.on('data', check);
    check();
    void exit.then((code) => reject(new Error(`mock CLI exited (${code}): ${stderr.trim()}`)));
  });
  return { child, ready, exit, stdout: () => stdout, stderr: () => stderr };
}

describe('mock > cli', () => {
  test('mock > cli > --port 0 prints the real URL when ready; SIGINT exits 0 and frees the port', async () => {
    const cli = startCli(['--port', '0', '--quiet']);
    const url = await cli.ready();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    const response = await fetch(`${url}${UPSERT_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
    cli.child.kill('SIGINT');
    expect(await cli.exit).toBe(0);
    await expect(fetch(url)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });

  test('mock > cli > a busy port (env PORT) exits 1 with a one-line reason', async () => {
    const blocker = createServer();
    // Quiet, the CLI asks the port whether Prism is up: the blocker keeps what connects, unread.
    const held = new Set<Socket>();
    blocker.on('connection', (socket) => held.add(socket));
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const cli = startCli(['--quiet'], { PORT: String(port) });
      expect(await cli.exit).toBe(1);
      expect(cli.stderr().trim()).toBe(`mock: port ${port} on 127.0.0.1 is already in use (choose another with --port)`);
      expect(cli.stdout()).toBe('');
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
