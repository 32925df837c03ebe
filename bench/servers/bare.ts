/**
 * The limit: a bare `node:http` server that reads the body, parses the JSON and answers a response of
 * the spec's shape (the documentation's response example with a fresh id). Nothing a real server
 * could skip is done here, so no server of this endpoint on this Node can be faster.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { resolveRef, upsertOperation } from '../../src/spec.ts';
import { serve } from './serve.ts';

const ok = resolveRef(upsertOperation.responses['200'] as { content: Record<string, { examples?: Record<string, unknown> }> });
const example = resolveRef(
  (ok.content['application/json']?.examples?.['documentation'] ?? { value: {} }) as { value: Record<string, unknown> },
).value;

await serve(async () => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const referralId = randomUUID();
      const payload = JSON.stringify({ ...example, referralId, url: `https://refx.invalid/referral/${referralId}` });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}, 'bare server');
