/**
 * `npm start`: the stateful sandbox and the Prism spec mock together, for trying the API locally.
 *
 *   npm start                                          # sandbox :4000, mock :4010
 *   npm start -- --sandbox-port 0 --mock-port 0        # free ports (the real ones are printed)
 *   npm start -- --api-key my-dev-key --quiet          # a chosen sandbox key; no request log
 *
 * Once both answer, prints their URLs, the sandbox's development API key and, for each, a
 * copy-paste `curl` of the documentation's request example. The key is a sandbox-only development
 * credential: printing it is the point. Ctrl-C (SIGINT) or SIGTERM stops both and exits 0; a server
 * that cannot start (e.g. a busy port) is a one-line reason naming the port and its flag, exit 1.
 */
import { parseArgs } from 'node:util';
import { startPrismMock, PrismStartError, type RunningPrismMock } from '../mock/prism.ts';
import { startSandbox, type RunningSandbox } from '../sandbox/index.ts';
import { requestExamples, UPSERT_PATH } from '../spec.ts';
import { fail, parsePort, shellQuote } from './args.ts';

const USAGE = 'usage: npm start -- [--sandbox-port <n>] [--mock-port <n>] [--api-key <key>] [--quiet]';
const HOST = '127.0.0.1';

/** A one-line `curl` of the documentation's example against `baseUrl`, safe to paste into a POSIX shell. */
function exampleCurl(baseUrl: string, authorization: string): string {
  const example = requestExamples()[0];
  if (!example) throw new Error('the spec has no request example');
  return [
    'curl -sS -X POST',
    shellQuote(`${baseUrl}${UPSERT_PATH}`),
    '-H',
    shellQuote(`Authorization: ${authorization}`),
    '-H',
    shellQuote('Content-Type: application/json'),
    '-d',
    shellQuote(JSON.stringify(example.value)),
  ].join(' ');
}

/** Prism's own lines are chatty; requests and violations are what a developer wants to see. */
function mockLogLine(line: string): string | undefined {
  if (!/\[(HTTP SERVER|VALIDATOR)\]/.test(line)) return undefined;
  return line.replace(/^\[[^\]]*\]\s*›\s*/, '').trim();
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'sandbox-port': { type: 'string', default: '4000' },
        'mock-port': { type: 'string', default: '4010' },
        'api-key': { type: 'string' },
        quiet: { type: 'boolean', short: 'q', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`start: ${(error as Error).message} (${USAGE})`);
  }
  const sandboxPort = parsePort(values['sandbox-port']);
  if (sandboxPort === undefined) fail(`start: invalid --sandbox-port ${JSON.stringify(values['sandbox-port'])}`);
  const mockPort = parsePort(values['mock-port']);
  if (mockPort === undefined) fail(`start: invalid --mock-port ${JSON.stringify(values['mock-port'])}`);
  if (sandboxPort !== 0 && sandboxPort === mockPort) fail(`start: --sandbox-port and --mock-port are both ${sandboxPort}`);
  const apiKey = values['api-key'];
  if (apiKey !== undefined && apiKey.trim() === '') fail('start: --api-key is empty');
  const quiet = values.quiet;

  // Started side by side; if either fails, the other is stopped before exiting.
  const [sandboxResult, mockResult] = await Promise.allSettled([
    startSandbox({
      host: HOST,
      port: sandboxPort,
      ...(apiKey ? { apiKeys: [apiKey] } : {}),
      log: quiet ? false : (line) => console.log(`sandbox | ${line}`),
    }),
    startPrismMock({
      host: HOST,
      port: mockPort,
      // Quiet, Prism does not make its request log either (it costs it half its throughput).
      requestLog: !quiet,
      onLog: quiet
        ? undefined
        : (line) => {
            const shown = mockLogLine(line);
            if (shown) console.log(`mock    | ${shown}`);
          },
    }),
  ]);
  if (sandboxResult.status === 'rejected' || mockResult.status === 'rejected') {
    await Promise.allSettled([
      sandboxResult.status === 'fulfilled' ? sandboxResult.value.close() : undefined,
      mockResult.status === 'fulfilled' ? mockResult.value.close() : undefined,
    ]);
    const reasons: string[] = [];
    if (sandboxResult.status === 'rejected') {
      const error = sandboxResult.reason as NodeJS.ErrnoException;
      reasons.push(
        error.code === 'EADDRINUSE'
          ? `sandbox port ${sandboxPort} is already in use (choose another with --sandbox-port)`
          : `sandbox cannot start: ${(error.message ?? String(error)).split('\n')[0]}`,
      );
    }
    if (mockResult.status === 'rejected') {
      const error = mockResult.reason as Error;
      reasons.push(
        error instanceof PrismStartError && error.code === 'EADDRINUSE'
          ? `mock port ${mockPort} is already in use (choose another with --mock-port)`
          : `mock cannot start: ${error.message}`,
      );
    }
    fail(`start: ${reasons.join('; ')}`);
  }
  const sandbox: RunningSandbox = sandboxResult.value;
  const mock: RunningPrismMock = mockResult.value;
  const key = apiKey ?? sandbox.devApiKey ?? sandbox.apiKeys[0];
  if (!key) throw new Error('the sandbox reported no API key');

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping the sandbox and the mock…');
    void Promise.allSettled([sandbox.close(), mock.close()]).then((results) => {
      process.exit(results.every((r) => r.status === 'fulfilled') ? 0 : 1);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  void mock.exited.then(() => {
    if (stopping) return;
    stopping = true;
    console.error('start: the Prism mock exited unexpectedly; stopping the sandbox');
    void sandbox.close().finally(() => process.exit(1));
  });

  console.log(
    [
      '',
      'RefX contract kit is running:',
      `  Sandbox (stateful RefX look-alike): ${sandbox.url}`,
      `  Spec mock (Prism, answers the spec's examples): ${mock.url}`,
      `  Development API key (sandbox only, valid until this stops): ${key}`,
      '',
      "Try the documentation's example against the sandbox:",
      exampleCurl(sandbox.url, `ApiKey ${key}`),
      '',
      'and against the mock (any key works; it keeps no state):',
      exampleCurl(mock.url, `ApiKey ${key}`),
      '',
      'The sandbox answers with a one-time link: open its "url" in a browser within 15 minutes to see',
      'the pre-filled referral form (the first visit uses it up). Without Authorization both answer 401.',
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

await main();
