/**
 * hardening > regressions: one test per defect the fuzz, security and fault tests found, named
 * after the bug it pins.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UPSERT_PATH } from '../../src/spec.ts';
import { documentationRequest, json, rawRequest, rawStatus, startTestSandbox, type TestSandbox } from '../sandbox/helpers.ts';

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(async () => {
  sb.expectCleanLogs();
  await sb.close();
});

describe('regression > sandbox', () => {
  test.each([
    ['the valid key first', (key: string) => [`ApiKey ${key}`, 'ApiKey wrong-key-123']],
    ['the valid key second', (key: string) => ['ApiKey wrong-key-123', `ApiKey ${key}`]],
    ['the valid key twice', (key: string) => [`ApiKey ${key}`, `ApiKey ${key}`]],
  ])('duplicate Authorization headers were authenticated by the first one (%s): now 401', async (_name, values) => {
    const body = JSON.stringify(documentationRequest());
    const lines = values(sb.key).map((v) => `Authorization: ${v}\r\n`).join('');
    const response = await rawRequest(
      sb.port,
      `POST ${UPSERT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(rawStatus(response)).toBe(401);
    expect(response).toContain('{"statusCode":401,"message":"Invalid Authorization header (sent more than once)","error":"Unauthorized"}');
    // One header still works.
    expect((await sb.upsert(documentationRequest())).status).toBe(200);
  });

  test('a CONNECT request was dropped without an answer: now 405 with a JSON body', async () => {
    const response = await rawRequest(sb.port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
    expect(rawStatus(response)).toBe(405);
    expect(response).toContain('{"statusCode":405,"message":"Method CONNECT not allowed","error":"Method Not Allowed"}');
    expect(await json(await fetch(`${sb.url}/health`))).toMatchObject({ status: 'ok' });
  });
});
