/**
 * dredd: the adapter passes a conforming server (including one answering
 * `application/json; charset=utf-8`, as NestJS and Express do) and the Prism mock with no skipped
 * transaction, fails planted-bug servers naming the broken transaction, and never lets the
 * credential out. Each Dredd run takes a couple of seconds: one run per case, no more.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { upsertLinkTypeValues, type ErrorBody, type ReferralUpsertLinkDto } from '../../generated/schema.ts';
import { runDredd, DreddSetupError, type DreddResult } from '../../src/dredd/run.ts';
import { startPrismMock, type RunningPrismMock } from '../../src/mock/prism.ts';
import { formatViolations, validateUpsertRequest } from '../../src/validation.ts';

// A credential that could only appear in output by leaking.
const SECRET = 'dredd-test-secret-4f1c9a';
const AUTHORIZATION = `ApiKey ${SECRET}`;
const JSON_UTF8 = 'application/json; charset=utf-8';

interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
}
type Handler = (req: { authorization: string | undefined; body: unknown }) => Reply;

/** A node:http server on 127.0.0.1:0 answering the upsert path with `handler`, anything else 404. */
async function serve(handler: Handler): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const reply: Reply =
        req.method === 'POST' && req.url === '/api/v1/links/upsert'
          ? handler({ authorization: req.headers.authorization, body })
          : { status: 404, body: { statusCode: 404 } };
      res.writeHead(reply.status, { 'content-type': reply.contentType ?? JSON_UTF8 });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const link: ReferralUpsertLinkDto = {
  referralId: 'ref-1',
  url: 'https://sandbox.invalid/referral/ref-1',
  type: upsertLinkTypeValues[0]!,
};
const unauthorized: ErrorBody = { statusCode: 401, message: 'Unauthorized', error: 'Unauthorized' };

/** What a NestJS-like RefX does: 401 unless the key is right, 400 for an invalid body, else 200. */
const conforming: Handler = ({ authorization, body }) => {
  if (authorization !== AUTHORIZATION) return { status: 401, body: unauthorized };
  const result = validateUpsertRequest(body);
  if (!result.ok) {
    const error: ErrorBody = { statusCode: 400, message: formatViolations(result.violations).split('; '), error: 'Bad Request' };
    return { status: 400, body: error };
  }
  return { status: 200, body: link };
};

/** Planted bugs: [name, handler, the transaction (by its status) that must fail]. */
const broken: [string, Handler, string][] = [
  ['200 without url', (req) => (conforming(req).status === 200 ? { status: 200, body: { ...link, url: undefined } } : conforming(req)), '200'],
  ['201 instead of 200', (req) => (conforming(req).status === 200 ? { status: 201, body: link } : conforming(req)), '200'],
  ['no Authorization still gets 200', ({ body }) => conforming({ authorization: AUTHORIZATION, body }), '401'],
  ['a 200 with a wrong enum value', (req) => (conforming(req).status === 200 ? { status: 200, body: { ...link, type: 'update' } } : conforming(req)), '200'],
  ['a 400 body of the wrong shape', (req) => (conforming(req).status === 400 ? { status: 400, body: { statusCode: '400' } } : conforming(req)), '400'],
  ['an invalid body gets 200', ({ authorization }) => (authorization === AUTHORIZATION ? { status: 200, body: link } : { status: 401, body: unauthorized }), '400'],
];

const transactionFor = (status: string): RegExp => new RegExp(`> ${status} > application/json$`);

describe('dredd > run', () => {
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
    const server = await serve((req) => {
      const reply = conforming(req);
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
