/**
 * The Dredd adapter: runs Dredd 14 (pinned; archived upstream) against a server, on the generated
 * OpenAPI 3.0 copy (Dredd cannot read 3.1, and its YAML reader chokes on this spec: the JSON copy
 * is used), with src/dredd/hooks.cjs supplying credentials and real 400/401 requests. Dredd runs as
 * a child process, bounded in time; each transaction's result comes back as one JSON line written by
 * the hooks, so nothing depends on Dredd's human-oriented output.
 *
 * What Dredd checks here: status code, `Content-Type`, and the body against the schema, except
 * `pattern` and `format`, which its OpenAPI 3 reader ignores (the Ajv-based checks cover those).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SPEC_3_0_PATH } from '../spec.ts';
import { DOCUMENTED_STATUSES } from '../validation.ts';

/** Outcome of a Dredd run: counts per transaction and one entry per failed transaction. */
export interface DreddResult {
  /** True when every transaction passed and none was skipped. */
  ok: boolean;
  /** Transactions Dredd ran (one per documented response). */
  total: number;
  /** Transactions that passed. */
  passed: number;
  /** Transactions that failed or errored, plus documented statuses Dredd had no transaction for. */
  failed: number;
  /** Transactions skipped (the hooks un-skip all; a skip means something is wrong). */
  skipped: number;
  /** Why each failing transaction failed, credentials and response strings redacted. */
  failures: { transaction: string; message: string }[];
  /** Wall time of the run. */
  durationMs: number;
}

/** Options of {@link runDredd}. */
export interface RunDreddOptions {
  /** Base URL of the server under test, e.g. `http://127.0.0.1:4000`. */
  baseUrl: string;
  /** Full `Authorization` header value, e.g. `ApiKey k` or `Bearer <jwt>`. Passed to Dredd by environment only. */
  authorization: string;
  /**
   * Bound on the whole Dredd run; it is killed after that.
   * @default 120000
   */
  timeoutMs?: number;
  /**
   * OpenAPI 3.0 JSON for Dredd.
   * @default SPEC_3_0_PATH (generated/openapi-3.0.json)
   */
  specPath?: string;
}

/** A run that could not check anything (unreachable server, no credentials, Dredd crashed or timed out). */
export class DreddSetupError extends Error {
  /** Create an error with a one-line, redacted message. */
  constructor(message: string) {
    super(message);
    this.name = 'DreddSetupError';
  }
}

/** The hooks file Dredd loads. */
export const DREDD_HOOKS_PATH = fileURLToPath(new URL('./hooks.cjs', import.meta.url));

const require = createRequire(import.meta.url);
const dreddManifestPath = require.resolve('dredd/package.json');
const dreddBin = (() => {
  const { bin } = require(dreddManifestPath) as { bin: string | Record<string, string> };
  const relative = typeof bin === 'string' ? bin : bin.dredd;
  if (!relative) throw new Error('dredd declares no `dredd` bin');
  return join(dirname(dreddManifestPath), relative);
})();

const DEFAULT_TIMEOUT_MS = 120_000;
const CONNECT_TIMEOUT_MS = 5_000;
const KILL_GRACE_MS = 3_000;
/** Output kept from Dredd, for set-up error messages only. */
const MAX_OUTPUT_CHARS = 64 * 1024;

interface TransactionRecord {
  name: string;
  expectedStatus: string;
  actualStatus?: number;
  status: 'pass' | 'fail' | 'skip' | 'error';
  message: string;
}

/** Replaces the credential (whole header value and the part after the scheme) everywhere. */
function redactor(authorization: string): (text: string) => string {
  const secrets = [authorization, authorization.replace(/^\S+\s+/, '')].filter((s) => s.length >= 4);
  return (text) => secrets.reduce((out, secret) => out.split(secret).join('<redacted>'), text);
}

/** Resolves when a TCP connection to the URL's host and port succeeds; the server must be up first. */
async function assertReachable(url: URL): Promise<void> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new DreddSetupError(`cannot reach ${url.origin}: no answer within ${CONNECT_TIMEOUT_MS} ms`));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      reject(new DreddSetupError(`cannot reach ${url.origin}: ${error.code ?? error.message}`));
    });
  });
}

function parseRecords(text: string): TransactionRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TransactionRecord);
}

/** The last `error:` line Dredd printed (e.g. an unreadable spec), for set-up errors. */
function dreddError(output: string): string | undefined {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^error:/.test(l))
    .at(-1);
}

/**
 * Runs Dredd against `baseUrl` and returns per-transaction results. Resolves with `ok: false` when the
 * server breaks the contract; rejects with {@link DreddSetupError} when nothing could be checked.
 */
export async function runDredd(options: RunDreddOptions): Promise<DreddResult> {
  const { authorization } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const redact = redactor(authorization ?? '');
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new DreddSetupError(`invalid base URL ${JSON.stringify(options.baseUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DreddSetupError(`base URL must be http(s): ${url.origin}`);
  }
  if (!authorization?.trim()) throw new DreddSetupError('no credentials: an Authorization value is required');
  await assertReachable(url);

  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'refx-dredd-'));
  const resultsPath = join(dir, 'results.jsonl');
  try {
    // Dredd prepends the base URL's path to the spec's paths; a trailing slash would double it.
    const baseUrl = url.href.replace(/\/+$/, '');
    const args = [dreddBin, options.specPath ?? SPEC_3_0_PATH, baseUrl, '--hookfiles', DREDD_HOOKS_PATH];
    args.push('--loglevel', 'error', '--no-color');
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REFX_DREDD_AUTHORIZATION: authorization, REFX_DREDD_RESULTS: resultsPath },
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    }, timeoutMs);
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (error) => reject(new DreddSetupError(`cannot run Dredd: ${error.message}`)));
      child.once('close', (code) => resolve(code));
    }).finally(() => {
      clearTimeout(timer);
      process.off('exit', killOnExit);
    });
    if (timedOut) throw new DreddSetupError(`Dredd did not finish within ${timeoutMs} ms`);

    const records = parseRecords(await readFile(resultsPath, 'utf8').catch(() => ''));
    if (records.length === 0) {
      const reason = dreddError(output) ?? `Dredd exited with code ${exitCode} without running a transaction`;
      throw new DreddSetupError(redact(reason));
    }

    const failures = records
      .filter((r) => r.status === 'fail' || r.status === 'error')
      .map((r) => ({
        transaction: r.name,
        message: redact(r.message || `expected ${r.expectedStatus}, got ${r.actualStatus ?? 'no response'}`),
      }));
    // Every documented status must have been exercised: Dredd silently drops what it cannot read.
    for (const status of DOCUMENTED_STATUSES) {
      if (!records.some((r) => r.expectedStatus === status)) {
        failures.push({ transaction: `(status ${status})`, message: `Dredd made no transaction for documented status ${status}` });
      }
    }
    const passed = records.filter((r) => r.status === 'pass').length;
    const skipped = records.filter((r) => r.status === 'skip').length;
    return {
      ok: failures.length === 0 && skipped === 0,
      total: records.length,
      passed,
      failed: failures.length,
      skipped,
      failures,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
