/**
 * A real HTTP server on 127.0.0.1:0 for the client tests: it records every request and answers
 * each with the next queued reply. A request with no reply queued is recorded as unexpected (and
 * answered 500): tests assert `unexpected` is empty, so a stray request fails them.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server received it. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How to answer one request: a JSON body, a raw body, or never (the connection stays open). */
export type Reply =
  | { status: number; json?: unknown; raw?: string; headers?: Record<string, string> }
  | { hang: true };

export interface TestServer {
  url: string;
  /** Every request received, in order (expected or not). */
  requests: RecordedRequest[];
  /** Requests that arrived with no reply queued. */
  unexpected: RecordedRequest[];
  /** Queues replies for the next requests, in order. */
  reply(...replies: Reply[]): void;
  /** Resolves with the next request the server receives (after it is recorded). */
  nextRequest(): Promise<RecordedRequest>;
  close(): Promise<void>;
}

/** Starts a recording server on 127.0.0.1 on a free port. */
export async function startTestServer(): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const unexpected: RecordedRequest[] = [];
  const queue: Reply[] = [];
  const waiters: ((r: RecordedRequest) => void)[] = [];

  const send = (res: ServerResponse, reply: Exclude<Reply, { hang: true }>): void => {
    const payload = reply.raw ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
    res.writeHead(reply.status, {
      ...(reply.json === undefined ? {} : { 'content-type': 'application/json' }),
      ...reply.headers,
    });
    res.end(payload);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const reply = queue.shift();
      if (!reply) {
        unexpected.push(recorded);
        send(res, { status: 500, json: { statusCode: 500, message: 'unexpected request in test' } });
      } else if (!('hang' in reply)) {
        send(res, reply);
      }
      waiters.shift()?.(recorded);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unexpected,
    reply: (...replies) => void queue.push(...replies),
    nextRequest: () => new Promise((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections(); // hanging replies keep their sockets open
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens: a port the OS just handed out and that was closed again. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
