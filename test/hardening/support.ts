/**
 * Helpers of the hardening tests: a raw TCP client with a deadline (for what fetch and http.request
 * cannot send: wrong Content-Length, bytes that are not HTTP, stalled uploads), a parser for the
 * HTTP/1.1 responses that come back on such a socket, a bounded worker pool, a real GC for memory
 * checks, and a capture of everything the process prints (for "no secret in any output").
 */
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What came back on a raw socket. */
export interface RawExchange {
  /** Every byte the server sent. */
  bytes: Buffer;
  /** True when the deadline passed before the server closed the connection (or `until` appeared). */
  timedOut: boolean;
}

/** Options of {@link sendRaw}. */
export interface SendRawOptions {
  /** Pause between two parts, in ms (a slow sender). @default 0 */
  delayMs?: number;
  /** Half-close after the last part (FIN), as a client that has nothing more to send. @default true */
  end?: boolean;
  /** Resolve as soon as the received bytes contain this text, or satisfy this test. */
  until?: string | ((received: Buffer) => boolean);
  /** Give up (and report `timedOut`) after this long. @default 5000 */
  deadlineMs?: number;
}

/**
 * Sends `parts` over a fresh connection to 127.0.0.1:`port` and collects the answer until the
 * server closes, `until` appears, or the deadline passes. Never rejects: a reset after an answer is
 * normal for a server that closes a connection it has answered.
 */
export function sendRaw(port: number, parts: readonly (string | Buffer)[], options: SendRawOptions = {}): Promise<RawExchange> {
  const { delayMs = 0, end = true, until, deadlineMs = 5_000 } = options;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), timedOut });
    };
    const deadline = setTimeout(() => finish(true), deadlineMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (until === undefined) return;
      const received = Buffer.concat(chunks);
      if (typeof until === 'string' ? received.includes(until) : until(received)) finish(false);
    });
    socket.on('close', () => finish(false));
    socket.on('error', () => finish(false));
    const write = async (): Promise<void> => {
      for (let i = 0; i < parts.length; i++) {
        if (settled || socket.destroyed) return;
        if (i > 0 && delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        if (settled || socket.destroyed) return;
        await new Promise<void>((r) => socket.write(parts[i]!, () => r()));
      }
      if (end && !settled && !socket.destroyed) socket.end();
    };
    socket.once('connect', () => void write());
  });
}

/** One HTTP/1.1 response parsed from raw bytes. */
export interface ParsedResponse {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Parses every complete response in `bytes` (keep-alive and pipelining send several; `100
 * Continue` has no body). Stops at the first incomplete or unparseable one and reports the rest as
 * `trailing` bytes, which a test can then assert on.
 */
export function parseResponses(bytes: Buffer): { responses: ParsedResponse[]; trailing: number } {
  const responses: ParsedResponse[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) break;
    const [statusLine = '', ...lines] = bytes.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3}) /.exec(`${statusLine} `)?.[1];
    if (status === undefined) break;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const length = Number(headers['content-length'] ?? 0);
    const bodyStart = headEnd + 4;
    if (!Number.isSafeInteger(length) || bodyStart + length > bytes.length) break;
    responses.push({ status: Number(status), headers, body: bytes.subarray(bodyStart, bodyStart + length) });
    offset = bodyStart + length;
  }
  return { responses, trailing: bytes.length - offset };
}

/** Runs `fn` over `items` with at most `limit` in flight; resolves when all are done. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * A full garbage collection. vitest workers do not run with `--expose-gc`; the flag can still be
 * set at run time, and a fresh context then sees the `gc` function.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
  gc?.();
}

/** Everything written to stdout, stderr and the console while a capture is active. */
export interface OutputCapture {
  /** The captured text so far. */
  text(): string;
  /** Stops capturing (restores the originals). */
  stop(): void;
}

/**
 * Captures process.stdout/stderr writes (console.* goes through them) while still passing them on,
 * so a test can search everything the code under test printed.
 */
export function captureOutput(): OutputCapture {
  const captured: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write.bind(s));
  streams.forEach((stream, i) => {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (originals[i] as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  });
  return {
    text: () => captured.join(''),
    stop: () => streams.forEach((stream, i) => (stream.write = originals[i] as typeof stream.write)),
  };
}
