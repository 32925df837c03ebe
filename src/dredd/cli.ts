/**
 * `npm run verify:dredd`: Dredd against a running server.
 *
 *   REFX_API_KEY=… npm run verify:dredd -- --base-url http://127.0.0.1:4000
 *   npm run verify:dredd -- --base-url https://… --jwt-key-name my-key --jwt-private-key key.pem [--jwt-subject sys]
 *   npm run verify:dredd -- --base-url … --json      # the DreddResult as JSON on stdout
 *
 * Flags win over env (REFX_BASE_URL, REFX_API_KEY). Prefer the env variable for the API key: a flag
 * is visible to other users in the process list. Exit 0: contract holds; 1: contract broken;
 * 2: usage or set-up problem (one-line reason).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createAuthorizationProvider, type RefxAuth } from '../client/auth.ts';
import { fail } from '../cli/args.ts';
import { DreddSetupError, runDredd } from './run.ts';

const USAGE =
  'usage: npm run verify:dredd -- --base-url <url> (--api-key <key> | --jwt-key-name <name> --jwt-private-key <pem file> [--jwt-subject <sub>]) [--timeout <ms>] [--json]';
const SETUP = 2;

async function credentials(values: Record<string, string | boolean | undefined>): Promise<RefxAuth> {
  const keyName = values['jwt-key-name'];
  const keyFile = values['jwt-private-key'];
  if (typeof keyName === 'string' || typeof keyFile === 'string') {
    if (typeof keyName !== 'string' || typeof keyFile !== 'string') {
      fail('verify:dredd: --jwt-key-name and --jwt-private-key go together', SETUP);
    }
    // Never echo the file's content: only its path is named.
    const privateKey = await readFile(keyFile, 'utf8').catch(() => fail(`verify:dredd: cannot read --jwt-private-key ${keyFile}`, SETUP));
    const subject = typeof values['jwt-subject'] === 'string' ? values['jwt-subject'] : undefined;
    return { jwt: { keyName, privateKey, subject } };
  }
  const apiKey = typeof values['api-key'] === 'string' ? values['api-key'] : process.env.REFX_API_KEY;
  if (!apiKey) fail(`verify:dredd: no credentials (--api-key or env REFX_API_KEY, or --jwt-key-name + --jwt-private-key)`, SETUP);
  return { apiKey };
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'base-url': { type: 'string' },
        'api-key': { type: 'string' },
        'jwt-key-name': { type: 'string' },
        'jwt-private-key': { type: 'string' },
        'jwt-subject': { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`verify:dredd: ${(error as Error).message} (${USAGE})`, SETUP);
  }
  const baseUrl = values['base-url'] ?? process.env.REFX_BASE_URL;
  if (!baseUrl) fail(`verify:dredd: no base URL (--base-url or env REFX_BASE_URL)`, SETUP);
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    fail('verify:dredd: --timeout must be a positive number of milliseconds', SETUP);
  }

  let result;
  try {
    // Signed last, right before Dredd starts: a RefX JWT lives 15 s, longer than a Dredd run.
    const authorization = await createAuthorizationProvider(await credentials(values))();
    result = await runDredd({ baseUrl, authorization, timeoutMs });
  } catch (error) {
    // DreddSetupError and RefxAuthError messages are written to be secret-free.
    const known = error instanceof DreddSetupError || (error as Error).name === 'RefxAuthError';
    fail(`verify:dredd: ${known ? (error as Error).message : `unexpected error: ${(error as Error).message}`}`, SETUP);
  }

  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const verdict = result.ok ? 'contract holds' : 'contract BROKEN';
    console.log(
      `dredd: ${verdict}: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped of ${result.total} transactions (${(result.durationMs / 1000).toFixed(1)} s)`,
    );
    for (const failure of result.failures) console.log(`  ✗ ${failure.transaction}\n    ${failure.message.replace(/\n/g, '\n    ')}`);
  }
  process.exit(result.ok ? 0 : 1);
}

await main();
