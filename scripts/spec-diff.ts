/**
 * `npm run spec:diff -- [--base <git ref>] [--format text|json|markdown] [--allow-breaking]
 *  [--fail-on clients|servers|any]`
 *
 * Compares spec/ in the working tree with spec/ at a base commit and classifies every change as
 * breaking or not, for clients and for servers (scripts/spec-diff/). Exit codes:
 *   0  no breaking change for the gated audience (or --allow-breaking), version policy satisfied,
 *      or nothing to compare (no earlier commit, or the base has no spec/)
 *   1  a breaking change without --allow-breaking, or a version policy violation (spec/VERSIONING.md)
 *   2  cannot compare: bad ref, bad flag, not a git repository, no main branch, unbundlable spec
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FailOn } from './spec-diff/index.ts';
import {
  bundleAtCommit,
  bundleWorkingTree,
  CannotCompareError,
  defaultBase,
  newSpecChangelogLines,
  repoRoot,
  resolveCommit,
  type BaseChoice,
} from './spec-diff/git.ts';
import { FORMATS, formatReport, verdict, type Format, type Report } from './spec-diff/report.ts';

const FAIL_ON = ['clients', 'servers', 'any'] as const;

/** What one run of the CLI prints and returns. */
export interface CliResult {
  exitCode: 0 | 1 | 2;
  /** The report (or the "nothing to compare" note) for stdout. */
  stdout: string;
  /** One line for stderr when exitCode is 2. */
  stderr: string;
}

const USAGE = 'usage: spec:diff [--base <git ref>] [--format text|json|markdown] [--allow-breaking] [--fail-on clients|servers|any]';

function nothingToCompare(format: Format, reason: string): CliResult {
  const stdout = format === 'json' ? `${JSON.stringify({ comparison: null, reason }, null, 2)}\n` : `spec:diff: nothing to compare: ${reason}\n`;
  return { exitCode: 0, stdout, stderr: '' };
}

/**
 * Runs spec:diff for the git repository containing `cwd` with command-line `args`.
 * @param cwd where to look for the repository. @default process.cwd()
 */
export async function runSpecDiff(args: string[], cwd: string = process.cwd()): Promise<CliResult> {
  const fail = (reason: string): CliResult => ({ exitCode: 2, stdout: '', stderr: `spec:diff: ${reason}\n` });
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        base: { type: 'string' },
        format: { type: 'string', default: 'text' },
        'allow-breaking': { type: 'boolean', default: false },
        'fail-on': { type: 'string', default: 'clients' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return fail(`${(err as Error).message.split('\n')[0]} (${USAGE})`);
  }
  if (values.help) return { exitCode: 0, stdout: `${USAGE}\n`, stderr: '' };
  const format = values.format as Format;
  if (!FORMATS.includes(format)) return fail(`unknown --format ${JSON.stringify(values.format)} (one of ${FORMATS.join(', ')})`);
  const failOn = values['fail-on'] as FailOn;
  if (!(FAIL_ON as readonly string[]).includes(failOn)) return fail(`unknown --fail-on ${JSON.stringify(failOn)} (one of ${FAIL_ON.join(', ')})`);

  try {
    const root = await repoRoot(cwd);
    let base: BaseChoice;
    if (values.base !== undefined) {
      const commit = await resolveCommit(root, values.base);
      if (!commit) return fail(`unknown git ref ${JSON.stringify(values.base)}`);
      base = { commit, label: values.base, reason: 'given with --base' };
    } else {
      base = await defaultBase(root);
    }
    if (!base.commit) return nothingToCompare(format, base.reason);

    const [before, after] = await Promise.all([bundleAtCommit(root, base.commit), bundleWorkingTree(root)]);
    if (!before) return nothingToCompare(format, `${base.label} has no spec/openapi.yaml`);
    // Loaded only now: the differ pulls in TypeScript, openapi-typescript and openapi-diff, and a
    // bad flag or ref should be answered at once.
    const { diffSpecs } = await import('./spec-diff/index.ts');
    const diff = await diffSpecs(before, after, { failOn });

    const warnings: string[] = [];
    if (diff.changes.length > 0 && (await newSpecChangelogLines(root, base.commit)).length === 0) {
      warnings.push('CHANGELOG.md has no new `spec:` (or `BREAKING`) line for this spec change');
    }
    const allowBreaking = values['allow-breaking'];
    const report: Report = {
      base: { label: base.label, commit: base.commit.slice(0, 12) },
      head: { label: 'working tree' },
      diff,
      warnings,
      allowBreaking,
      ...verdict(diff, allowBreaking),
    };
    return { exitCode: report.exitCode, stdout: formatReport(report, format), stderr: '' };
  } catch (err) {
    if (err instanceof CannotCompareError) return fail(err.message);
    throw err;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await runSpecDiff(process.argv.slice(2)).catch((err: unknown): CliResult => ({
    exitCode: 2,
    stdout: '',
    stderr: `spec:diff: ${(err as Error).message.split('\n')[0]}\n`,
  }));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
