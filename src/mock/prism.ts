/**
 * The spec mock: Stoplight Prism (pinned @stoplight/prism-cli) serving the generated bundle, kept
 * behind this one small adapter so tests, `npm run mock` and `npm start` never talk to Prism's CLI
 * themselves.
 *
 * Prism runs as a separate process (its CLI is the supported interface; its programmatic API is
 * internal). What it does with this spec (checked by test/mock/prism.test.ts):
 * - a valid request with any `Authorization` header gets 200 and the documentation's response example,
 *   `Content-Type: application/json`;
 * - no `Authorization` header gets 401 with the spec's 401 example (Prism checks that the header
 *   is present, never its value: any key or token is accepted);
 * - an invalid body gets 400 (the spec documents 400, so Prism uses it rather than 422) with the
 *   spec's static 400 example, not a description of what was wrong; the violations are in the
 *   `sl-violations` response header and in Prism's log;
 * - it keeps no state: every call answers the same example.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BUNDLED_SPEC_PATH } from '../spec.ts';

/** Options of {@link startPrismMock}. */
export interface PrismMockOptions {
  /**
   * Interface to bind. Only loopback addresses make sense for a development mock.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Port to listen on; 0 picks a free one (read the real one from the result).
   * @default 4010
   */
  port?: number;
  /**
   * OpenAPI document to serve.
   * @default BUNDLED_SPEC_PATH (generated/openapi.yaml)
   */
  specPath?: string;
  /**
   * Generate responses from the schemas (Prism `--dynamic`) instead of answering the examples.
   * @default false
   */
  dynamic?: boolean;
  /**
   * Whether Prism logs every request (its `info` lines: about four a request). Off, Prism runs at
   * `--verboseLevel warn` and still logs what goes wrong; it serves about twice as many requests
   * a second (measured: ~750 → ~1,700 req/s on the bench machine), and its start line is not
   * printed, so readiness is found by asking it.
   * @default true
   */
  requestLog?: boolean;
  /**
   * Receives each line Prism logs (requests, validation violations), without the ANSI colours.
   * @default undefined (lines are kept only for error messages)
   */
  onLog?: (line: string) => void;
  /**
   * How long to wait for Prism to listen before giving up.
   * @default 30000
   */
  readyTimeoutMs?: number;
}

/** A running Prism mock. */
export interface RunningPrismMock {
  /** Base URL, e.g. `http://127.0.0.1:4010` (the operation is at `${url}/api/v1/links/upsert`). */
  url: string;
  /** The port it listens on (the real one when 0 was asked for). */
  port: number;
  /** Stops Prism (SIGTERM, then SIGKILL after a bound) and resolves once the process has exited. */
  close(): Promise<void>;
  /** Resolves when the Prism process has ended, whether through close() or not. */
  exited: Promise<void>;
}

/** Why Prism could not be started; `code` tells a busy port from the rest. */
export class PrismStartError extends Error {
  /** `EADDRINUSE` when the port is taken, `TIMEOUT` when Prism never got ready, `EXIT` otherwise. */
  readonly code: 'EADDRINUSE' | 'TIMEOUT' | 'EXIT';
  /** Create an error with a one-line message. */
  constructor(code: PrismStartError['code'], message: string) {
    super(message);
    this.name = 'PrismStartError';
    this.code = code;
  }
}

const DEFAULT_PORT = 4010;
const DEFAULT_READY_TIMEOUT_MS = 30_000;
/** How long close() waits after SIGTERM before SIGKILL. */
const TERM_GRACE_MS = 5_000;
/** Retries when a free port found by us is taken by someone else before Prism binds it. */
const FREE_PORT_ATTEMPTS = 3;
/** Lines of Prism output kept for error messages. */
const KEPT_LINES = 100;

// Resolved through the package's own manifest so the pinned version is used, wherever npm put it.
const require = createRequire(import.meta.url);
const prismManifestPath = require.resolve('@stoplight/prism-cli/package.json');
const prismBin = (() => {
  const { bin } = require(prismManifestPath) as { bin: string | Record<string, string> };
  const relative = typeof bin === 'string' ? bin : bin.prism;
  if (!relative) throw new Error('@stoplight/prism-cli declares no `prism` bin');
  return join(dirname(prismManifestPath), relative);
})();

/** Preload that makes Prism exit when its parent is gone, however the parent ended. */
const EXIT_WITH_PARENT = fileURLToPath(new URL('./exit-with-parent.cjs', import.meta.url));

// Children still running when this process exits normally are killed at once (an `exit` handler
// must be synchronous: SIGKILL is all it can do); exit-with-parent.cjs covers abnormal ends.
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const READY = /Prism is listening on (http:\/\/\S+)/;
/** Path of the readiness request; Prism logs it as an unmatched route, so its lines are dropped. */
const PROBE_PATH = '/__refx_mock_ready';

/** Asks the OS for a free port on `host` (listen on 0, read it, release it). */
async function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the free port'));
      });
    });
  });
}

