/**
 * verify > circuit breaker: a target that answers the first few requests and then hangs used to
 * cost requests ÷ concurrency × timeout (minutes at the defaults). The run now stops after
 * `maxConsecutiveNoAnswers` requests in a row get no answer, as a set-up/target fault (exit 2, one
 * line naming it) with the partial report still written.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { runVerification, TargetStoppedError } from '../../src/verify/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const KEY = `breaker-${crypto.randomUUID()}`;
const TIMEOUT_MS = 300;

/** A target that answers its first `answers` requests with the spec's 200 body, then never answers. */
async function answersThenHangs(answers: number): Promise<{ url: string; hits(): number; close(): Promise<void> }> {
  let hits = 0;
  const hung: ServerResponse[] = [];
  const server = createServer((req, res) => {
    hits += 1;
    req.resume();
    if (hits > answers) {
      hung.push(res);
      return;
    }
    const id = `ref-${hits}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ referralId: id, url: `http://127.0.0.1/referral/${id}`, type: 'upsert' }));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('verify > circuit breaker', () => {
  test('a target that answers 5 requests then hangs stops the run after 2 × concurrency silent requests, with a partial report', async () => {
    const target = await answersThenHangs(5);
    close = target.close;
    // Given concurrency 4 (the breaker trips at 8) and a 300 ms deadline per request
    const outcome = await runVerification({
      baseUrl: target.url,
      authorization: async () => `ApiKey ${KEY}`,
      credentialForRepro: KEY,
      seed: 3,
      runs: 50,
      concurrency: 4,
      dredd: false,
      transport: { timeoutMs: TIMEOUT_MS },
    }).catch((err: unknown) => err);
    // Then it is a target fault naming what happened, not a contract result
    expect(outcome).toBeInstanceOf(TargetStoppedError);
    const err = outcome as TargetStoppedError;
    expect(err.message).toMatch(/^target stopped answering: 8 requests in a row timed out \(http:\/\/127\.0\.0\.1:\d+, after \d+ requests\)$/);
    // And it sent about two waves past the last answer, not the whole plan (~340 requests)
    expect(target.hits()).toBeLessThanOrEqual(5 + 8 + 4);
    // (`requests` leaves out the reachability probe)
    expect(err.report.requests).toBe(target.hits() - 1);
    expect(err.report.ok).toBe(false);
    expect(err.report.stopped).toBe('target stopped answering: 8 requests in a row timed out');
    expect(err.report.checks.find((c) => c.name === 'no_server_errors')?.failed).toBeGreaterThanOrEqual(8);
    expect(JSON.stringify(err.report)).not.toContain(KEY);
  }, 30_000);

  test('silent streaks shorter than the limit, with answers between them, do not stop the run', async () => {
    // Given a limit of 4 and two streaks of 3 silent requests (6 in all) separated by answers
    let hits = 0;
    const server = createServer((req, res) => {
      hits += 1;
      req.resume();
      if ((hits >= 2 && hits <= 4) || (hits >= 8 && hits <= 10)) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ referralId: `ref-${hits}`, url: `http://127.0.0.1/referral/${hits}`, type: 'upsert' }));
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    close = () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    const report = await runVerification({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      seed: 3,
      runs: 2,
      concurrency: 1,
      maxConsecutiveNoAnswers: 4,
      dredd: false,
      transport: { timeoutMs: TIMEOUT_MS },
    });
    // Then the run goes to the end (it fails on other checks: this target accepts everything)
    expect(report.stopped).toBeUndefined();
    expect(report.requests).toBe(hits - 1);
    expect(report.requests).toBeGreaterThan(100);
  }, 30_000);

  test('the CLI exits 2 with one line naming the fault and still writes the partial report', async () => {
    const target = await answersThenHangs(3);
    close = target.close;
    const dir = await mkdtemp(join(tmpdir(), 'refx-breaker-'));
    try {
      const junit = join(dir, 'junit.xml');
      const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          TSX,
          ['src/verify/cli.ts', '--base-url', target.url, '--seed', '4', '--runs', '20', '--concurrency', '3', '--no-dredd', '--timeout-ms', String(TIMEOUT_MS), '--junit', junit, '--report', join(dir, 'report')],
          { cwd: ROOT, env: { ...process.env, REFX_BASE_URL: '', REFX_API_KEY: KEY }, timeout: 60_000 },
          (e, out, errOut) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }),
        );
      });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      const last = stderr.trim().split('\n').at(-1)!;
      expect(last).toMatch(/^refx verify: target stopped answering: 6 requests in a row timed out \(http:\/\/127\.0\.0\.1:\d+, after \d+ requests\); partial report: .*junit\.xml, .*report\.json/);
      const report = JSON.parse(await readFile(join(dir, 'report', 'report.json'), 'utf8')) as { targets: { report: { stopped?: string; ok: boolean } }[] };
      expect(report.targets[0]?.report).toMatchObject({ ok: false, stopped: 'target stopped answering: 6 requests in a row timed out' });
      expect(await readFile(junit, 'utf8')).toContain('<testsuites');
      for (const text of [stdout, stderr, await readFile(junit, 'utf8')]) expect(text).not.toContain(KEY);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
