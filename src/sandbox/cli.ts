/**
 * `npm run sandbox`: starts the RefX sandbox and runs until SIGINT/SIGTERM. Exits 2 with a
 * one-line reason on bad flags, 1 when the sandbox cannot start (e.g. the port is in use).
 */
import { CliError, parseSandboxArgs, USAGE } from './args.ts';
import { startSandbox, type RunningSandbox } from './index.ts';

const fail = (code: number, reason: string): never => {
  process.stderr.write(`refx-sandbox: ${reason}\n`);
  process.exit(code);
};

let config;
try {
  config = parseSandboxArgs(process.argv.slice(2), process.env);
} catch (error) {
  fail(2, error instanceof CliError ? `${error.message} (see --help)` : 'invalid arguments');
}
if (config?.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

let sandbox: RunningSandbox | undefined;
try {
  sandbox = await startSandbox(config?.options);
} catch (error) {
  const { code } = error as NodeJS.ErrnoException;
  const where = `${config?.options.host ?? '127.0.0.1'}:${config?.options.port ?? 4000}`;
  if (code === 'EADDRINUSE') fail(1, `port already in use (${where})`);
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') fail(1, `cannot listen on ${where} (${code})`);
  // Configuration errors (e.g. an unusable JWT key) carry a one-line message without secrets.
  fail(1, error instanceof Error ? (error.message.split('\n')[0] ?? 'cannot start') : 'cannot start');
}

const running = sandbox as RunningSandbox;
process.stdout.write(`RefX sandbox listening on ${running.url}\n`);
if (running.devApiKey) {
  // Printed once, on purpose: a development key nobody configured is useless unless shown.
  process.stdout.write(
    `No API key configured: generated development key (valid until this process stops):\n` +
      `  Authorization: ApiKey ${running.devApiKey}\n`,
  );
}

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) process.exit(130); // a second signal: stop now
  stopping = true;
  process.stdout.write(`RefX sandbox stopping (${signal})\n`);
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
