/**
 * `npm run docs [-- --out <file>]`: HTML reference docs of generated/openapi.yaml with Redocly's
 * `build-docs` (Redoc), into docs-build/index.html (gitignored).
 *
 * `--inlineBundle` embeds Redoc's script in the page, so it renders from disk with no network (by
 * default the page loads Redoc from Redocly's CDN). The only remote asset left is the small "API
 * docs by Redocly" logo image, which simply does not show offline.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { BUNDLED_SPEC_PATH } from '../src/spec.ts';
import { ROOT } from './generate.ts';

/** Where `npm run docs` writes the page. */
export const DOCS_OUT = join(ROOT, 'docs-build', 'index.html');

const REDOCLY_BIN = join(ROOT, 'node_modules', '.bin', 'redocly');

/**
 * Builds the reference docs page from the bundled spec.
 * @param outFile the HTML file to write. @default DOCS_OUT (docs-build/index.html)
 */
export async function buildDocs(outFile: string = DOCS_OUT): Promise<string> {
  await mkdir(dirname(outFile), { recursive: true });
  await promisify(execFile)(
    REDOCLY_BIN,
    ['build-docs', BUNDLED_SPEC_PATH, '--inlineBundle', '--output', outFile, '--config', join(ROOT, 'redocly.yaml')],
    {
      cwd: ROOT,
      // The CLI reports usage telemetry and checks for updates over the network unless told not to.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return outFile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  try {
    const out = await buildDocs(values.out ? resolve(values.out) : DOCS_OUT);
    console.log(`docs: wrote ${out}`);
  } catch (err) {
    console.error(`docs: ${(err as Error).message.split('\n')[0]}`);
    process.exit(1);
  }
}
