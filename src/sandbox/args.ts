/**
 * Command-line and environment configuration of `npm run sandbox`, parsed with node:util's
 * parseArgs. Separate from cli.ts so it can be tested without starting a process.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SandboxOptions } from './index.ts';

/** Usage text of the CLI. */
export const USAGE = `Usage: npm run sandbox -- [options]

  --host <addr>             interface to bind (default 127.0.0.1)
  --port <n>                port, 0 = any free port (default $PORT or 4000)
  --api-key <key>           accepted API key; repeatable (also $REFX_SANDBOX_API_KEYS, comma-separated)
  --jwt-key <name=path.pem> ES256 public key for JWTs with iss=<name>; repeatable
                            (also $REFX_SANDBOX_JWT_KEYS, comma-separated)
  --max-body-bytes <n>      largest request body (default 102400)
  --max-drafts <n>          most drafts kept (default 10000)
  -h, --help                show this help

With no API key and no JWT key configured, a development API key is generated and printed.`;

/** What the CLI should do. */
export type CliConfig = { help: true } | { help: false; options: SandboxOptions };

/** A configuration error: its message is the one line the CLI prints. */
export class CliError extends Error {}

function integer(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new CliError(`${name} must be an integer from ${min} to ${max}`);
  }
  return Number(value);
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** Parses flags and environment into sandbox options; throws {@link CliError} on bad input. */
export function parseSandboxArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readKey: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): CliConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'api-key': { type: 'string', multiple: true },
        'jwt-key': { type: 'string', multiple: true },
        'max-body-bytes': { type: 'string' },
        'max-drafts': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // parseArgs' messages name the flag, never a value of another flag.
    throw new CliError((error as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
  if (values.help) return { help: true };

  const options: SandboxOptions = {};
  if (values.host !== undefined) options.host = values.host;
  const port = values.port ?? env.PORT;
  if (port !== undefined) options.port = integer(values.port !== undefined ? '--port' : 'PORT', port, 0, 65_535);
  if (values['max-body-bytes'] !== undefined) {
    options.maxBodyBytes = integer('--max-body-bytes', values['max-body-bytes'], 1, 64 * 1024 * 1024);
  }
  if (values['max-drafts'] !== undefined) {
    options.maxDrafts = integer('--max-drafts', values['max-drafts'], 1, 10_000_000);
  }
  options.apiKeys = [...list(env.REFX_SANDBOX_API_KEYS), ...(values['api-key'] ?? [])];

  const jwtKeys: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const spec of [...list(env.REFX_SANDBOX_JWT_KEYS), ...(values['jwt-key'] ?? [])]) {
    const eq = spec.indexOf('=');
    const name = spec.slice(0, eq).trim();
    const path = spec.slice(eq + 1).trim();
    if (eq <= 0 || name === '' || path === '') throw new CliError(`--jwt-key must be name=path.pem, got "${spec}"`);
    try {
      jwtKeys[name] = readKey(path);
    } catch {
      throw new CliError(`cannot read JWT key "${name}" from ${path}`);
    }
  }
  options.jwtKeys = jwtKeys;
  return { help: false, options };
}
