/**
 * sandbox > limits: the body size limit (413 without reading the rest), bounded memory (draft cap,
 * stored-bytes cap, expired links evicted), hostile HTTP (aborted uploads, wrong Content-Length,
 * slow requests, garbage) never crashing it, and the routing errors (404, 405) as JSON bodies.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ReferralUpsertLinkRequest } from '../../generated/schema.ts';
import {
  documentationRequest,
  json,
  rawRequest,
  rawStatus,
  startTestSandbox,
  type TestSandbox,
} from './helpers.ts';

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox({ requestTimeoutMs: 400, headersTimeoutMs: 400 });
});
afterAll(async () => {
  sb.expectCleanLogs();
  await sb.close();
});

const DEFAULT_LIMIT = 102_400;
const head = (s: TestSandbox, extra: string): string =>
  `POST /api/v1/links/upsert HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ApiKey ${s.key}\r\nContent-Type: application/json\r\n${extra}\r\n`;

/** A valid request body of exactly `bytes` bytes (padded through clinicalInfo). */
function bodyOfSize(bytes: number): string {
  const base = JSON.stringify({ ...documentationRequest(), clinicalInfo: '' });
  return JSON.stringify({ ...documentationRequest(), clinicalInfo: 'x'.repeat(bytes - base.length) });
}

describe('sandbox > limits > body size (default 100 KiB)', () => {
  test('a body of exactly the limit is accepted, one byte more gets 413', async () => {
    expect(Buffer.byteLength(bodyOfSize(DEFAULT_LIMIT))).toBe(DEFAULT_LIMIT);
    expect((await sb.upsert(undefined, { raw: bodyOfSize(DEFAULT_LIMIT) })).status).toBe(200);
    const res = await sb.upsert(undefined, { raw: bodyOfSize(DEFAULT_LIMIT + 1) });
    expect(res.status).toBe(413);
    expect(await json(res)).toEqual({ statusCode: 413, message: `Request body exceeds ${DEFAULT_LIMIT} bytes`, error: 'Payload Too Large' });
  });

  test('a declared Content-Length over the limit gets 413 before the body is sent', async () => {
    // Given a client that declares 10 MB and then sends nothing more (the socket stays open),
    // when the headers arrive, then the sandbox answers 413 and closes, without waiting for the body.
    const response = await rawRequest(sb.port, head(sb, 'Content-Length: 10000000\r\n') + '{"a":', {
      hold: true,
      untilText: '"error":"Payload Too Large"}',
    });
    expect(rawStatus(response)).toBe(413);
    expect(response).toMatch(/\r\nConnection: close\r\n/i);
  });

  test('a chunked body growing past the limit gets 413 while the client is still sending', async () => {
    const chunk = 'x'.repeat(60 * 1024);
    const chunked = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    const response = await rawRequest(sb.port, head(sb, 'Transfer-Encoding: chunked\r\n') + chunked + chunked, {
      hold: true,
      untilText: '"error":"Payload Too Large"}',
    });
    expect(rawStatus(response)).toBe(413);
  });

  test('Expect: 100-continue with a body over the limit gets 413 and no 100 Continue', async () => {
    const response = await rawRequest(sb.port, head(sb, 'Content-Length: 200000\r\nExpect: 100-continue\r\n'), {
      hold: true,
      untilText: '"error":"Payload Too Large"}',
    });
    expect(response).not.toContain('100 Continue');
    expect(rawStatus(response)).toBe(413);
  });

  test('Expect: 100-continue within the limit gets 100 Continue, then 200', async () => {
    const body = JSON.stringify(documentationRequest());
    const response = await rawRequest(
      sb.port,
      head(sb, `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n`) + body,
    );
    expect(response).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  });

  test('the limit is configurable', async () => {
    const small = await startTestSandbox({ maxBodyBytes: 600 });
    try {
      expect((await small.upsert(undefined, { raw: bodyOfSize(600) })).status).toBe(200);
      expect((await small.upsert(undefined, { raw: bodyOfSize(601) })).status).toBe(413);
    } finally {
      small.expectCleanLogs();
      await small.close();
    }
  });
});

describe('sandbox > limits > bounded memory', () => {
  test('drafts beyond maxDrafts are evicted oldest first, with their links and identities', async () => {
    const capped = await startTestSandbox({ maxDrafts: 5 });
    try {
      const links = [];
      for (let i = 0; i < 8; i++) links.push(await capped.link({ ...documentationRequest(), patientUin: `S000000${i}X` }));
      expect(capped.stats()).toEqual({ drafts: 5, links: 5 });
      for (const link of links.slice(0, 3)) expect((await fetch(link.url)).status).toBe(410);
      for (const link of links.slice(3)) expect((await fetch(link.url)).status).toBe(200);
      // The evicted draft's identity is gone too: the same patient now makes a new draft.
      const again = await capped.link({ ...documentationRequest(), patientUin: 'S0000000X' });
      expect(again.referralId).not.toBe(links[0]!.referralId);
      // Re-upserting an existing draft makes it the newest: it survives the next eviction.
      const kept = await capped.link({ ...documentationRequest(), patientUin: 'S0000004X' });
      expect(kept.referralId).toBe(links[4]!.referralId);
      for (let i = 0; i < 4; i++) await capped.link();
      expect((await fetch(kept.url)).status).toBe(200);
    } finally {
      capped.expectCleanLogs();
      await capped.close();
    }
  });

  test('a flood of 600 upserts keeps at most maxDrafts drafts and links', async () => {
    const capped = await startTestSandbox({ maxDrafts: 50 });
    try {
      const body: ReferralUpsertLinkRequest = documentationRequest();
      for (let batch = 0; batch < 20; batch++) {
        const statuses = await Promise.all(
          Array.from({ length: 30 }, async () => {
            const res = await capped.upsert(body);
            await res.arrayBuffer();
            return res.status;
          }),
        );
        expect(statuses.every((s) => s === 200)).toBe(true);
      }
      expect(capped.stats()).toEqual({ drafts: 50, links: 50 });
    } finally {
      await capped.close();
    }
  });

  test('stored pre-fill is capped by maxStoredBytes as well', async () => {
    const body = bodyOfSize(10_000);
    const capped = await startTestSandbox({ maxStoredBytes: 35_000 });
    try {
      for (let i = 0; i < 6; i++) expect((await capped.upsert(undefined, { raw: body })).status).toBe(200);
      expect(capped.stats().drafts).toBe(3);
    } finally {
      await capped.close();
    }
  });

  test('expired links are evicted; their drafts stay', async () => {
    const s = await startTestSandbox();
    try {
      for (let i = 0; i < 3; i++) await s.link();
      expect(s.stats()).toEqual({ drafts: 3, links: 3 });
      s.clock.advance(15 * 60 * 1000);
      expect(s.stats()).toEqual({ drafts: 3, links: 0 });
    } finally {
      await s.close();
    }
  });
});

