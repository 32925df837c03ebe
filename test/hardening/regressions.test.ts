/**
 * hardening > regressions: one test per defect the fuzz, security and fault tests found, named
 * after the bug it pins.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UPSERT_PATH } from '../../src/spec.ts';
import { documentationRequest, json, rawRequest, rawStatus, startTestSandbox, type TestSandbox } from '../sandbox/helpers.ts';
import { parseResponses } from './support.ts';

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

  /**
   * Sends `first` (a request head and the start of its body), waits for the answer, then sends the
   * `rest` in pieces (a slow client) and half-closes, on a socket that stays writable after the
   * server's FIN. Reports the statuses answered, any socket error, and whether the server's FIN
   * came after the client's last byte.
   */
  async function answeredMidBody(first: string, rest: string[]): Promise<{ statuses: number[]; error?: string; finAfterLastByte: boolean }> {
    const socket = connect({ port: sb.port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let sentAll = false;
    let finAfterLastByte = false;
    let answered: () => void = () => {};
    const answer = new Promise<void>((resolve) => (answered = resolve));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (parseResponses(Buffer.concat(chunks)).responses.length > 0) answered();
    });
    socket.on('end', () => (finAfterLastByte = sentAll));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.name));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const write = (data: string): Promise<void> => new Promise((resolve) => socket.write(data, () => resolve()));
    await write(first);
    await answer;
    for (const piece of rest) {
      // The pause is the slow client itself, not a wait for readiness.
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (!socket.destroyed) await write(piece);
    }
    sentAll = true;
    if (!socket.destroyed) socket.end();
    await closed;
    const statuses = parseResponses(Buffer.concat(chunks)).responses.map((r) => r.status);
    return { statuses, ...(error ? { error } : {}), finAfterLastByte };
  }

  test.each<[string, (key: string) => string, number]>([
    ['Connection: close, unknown route', () => 'PROPFIND / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n', 404],
    ['Expect: 100-continue, unknown route', () => 'PROPFIND / HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n', 404],
    ['Connection: close, wrong key', () => `POST ${UPSERT_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ApiKey wrong-key-123\r\nContent-Type: application/json\r\nConnection: close\r\n`, 401],
  ])(
    'an answer sent before the body ended (%s) closed the socket at once, so the client still sending got EPIPE (fuzz #629, seed 943961658): now the server reads the rest, then closes',
    async (_name, head, status) => {
      const body = JSON.stringify({ ...documentationRequest(), clinicalInfo: 'x'.repeat(2_500) });
      const pieces = Array.from({ length: Math.ceil(body.length / 500) }, (_, i) => body.slice(i * 500, i * 500 + 500));
      const result = await answeredMidBody(`${head(sb.key)}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${pieces[0]}`, pieces.slice(1));
      expect(result).toEqual({ statuses: [status], finAfterLastByte: true });
    },
  );

  test('a body the parser gives up on after an early answer: the answer stands, then 400 for the rest (not a reset)', async () => {
    const chunk = 'x'.repeat(100);
    const result = await answeredMidBody(
      `PROPFIND / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n`,
      ['zz\r\nnot a chunk\r\n'],
    );
    expect(result.statuses).toEqual([404, 400]);
  });
});
