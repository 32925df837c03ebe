/**
 * dredd: the adapter passes a conforming server (including one answering
 * `application/json; charset=utf-8`, as NestJS and Express do) and the Prism mock with no skipped
 * transaction, fails planted-bug servers naming the broken transaction, and never lets the
 * credential out. Each Dredd run takes a couple of seconds: one run per case, no more.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runDredd, DreddSetupError, type DreddResult } from '../../src/dredd/run.ts';
import { startPrismMock, type RunningPrismMock } from '../../src/mock/prism.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { conforming as conformingFor, link, serve, unauthorized, type Handler, type Reply } from './servers.ts';

// Dredd runs take seconds, more on a loaded 2-core machine: generous per-test bounds.
// A credential that could only appear in output by leaking.
const SECRET = 'dredd-test-secret-4f1c9a';
const AUTHORIZATION = `ApiKey ${SECRET}`;

const conforming = conformingFor((authorization) => authorization === AUTHORIZATION);
/** `conforming`, with the reply for one status replaced: a planted bug. */
const replacing =
  (status: number, replace: (reply: Reply) => Reply): Handler =>
  async (req) => {
    const reply = await conforming(req);
    return reply.status === status ? replace(reply) : reply;
  };

/** Planted bugs: [name, handler, the transaction (by its status) that must fail]. */
const broken: [string, Handler, string][] = [
  ['200 without url', replacing(200, () => ({ status: 200, body: { ...link, url: undefined } })), '200'],
  ['201 instead of 200', replacing(200, () => ({ status: 201, body: link })), '200'],
  ['a 200 with a wrong enum value', replacing(200, () => ({ status: 200, body: { ...link, type: 'update' } })), '200'],
  ['a 400 body of the wrong shape', replacing(400, () => ({ status: 400, body: { statusCode: '400' } })), '400'],
  ['an invalid body gets 200', ({ authorization }) => (authorization === AUTHORIZATION ? { status: 200, body: link } : { status: 401, body: unauthorized }), '400'],
  ['no Authorization still gets 200', ({ body }) => conforming({ authorization: AUTHORIZATION, body }), '401'],
];

const transactionFor = (status: string): RegExp => new RegExp(`> ${status} > application/json$`);

describe('dredd > run', { timeout: 90_000 }, () => {
  test('dredd > run > a conforming server answering application/json; charset=utf-8 passes, nothing skipped', async () => {
    const server = await serve(conforming);
    try {
      const result = await runDredd({ baseUrl: server.url, authorization: AUTHORIZATION });
      expect(result).toMatchObject({ ok: true, total: 3, passed: 3, failed: 0, skipped: 0, failures: [] });
    } finally {
      await server.close();
    }
  });

  describe('dredd > run > Prism mock', () => {
    let mock: RunningPrismMock;
    beforeAll(async () => {
      mock = await startPrismMock({ port: 0 });
    });
    afterAll(async () => {
      await mock?.close();
    });
    test('dredd > run > the Prism mock passes with any key', async () => {
      const result = await runDredd({ baseUrl: mock.url, authorization: 'ApiKey any-key-at-all' });
      expect(result).toMatchObject({ ok: true, total: 3, passed: 3, skipped: 0 });
    });
  });

  test('dredd > run > the stateful sandbox passes', async () => {
    const sandbox = await startSandbox({ port: 0, apiKeys: [SECRET], log: () => {} });
    try {
      const result = await runDredd({ baseUrl: sandbox.url, authorization: AUTHORIZATION });
      expect(result).toMatchObject({ ok: true, total: 3, passed: 3, skipped: 0 });
    } finally {
      await sandbox.close();
    }
  });

  test.each(broken)('dredd > run > planted bug: %s fails its transaction', async (_name, handler, status) => {
    const server = await serve(handler);
    try {
      const result = await runDredd({ baseUrl: server.url, authorization: AUTHORIZATION });
      expect(result.ok).toBe(false);
      expect(result.failures.map((f) => f.transaction)).toEqual([expect.stringMatching(transactionFor(status))]);
      expect(result.failures[0]!.message).not.toBe('');
      expect(result.failed).toBe(1);
      expect(result.passed).toBe(2);
    } finally {
      await server.close();
    }
  });

  test('dredd > run > a server echoing the credential does not leak it into the result', async () => {
    // The planted bug puts the Authorization value into an enum field, so Dredd's message quotes it.
    const server = await serve(async (req) => {
      const reply = await conforming(req);
      return reply.status === 200 ? { status: 200, body: { ...link, type: req.authorization } } : reply;
    });
    let result: DreddResult;
    try {
      result = await runDredd({ baseUrl: server.url, authorization: AUTHORIZATION });
    } finally {
      await server.close();
    }
    expect(result.ok).toBe(false);
    expect(result.failures).toHaveLength(1);
    // Dredd quotes the offending value: it was there, and was replaced.
    expect(result.failures[0]!.message).toContain('<redacted>');
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });
});

describe('dredd > set-up errors', () => {
  const cases: [string, { baseUrl: string; authorization: string }, RegExp][] = [
    ['an unreachable base URL', { baseUrl: 'http://127.0.0.1:1', authorization: AUTHORIZATION }, /cannot reach http:\/\/127\.0\.0\.1:1: ECONNREFUSED/],
    ['a base URL that is not a URL', { baseUrl: 'localhost', authorization: AUTHORIZATION }, /invalid base URL/],
    ['no credentials', { baseUrl: 'http://127.0.0.1:1', authorization: '' }, /no credentials/],
  ];
  test.each(cases)('dredd > set-up errors > %s is a DreddSetupError', async (_name, options, message) => {
    const error = await runDredd(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DreddSetupError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(SECRET);
  });
});