describe('sandbox > limits > hostile HTTP never crashes it', () => {
  const healthy = async (): Promise<void> => {
    const res = await fetch(`${sb.url}/health`);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: 'ok' });
  };

  test('an aborted upload gets no answer and is logged as aborted', async () => {
    const before = sb.lines.length;
    // Given a request that promises 1000 bytes, sends 10 and disconnects,
    await rawRequest(sb.port, head(sb, 'Content-Length: 1000\r\n') + '{"referrer', { abort: true });
    // then the sandbox logs it as aborted (polled: no fixed sleep) and keeps serving.
    await expect.poll(() => sb.lines.slice(before).filter((l) => l.includes('(aborted)')), { timeout: 5_000 }).toHaveLength(1);
    await healthy();
  });

  test('a Content-Length larger than the body sent gets 408 once the request times out', async () => {
    const response = await rawRequest(sb.port, head(sb, 'Content-Length: 500\r\n') + '{}', { hold: true, untilText: 'Request timeout' });
    expect(rawStatus(response)).toBe(408);
    await healthy();
  });

  test('a Content-Length smaller than the body: the first request is 400, the rest is rejected as garbage', async () => {
    const body = JSON.stringify(documentationRequest());
    const response = await rawRequest(sb.port, head(sb, 'Content-Length: 10\r\n') + body);
    const statuses = [...response.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses[0]).toBe(400);
    expect(statuses.every((s) => s === 400)).toBe(true);
    await healthy();
  });

  test('a slow body gets 408 Request timeout (JSON)', async () => {
    const response = await rawRequest(sb.port, head(sb, 'Content-Length: 100\r\n') + '{"ref', { hold: true, untilText: 'Request timeout' });
    expect(rawStatus(response)).toBe(408);
    expect(response).toContain('{"statusCode":408,"message":"Request timeout","error":"Request Timeout"}');
  });

  test('slow headers get 408', async () => {
    const response = await rawRequest(sb.port, 'POST /api/v1/links/upsert HTTP/1.1\r\nHost: x\r\n', { hold: true, untilText: 'Request timeout' });
    expect(rawStatus(response)).toBe(408);
  });

  test.each([
    ['a garbage request line', 'HELLO\r\n\r\n', 400],
    ['both Content-Length and Transfer-Encoding', head(sb0(), 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n') + '0\r\n\r\n', 400],
    ['a non-numeric Content-Length', head(sb0(), 'Content-Length: abc\r\n'), 400],
    ['oversized headers', `GET /health HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ] as const)('%s gets %i with a JSON body', async (_name, raw, status) => {
    const response = await rawRequest(sb.port, raw);
    expect(rawStatus(response)).toBe(status);
    expect(response).toContain('Content-Type: application/json; charset=utf-8');
    expect(response).toContain(`"statusCode":${status}`);
    await healthy();
  });
});

/** `head()` needs a sandbox for its key at table-definition time; any key does for parser errors. */
function sb0(): TestSandbox {
  return { key: 'placeholder' } as TestSandbox;
}

describe('sandbox > limits > routing', () => {
  test.each([
    ['GET', '/api/v1/links/upsert', 405, 'POST'],
    ['PUT', '/api/v1/links/upsert', 405, 'POST'],
    ['DELETE', '/health', 405, 'GET, HEAD'],
    ['GET', '/api/v1/links/upsert/', 404, null],
    ['GET', '/', 404, null],
    ['POST', '/api/v1/links', 404, null],
  ] as const)('%s %s gets %i', async (method, path, status, allow) => {
    const res = await fetch(`${sb.url}${path}`, { method, headers: { authorization: `ApiKey ${sb.key}` } });
    expect(res.status).toBe(status);
    expect(res.headers.get('allow')).toBe(allow);
    const body = await json(res);
    expect(body.statusCode).toBe(status);
    expect(body.error).toBe(status === 404 ? 'Not Found' : 'Method Not Allowed');
    expect(typeof body.message).toBe('string');
  });

  test('GET /health is 200 JSON with the spec version; every response has a request id', async () => {
    const res = await fetch(`${sb.url}/health`);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: 'ok', service: 'refx-sandbox', specVersion: expect.any(String) });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{6}-[0-9a-z]+$/);
  });
});
