/**
 * Small node:http servers for the Dredd tests: a conforming RefX look-alike (NestJS-style, answering
 * `application/json; charset=utf-8`) and the pieces to plant bugs in it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { upsertLinkTypeValues, type ErrorBody, type ReferralUpsertLinkDto } from '../../generated/schema.ts';
import { UPSERT_PATH } from '../../src/spec.ts';
import { formatViolations, validateUpsertRequest } from '../../src/validation.ts';

/** What a handler answers. */
export interface Reply {
  status: number;
  body: unknown;
  /** @default 'application/json; charset=utf-8' (what NestJS and Express send) */
  contentType?: string;
}
/** Answers one upsert request. */
export type Handler = (req: { authorization: string | undefined; body: unknown }) => Reply | Promise<Reply>;

/** A running test server. */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1:0 answering the upsert path with `handler`, anything else 404. */
export async function serve(handler: Handler): Promise<TestServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const reply: Reply =
        req.method === 'POST' && req.url === UPSERT_PATH
          ? await handler({ authorization: req.headers.authorization, body })
          : { status: 404, body: { statusCode: 404 } };
      res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json; charset=utf-8' });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A valid 200 body. */
export const link: ReferralUpsertLinkDto = {
  referralId: 'ref-1',
  url: 'https://sandbox.invalid/referral/ref-1',
  type: upsertLinkTypeValues[0]!,
};
/** A valid 401 body. */
export const unauthorized: ErrorBody = { statusCode: 401, message: 'Unauthorized', error: 'Unauthorized' };

/** What a NestJS-like RefX does: 401 unless `isAuthorized`, 400 for an invalid body (by the spec), else 200. */
export function conforming(isAuthorized: (authorization: string | undefined) => boolean | Promise<boolean>): Handler {
  return async ({ authorization, body }) => {
    if (!(await isAuthorized(authorization))) return { status: 401, body: unauthorized };
    const result = validateUpsertRequest(body);
    if (!result.ok) {
      const error: ErrorBody = { statusCode: 400, message: formatViolations(result.violations).split('; '), error: 'Bad Request' };
      return { status: 400, body: error };
    }
    return { status: 200, body: link };
  };
}