/** Resolves once the child has exited (at once if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([exited(child), killed]);
  clearTimeout(timer);
  await exited(child);
}

/**
 * The one line that explains a failed start, out of Prism's output (which also prints its usage
 * and an error dump): a Node system error (`ENOENT: …`, `listen EADDRINUSE: …`), else Prism's
 * `fatal` log line, else the last line.
 */
function reasonFrom(lines: readonly string[]): string {
  const systemError = lines.find((l) => /^(?![\s{}]).*\bE[A-Z]{3,}: /.test(l));
  const fatal = lines.find((l) => /\bfatal\b/.test(l))?.replace(/^.*\bfatal\s*/, '').trim();
  const last = lines.filter((l) => l.trim() !== '').at(-1);
  return (systemError ?? (fatal || undefined) ?? last ?? 'no output').trim();
}

async function startOnce(
  host: string,
  port: number,
  options: PrismMockOptions,
): Promise<RunningPrismMock> {
  const args = ['--require', EXIT_WITH_PARENT, prismBin, 'mock', options.specPath ?? BUNDLED_SPEC_PATH, '-h', host, '-p', String(port)];
  // One process only: a forked Prism server would survive a SIGTERM to the CLI.
  args.push('--multiprocess=false');
  if (options.dynamic) args.push('--dynamic');
  const quiet = options.requestLog === false;
  if (quiet) args.push('--verboseLevel', 'warn');
  // Its own process group: a terminal's Ctrl-C reaches only our process, which then stops Prism in
  // order (otherwise Prism could die first and look like a crash).
  // The IPC channel is only there to close when this process ends (see exit-with-parent.cjs).
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  child.channel?.unref();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));

  const recent: string[] = [];
  let onReady: ((url: string) => void) | undefined;
  const handleLine = (raw: string): void => {
    const line = raw.replace(ANSI, '');
    if (line.includes(PROBE_PATH)) return;
    recent.push(line);
    if (recent.length > KEPT_LINES) recent.shift();
    options.onLog?.(line);
    const ready = READY.exec(line);
    if (ready?.[1]) onReady?.(ready[1]);
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', handleLine);
  }

  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      onReady = () => {
        settled = true;
        resolve();
      };
      child.once('exit', () => (settled = true));
      // Quiet, Prism prints no start line: ask it until it answers as Prism does (its 404 problem
      // for an unknown route: another server on this port would not), or until it exits.
      if (quiet) void pollUntilPrism(url, () => settled).then((up) => up && onReady?.(''));
      child.once('error', (error) => reject(new PrismStartError('EXIT', `cannot run Prism: ${error.message}`)));
      child.once('exit', (code, signal) => {
        // The last lines may still be in the pipes: let readline flush them first.
        setImmediate(() => {
          const reason = reasonFrom(recent);
          if (/EADDRINUSE/.test(recent.join('\n'))) {
            reject(new PrismStartError('EADDRINUSE', `port ${port} on ${host} is already in use`));
          } else {
            reject(new PrismStartError('EXIT', `Prism exited (${signal ?? `code ${code}`}) before listening: ${reason}`));
          }
        });
      });
      timer = setTimeout(
        () =>
          reject(
            new PrismStartError(
              'TIMEOUT',
              `Prism did not listen within ${timeoutMs} ms; last output: ${recent.slice(-5).join(' | ') || 'none'}`,
            ),
          ),
        timeoutMs,
      );
    });
    // The log line comes from Prism's listen callback; one real request proves the port is ours.
    await fetch(`${url}${PROBE_PATH}`, { signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.body?.cancel());
    return { url, port, close: () => stopChild(child, TERM_GRACE_MS), exited: exited(child) };
  } catch (error) {
    await stopChild(child, TERM_GRACE_MS);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Asks `url` for the readiness path every 50 ms until Prism answers (true) or `stop()` (false). */
async function pollUntilPrism(url: string, stop: () => boolean): Promise<boolean> {
  while (!stop()) {
    try {
      const res = await fetch(`${url}${PROBE_PATH}`, { signal: AbortSignal.timeout(1_000) });
      const text = await res.text();
      if (res.status === 404 && text.includes('stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR')) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/**
 * Starts Prism on the generated bundle (request validation on) and resolves once it answers HTTP.
 * Rejects with a {@link PrismStartError} (one-line message) if it cannot start.
 */
export async function startPrismMock(options: PrismMockOptions = {}): Promise<RunningPrismMock> {
  const host = options.host ?? '127.0.0.1';
  const requested = options.port ?? DEFAULT_PORT;
  if (requested !== 0) return startOnce(host, requested, options);
  // Prism cannot report a port the OS chose, so choose it first; another process may grab it in
  // between, hence the retries.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(host, await findFreePort(host), options);
    } catch (error) {
      if (!(error instanceof PrismStartError && error.code === 'EADDRINUSE') || attempt >= FREE_PORT_ATTEMPTS) throw error;
    }
  }
}
