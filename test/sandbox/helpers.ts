/**
 * Test helpers for the sandbox: a sandbox on 127.0.0.1:0 with a fake clock and captured log lines,
 * the spec's own request examples as fixtures, a raw-socket request for what fetch cannot send, and
 * the "no secret in the logs" check every test file runs after its tests.
 */
import { connect } from 'node:net';
import { expect } from 'vitest';
import type { ReferralUpsertLinkDto, ReferralUpsertLinkRequest } from '../../generated/schema.ts';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox/index.ts';
import { requestExamples, UPSERT_PATH } from '../../src/spec.ts';

/** A settable clock. */
export interface FakeClock {
  now: () => number;
  advance(ms: number): void;
}

/** A fake clock starting at a fixed instant (2026-05-20T00:00:00Z). */
export function fakeClock(start = Date.UTC(2026, 4, 20)): FakeClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** A running sandbox plus what the tests need around it. */
export interface TestSandbox extends RunningSandbox {
  /** The API key tests authenticate with. */
  key: string;
  clock: FakeClock;
  /** Every log line written so far. */
  lines: string[];
  /** Values that must never appear in a log line (keys, JWTs, tokens, patient data). */
  secrets: Set<string>;
  /** `POST /api/v1/links/upsert` with the key (or `headers` overriding it); registers the body's secrets. */
  upsert(body: unknown, init?: { headers?: Record<string, string>; raw?: string }): Promise<Response>;
  /**
   * Upserts a valid body and returns the link (the token is registered as a secret). The default
   * body is every field but patientUin, so each call is a new draft.
   */
  link(body?: ReferralUpsertLinkRequest): Promise<ReferralUpsertLinkDto>;
  /** Asserts no log line contains a registered secret. */
  expectCleanLogs(): void;
}

const example = (name: string): ReferralUpsertLinkRequest => {
  const found = requestExamples().find((e) => e.name === name);
  if (!found) throw new Error(`spec has no request example ${name}`);
  return structuredClone(found.value) as ReferralUpsertLinkRequest;
};

/** The RefX documentation's example (required fields only), from the spec. */
export const documentationRequest = (): ReferralUpsertLinkRequest => example('documentation');
/** The spec's example with every optional field. */
export const fullRequest = (): ReferralUpsertLinkRequest => example('allOptionalFields');

/** Every optional field except patientUin: each upsert of it makes a new draft. */
export const newDraftRequest = (): ReferralUpsertLinkRequest => {
  const body = fullRequest();
  delete body.patientUin;
  return body;
};

/** Fields whose values are patient or personal data and must never be logged. */
const PERSONAL_FIELDS = [
  'patientUin',
  'patientName',
  'patientPhoneNumber',
  'patientDob',
  'referrerName',
  'referrerContactNumber',
  'referrerEmail',
  'clinicalInfo',
] as const;

/**
 * A request line as the sandbox writes it (src/sandbox/index.ts): time, request id, method, route,
 * status, duration, or the same with `-` for a request the HTTP parser rejected. All but the method
 * are the sandbox's own (the clock, a counter, its own referral ids, a fixed route name), so only
 * the method can carry what a client sent.
 */
const REQUEST_LINE = new RegExp(
  `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (?:[0-9a-f]{6}-[0-9a-z]+|-) (\\S+) ` +
    `(?:${UPSERT_PATH.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|/health|/referral/(?:ref-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\\(invalid\\))|\\(unmatched\\)|\\(unparsed\\)) ` +
    `(?:\\d{3}|-)(?:\\(aborted\\))? (?:\\d+\\.\\dms|-)$`,
);

/**
 * The part of a log line that could hold client data: a request line's method, any other line
 * whole (so text a change adds to a line is checked too). A short registered value (3 characters
 * from a property test) turned up by chance inside a request id (`414410-e`): not a leak.
 */
export function clientPart(line: string): string {
  return REQUEST_LINE.exec(line)?.[1] ?? line;
}

/** Starts a sandbox on a free port with a fake clock, a known API key and captured logs. */
export async function startTestSandbox(options: SandboxOptions = {}): Promise<TestSandbox> {
  const clock = fakeClock();
  const lines: string[] = [];
  const key = `test-key-${crypto.randomUUID()}`;
  const sandbox = await startSandbox({
    port: 0,
    apiKeys: [key],
    now: clock.now,
    log: (line) => lines.push(line),
    ...options,
  });
  const secrets = new Set<string>([key, ...sandbox.apiKeys]);
  const remember = (body: unknown): void => {
    if (typeof body !== 'object' || body === null) return;
    const record = body as Record<string, unknown>;
    for (const field of PERSONAL_FIELDS) {
      const value = record[field];
      if (typeof value === 'string' && value.length >= 3) secrets.add(value);
    }
  };
  const upsert: TestSandbox['upsert'] = (body, init = {}) => {
    remember(body);
    const headers = { authorization: `ApiKey ${key}`, 'content-type': 'application/json', ...init.headers };
    if (headers.authorization.length > 12) secrets.add(headers.authorization.replace(/^\S+ /, ''));
    return fetch(`${sandbox.url}${UPSERT_PATH}`, {
      method: 'POST',
      headers,
      body: init.raw ?? JSON.stringify(body),
    });
  };
  return Object.assign(sandbox, {
    key,
    clock,
    lines,
    secrets,
    upsert,
    async link(body = newDraftRequest()) {
      const res = await upsert(body);
      expect(res.status).toBe(200);
      const dto = (await res.json()) as ReferralUpsertLinkDto;
      secrets.add(new URL(dto.url).searchParams.get('token') ?? '');
      return dto;
    },
    expectCleanLogs() {
      expect(lines.length).toBeGreaterThan(0);
      const checked = lines.map(clientPart);
      for (const secret of secrets) {
        if (secret === '') continue;
        const leaks = lines.filter((_, i) => checked[i]!.includes(secret));
        // Report which kind of value leaked, not the value.
        expect(leaks, `a secret of length ${secret.length} appears in ${leaks.length} log line(s)`).toEqual([]);
      }
    },
  });
}

/** The JSON body of a response, typed loosely. */
export async function json(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return (await res.json()) as Record<string, unknown>;
}

/**
 * Sends raw bytes over a fresh TCP connection and resolves with everything the server sent once
 * it closes the connection (or `untilText` appears). `hold` keeps the client side open after
 * writing (no FIN), like a client that never finishes its upload; `abort` destroys the connection
 * right after writing, like a client that crashes mid-upload.
 */
export function rawRequest(
  port: number,
  data: string | Buffer,
  opts: { untilText?: string; hold?: boolean; abort?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const finish = (): void => {
      socket.destroy();
      resolve(received);
    };
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (opts.untilText && received.includes(opts.untilText)) finish();
    });
    socket.on('close', finish);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may reset a connection it already answered; what it sent is the result.
      if (received !== '') finish();
      else reject(error);
    });
    socket.write(data, () => {
      if (opts.abort) finish();
      else if (!opts.hold) socket.end();
    });
  });
}

/** The status code of a raw HTTP response. */
export function rawStatus(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? NaN);
}
