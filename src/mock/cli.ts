/**
 * `npm run mock`: the Prism spec mock on 127.0.0.1:4010 until Ctrl-C.
 *
 *   npm run mock                          # http://127.0.0.1:4010
 *   npm run mock -- --port 0              # a free port (printed)
 *   PORT=4020 npm run mock                # env PORT when --port is not given
 *   npm run mock -- --dynamic --quiet     # schema-generated answers; no request log (Prism logs none)
 *
 * Prints `Prism mock listening on <url>` once it answers; exits 1 with a one-line reason if it
 * cannot start (port in use, …); SIGINT/SIGTERM stop Prism and exit 0.
 */
import { parseArgs } from 'node:util';
import { UPSERT_PATH } from '../spec.ts';
import { fail, parsePort } from '../cli/args.ts';
import { PrismStartError, startPrismMock } from './prism.ts';

const USAGE = 'usage: npm run mock -- [--port <n>] [--host <addr>] [--dynamic] [--quiet]';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string', short: 'h' },
        dynamic: { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message} (${USAGE})`);
  }
  const portText = values.port ?? process.env.PORT ?? '4010';
  const port = parsePort(portText);
  if (port === undefined) fail(`invalid port ${JSON.stringify(portText)} (--port or env PORT)`);

  const mock = await startPrismMock({
    host: values.host ?? '127.0.0.1',
    port,
    dynamic: values.dynamic,
    // Quiet, nothing is printed and Prism does not even log each request (about twice the
    // throughput). Its request log names routes and violated rules, never request values.
    requestLog: !values.quiet,
    onLog: values.quiet ? undefined : (line) => console.error(line),
  }).catch((error: unknown) => {
    const hint = error instanceof PrismStartError && error.code === 'EADDRINUSE' ? ' (choose another with --port)' : '';
    return fail(`mock: ${(error as Error).message}${hint}`);
  });

  console.log(`Prism mock listening on ${mock.url}`);
  console.log(`  POST ${mock.url}${UPSERT_PATH} (any Authorization value is accepted; no state is kept)`);

  let stopping = false;
  void mock.exited.then(() => {
    if (!stopping) fail('mock: Prism exited unexpectedly');
  });
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    mock.close().then(
      () => process.exit(0),
      (error: unknown) => fail(`mock: could not stop Prism: ${(error as Error).message}`),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
