/**
 * client > example: examples/create-link.ts (the README's example, `npm run example`) run as a child
 * process against a local recording server.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { spec } from '../../src/spec.ts';
import { startTestServer, type TestServer } from './server.ts';

const SCRIPT = fileURLToPath(new URL('../../examples/create-link.ts', import.meta.url));
const docLink = spec.components.examples.DocumentationResponse!.value as { url: string };
const KEY = 'sk-example-PLANTED-1234';

function runExample(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SCRIPT],
      // Only what the example needs: no REFX_* from the developer's shell leaks in.
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
  expect(server.unexpected).toEqual([]);
});

describe('client > example', () => {
  test('prints only the link URL and exits 0', async () => {
    server.reply({ status: 200, json: docLink });
    const run = await runExample({ REFX_BASE_URL: server.url, REFX_API_KEY: KEY });
    expect(run).toMatchObject({ code: 0, stdout: `${docLink.url}\n`, stderr: '' });
    expect(server.requests[0]!.headers.authorization).toBe(`ApiKey ${KEY}`);
  });

  test('a 401 exits 1 with a one-line reason that does not contain the key', async () => {
    server.reply({ status: 401, json: { statusCode: 401, message: 'Missing or invalid Authorization header', error: 'Unauthorized' } });
    const run = await runExample({ REFX_BASE_URL: server.url, REFX_API_KEY: KEY });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^create-link: RefX answered 401 Unauthorized: Missing or invalid Authorization header\n$/);
    expect(run.stderr).not.toContain(KEY);
  });

  test('no credentials: exits 1 with a one-line reason and sends nothing', async () => {
    const run = await runExample({ REFX_BASE_URL: server.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^create-link: set REFX_API_KEY[^\n]*\n$/);
    expect(server.requests).toEqual([]);
  });
});
