/**
 * `npm run verify`: checks a server against the spec. With `--base-url` (or REFX_BASE_URL) it
 * verifies that target; without, it starts the sandbox and the Prism mock and verifies both.
 * Exit 0 when every check passes, 1 on a contract violation, 2 on a usage or set-up problem (one
 * line on stderr). Progress goes to stderr; the summary, failures and coverage to stdout.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createAuthorizationProvider } from '../client/auth.ts';
import { startPrismMock } from '../mock/prism.ts';
import { startSandbox } from '../sandbox/index.ts';
import { PRISM_KNOWN_DEVIATIONS, runVerification, SetupError, TargetStoppedError, type VerificationOptions } from './engine.ts';
import { createRedactor } from './redact.ts';
import { formatCoverage, formatFailures, formatSummary, toJUnit, writeReportDir, type NamedReport } from './report.ts';

const USAGE = `usage: npm run verify -- [--base-url <url>] [--api-key <key> | --jwt-key-name <name> --jwt-private-key <pem file>]
       [--target-kind server|mock] [--seed <n>] [--runs <n>] [--stateful | --no-stateful] [--no-dredd]
       [--junit <file>] [--report <dir>] [--concurrency <n>] [--timeout-ms <n>]
env:   REFX_BASE_URL, REFX_API_KEY
Without a base URL the sandbox and the Prism mock are started and both are verified.`;

class UsageError extends Error {}

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return Number(value);
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'base-url': { type: 'string' },
        'api-key': { type: 'string' },
        'jwt-key-name': { type: 'string' },
        'jwt-private-key': { type: 'string' },
        'target-kind': { type: 'string' },
        seed: { type: 'string' },
        runs: { type: 'string' },
        stateful: { type: 'boolean' },
        'no-stateful': { type: 'boolean' },
        'no-dredd': { type: 'boolean' },
        junit: { type: 'string' },
        report: { type: 'string' },
        concurrency: { type: 'string' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see --help)`);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  const kind = v['target-kind'] ?? 'server';
  if (kind !== 'server' && kind !== 'mock') throw new UsageError(`--target-kind must be server or mock, got ${JSON.stringify(kind)}`);
  if (v.stateful && v['no-stateful']) throw new UsageError('--stateful and --no-stateful exclude each other');
  const seed = integer('seed', v.seed, 0) ?? randomInt(0, 2 ** 31);
  const runs = integer('runs', v.runs, 0) ?? 200;
  const concurrency = integer('concurrency', v.concurrency, 1);
  const timeoutMs = integer('timeout-ms', v['timeout-ms'], 1);
  // An empty variable (e.g. an unset CI secret) counts as not set.
  const baseUrl = v['base-url'] ?? (process.env.REFX_BASE_URL || undefined);
  const apiKey = v['api-key'] ?? (process.env.REFX_API_KEY || undefined);
  const jwtName = v['jwt-key-name'];
  const jwtFile = v['jwt-private-key'];
  if ((jwtName === undefined) !== (jwtFile === undefined)) throw new UsageError('--jwt-key-name and --jwt-private-key go together');
  if (jwtName !== undefined && v['api-key'] !== undefined) throw new UsageError('pass --api-key or --jwt-key-name/--jwt-private-key, not both');

  const common = {
    seed,
    runs,
    dredd: !v['no-dredd'],
    // A one-shot process: a planning thread started after a run would be ready only once the last
    // run is over (see planner.ts), so every run here plans on its own thread.
    planInWorker: false,
    ...(concurrency ? { concurrency } : {}),
    ...(timeoutMs ? { transport: { timeoutMs } } : {}),
  };
  // The seed line waits for the first request, so a set-up failure stays a single line.
  let announced = false;
  const progress = (name: string): VerificationOptions['onProgress'] => (e) => {
    if (!announced) {
      announced = true;
      process.stderr.write(`refx verify: seed ${seed} (rerun with --seed ${seed} to send the same requests), ${runs} random valid bodies\n`);
    }
    process.stderr.write(`[${name}] ${e.phase} ${e.done}/${e.total}\n`);
  };

  const reports: NamedReport[] = [];
  /** Writes the JUnit file and the report directory, when asked for; returns what was written. */
  const writeFiles = async (): Promise<string[]> => {
    const written: string[] = [];
    if (v.junit) {
      await writeFile(v.junit, toJUnit(reports));
      written.push(v.junit);
    }
    if (v.report) written.push(...(await writeReportDir(v.report, reports)));
    return written;
  };
  /**
   * One verification. A target that stopped answering mid-run is a set-up/target fault (exit 2, one
   * line), but what was checked before it stopped is still written as a partial report.
   */
  const verify = async (name: string, options: VerificationOptions): Promise<void> => {
    try {
      reports.push({ name, report: await runVerification(options) });
    } catch (err) {
      if (!(err instanceof TargetStoppedError)) throw err;
      reports.push({ name, report: err.report });
      const written = await writeFiles();
      throw new SetupError(`${err.message}${written.length > 0 ? `; partial report: ${written.join(', ')}` : ''}`);
    }
  };
  if (baseUrl) {
    let authorization: (() => Promise<string>) | undefined;
    let credentialForRepro: string | undefined;
    try {
      if (jwtName !== undefined && jwtFile !== undefined) {
        const pem = await readFile(jwtFile, 'utf8').catch(() => {
          throw new SetupError(`cannot read --jwt-private-key file ${jwtFile}`);
        });
        authorization = createAuthorizationProvider({ jwt: { keyName: jwtName, privateKey: pem } });
      } else if (apiKey !== undefined) {
        authorization = createAuthorizationProvider({ apiKey });
        credentialForRepro = apiKey.trim().replace(/^apikey\s+/i, '');
      } else if (kind === 'server') {
        throw new SetupError('missing credentials: pass --api-key (or set REFX_API_KEY), or --jwt-key-name with --jwt-private-key');
      }
    } catch (err) {
      if (err instanceof SetupError) throw err;
      throw new SetupError(`invalid credentials: ${(err as Error).message}`);
    }
    await verify('target', {
      ...common,
      baseUrl,
      ...(authorization ? { authorization } : {}),
      ...(credentialForRepro ? { credentialForRepro } : {}),
      targetKind: kind,
      stateful: v.stateful ?? false,
      onProgress: progress('target'),
    });
  } else {
    // Self-started targets: the run knows which one is the mock because it started it.
    const key = `verify-${randomBytes(18).toString('base64url')}`;
    const sandbox = await startSandbox({ port: 0, apiKeys: [key], log: false }).catch((err: unknown) => {
      throw new SetupError(`cannot start the sandbox: ${(err as Error).message.split('\n')[0]}`);
    });
    try {
      const mock = await startPrismMock({ port: 0 }).catch((err: unknown) => {
        throw new SetupError(`cannot start the Prism mock: ${(err as Error).message.split('\n')[0]}`);
      });
      try {
        const authorization = async (): Promise<string> => `ApiKey ${key}`;
        console.error(`[sandbox] verifying ${sandbox.url}`);
        await verify('sandbox', { ...common, baseUrl: sandbox.url, authorization, credentialForRepro: key, targetKind: 'server', stateful: !v['no-stateful'], onProgress: progress('sandbox') });
        console.error(`[mock] verifying ${mock.url}`);
        await verify('mock', {
          ...common,
          baseUrl: mock.url,
          authorization,
          credentialForRepro: key,
          targetKind: 'mock',
          stateful: false,
          knownDeviations: PRISM_KNOWN_DEVIATIONS,
          onProgress: progress('mock'),
        });
      } finally {
        await mock.close();
      }
    } finally {
      await sandbox.close();
    }
  }

  const failures = formatFailures(reports);
  if (failures) console.log(`Failures\n\n${failures}\n`);
  console.log(`Summary\n\n${formatSummary(reports)}\n`);
  console.log(`Coverage\n\n${formatCoverage(reports)}`);
  const written = await writeFiles();
  if (v.junit) console.error(`JUnit report: ${v.junit}`);
  if (v.report) console.error(`Reports: ${written.filter((f) => f !== v.junit).join(', ')}`);
  return reports.every((r) => r.report.ok) ? 0 : 1;
}

// Secrets given on the command line must not come back in an error line either.
const argv = process.argv.slice(2);
const secrets = [process.env.REFX_API_KEY ?? ''];
argv.forEach((a, i) => {
  if (a === '--api-key') secrets.push(argv[i + 1] ?? '');
  else if (a.startsWith('--api-key=')) secrets.push(a.slice('--api-key='.length));
});
const redact = createRedactor(secrets);

main(argv).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    const oneLine = redact(message.split('\n')[0] ?? '');
    if (err instanceof UsageError || err instanceof SetupError) console.error(`refx verify: ${oneLine}`);
    else console.error(`refx verify: unexpected error: ${oneLine}`);
    process.exit(2);
  },
);
