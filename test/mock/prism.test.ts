/**
 * mock > prism: the Prism adapter starts the spec mock on a free port, the mock answers what the spec
 * documents (and only that: it checks that `Authorization` is there, never its value), and close()
 * really stops the process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPrismMock, PrismStartError, type RunningPrismMock } from '../../src/mock/prism.ts';
import { requestExamples, UPSERT_PATH } from '../../src/spec.ts';
import { validateUpsertResponse } from '../../src/validation.ts';

const documentationExample = requestExamples()[0]!.value;

// tsx's loader, so a fixture runs in ONE node process (tsx's CLI would add a wrapper process).
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Polls `condition` every 100 ms until it holds or `timeoutMs` passes; returns whether it held. */
async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/** Command lines of the running Prism processes serving `port`. */
function prismProcessesOn(port: number): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((args) => args.includes('prism-cli') && args.includes(`-p ${port} `));
}

async function post(
  mock: RunningPrismMock,
  { headers, body }: { headers: Record<string, string>; body: string },
): Promise<{ status: number; contentType: string | null; body: unknown }> {
  const response = await fetch(`${mock.url}${UPSERT_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.json() };
}

describe('mock > prism > answers', () => {
  let mock: RunningPrismMock;
  beforeAll(async () => {
    mock = await startPrismMock({ port: 0 });
  });
  afterAll(async () => {
    await mock?.close();
  });

  test('mock > prism > port 0 is replaced by the real free port', () => {
    expect(mock.port).toBeGreaterThan(0);
    expect(mock.url).toBe(`http://127.0.0.1:${mock.port}`);
  });

  const cases: [string, { headers: Record<string, string>; body: unknown; status: number }][] = [
    ['documentation example with an ApiKey gets 200', { headers: { authorization: 'ApiKey x' }, body: documentationExample, status: 200 }],
    ['any Bearer value is accepted too', { headers: { authorization: 'Bearer not-a-jwt' }, body: documentationExample, status: 200 }],
    ['no Authorization gets 401', { headers: {}, body: documentationExample, status: 401 }],
    ['a body missing required fields gets 400', { headers: { authorization: 'ApiKey x' }, body: {}, status: 400 }],
    ['a body of the wrong type gets 400', { headers: { authorization: 'ApiKey x' }, body: [1, 2], status: 400 }],
  ];
  test.each(cases)('mock > prism > %s', async (_name, { headers, body, status }) => {
    const response = await post(mock, { headers, body: JSON.stringify(body) });
    expect(response.status).toBe(status);
    // Prism answers plain `application/json`, the media type the spec documents.
    expect(response.contentType).toBe('application/json');
    expect(validateUpsertResponse(status, response.body)).toEqual({ ok: true });
  });

  test('mock > prism > the 200 body is the documentation response example', async () => {
    const response = await post(mock, { headers: { authorization: 'ApiKey x' }, body: JSON.stringify(documentationExample) });
    expect(response.body).toEqual({
      referralId: 'ref-9876543210',
      url: 'https://refer.health.gov.sg/referral/ref-9876543210',
      type: 'upsert',
    });
  });
});

describe('mock > prism > requestLog: false', () => {
  test('mock > prism > without its request log Prism is found ready, answers, and logs no request', async () => {
    const logged: string[] = [];
    const quiet = await startPrismMock({ port: 0, requestLog: false, onLog: (line) => logged.push(line) });
    const loud: string[] = [];
    const normal = await startPrismMock({ port: 0, onLog: (line) => loud.push(line) });
    try {
      for (const [mock, lines] of [[quiet, logged], [normal, loud]] as const) {
        const before = lines.length;
        const ok = await post(mock, { headers: { authorization: 'ApiKey x' }, body: JSON.stringify(documentationExample) });
        expect(ok.status).toBe(200);
        const bad = await post(mock, { headers: {}, body: JSON.stringify(documentationExample) });
        expect(bad.status).toBe(401);
        // Its log lines are printed as they come: give the pipe a moment.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const requestLines = lines.slice(before).filter((l) => l.includes(UPSERT_PATH));
        if (mock === quiet) expect(requestLines).toEqual([]);
        else expect(requestLines.length).toBeGreaterThan(0);
      }
    } finally {
      await Promise.all([quiet.close(), normal.close()]);
    }
  });
});

describe('mock > prism > lifecycle', () => {
  test('mock > prism > close() stops the process and frees the port', async () => {
    const mock = await startPrismMock({ port: 0 });
    expect(prismProcessesOn(mock.port)).toHaveLength(1);
    await mock.close();
    await expect(fetch(`${mock.url}${UPSERT_PATH}`, { method: 'POST' })).rejects.toMatchObject({
      cause: { code: 'ECONNREFUSED' },
    });
    expect(prismProcessesOn(mock.port)).toEqual([]);
    await mock.close(); // idempotent
  });

  test('mock > prism > a busy port is a one-line EADDRINUSE error', async () => {
    const mock = await startPrismMock({ port: 0 });
    try {
      const error = await startPrismMock({ port: mock.port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PrismStartError);
      expect(error).toMatchObject({ code: 'EADDRINUSE', message: `port ${mock.port} on 127.0.0.1 is already in use` });
      // The failed Prism is gone; the first one still serves.
      expect(prismProcessesOn(mock.port)).toHaveLength(1);
    } finally {
      await mock.close();
    }
  });

  test('mock > prism > a missing spec file fails with Prism\'s reason', async () => {
    const error = await startPrismMock({ port: 0, specPath: '/nonexistent/openapi.yaml' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EXIT', message: expect.stringMatching(/ENOENT|nonexistent/) });
  });

  test('mock > prism > Prism exits when its parent is SIGKILLed (no orphan)', async () => {
    const parent = spawn(process.execPath, ['--import', tsxLoader, fileURLToPath(new URL('./fixtures/start-and-wait.ts', import.meta.url))], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const match = /port=(\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      parent.once('exit', () => reject(new Error('fixture exited before starting the mock')));
    });
    try {
      expect(prismProcessesOn(port)).toHaveLength(1);
    } finally {
      // SIGKILL runs no handler in the parent: only the closed IPC channel can tell Prism.
      parent.kill('SIGKILL');
    }
    expect(await eventually(() => prismProcessesOn(port).length === 0, 10_000)).toBe(true);
  });
});
