/**
 * spec-diff > cli: `npm run spec:diff` end to end, against a throwaway git repository holding a
 * copy of spec/ on `main` and a branch that changes it.
 *
 * Given a repo whose main has today's spec/, when a branch edits spec/ (committed or not), then the
 * CLI (spawned as a process, as `npm run spec:diff` runs it) exits 1 naming a breaking change, 0
 * for a non-breaking one, and 2 with one line for a ref that does not exist.
 */
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT } from '../../scripts/generate.ts';
import { runSpecDiff } from '../../scripts/spec-diff.ts';

const run = promisify(execFile);
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(ROOT, 'scripts', 'spec-diff.ts');
const REQUEST = join('spec', 'components', 'schemas', 'ReferralUpsertLinkRequest.yaml');
const CLINIC_TYPE = join('spec', 'components', 'schemas', 'ClinicType.yaml');
const ROOT_SPEC = join('spec', 'openapi.yaml');

let repo: string;

const git = async (...args: string[]): Promise<string> => (await run('git', args, { cwd: repo })).stdout;

/** Edits one YAML file of the temp repo's spec/. */
async function edit(path: string, change: (doc: Record<string, any>) => void): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const doc = parse(await readFile(join(repo, path), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  change(doc);
  await writeFile(join(repo, path), stringify(doc, { lineWidth: 0 }));
}

/** `0.0.69` → `0.0.70`: a compatibility bump while RefX is on 0.0.x (spec/VERSIONING.md). */
const nextPatch = (v: string): string => v.replace(/(\d+)$/, (p) => String(Number(p) + 1));

/** Runs the CLI as a process in the temp repo. */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [CLI, ...args], { cwd: repo, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts a branch off main with a clean working tree. */
async function branch(name: string): Promise<void> {
  await git('checkout', '-q', '-f', 'main');
  await git('clean', '-qfd');
  await git('checkout', '-q', '-b', name);
}

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'refx-spec-diff-repo-'));
  await cp(join(ROOT, 'spec'), join(repo, 'spec'), { recursive: true });
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.email', 'spec-diff@test.invalid');
  await git('config', 'user.name', 'spec-diff test');
  await git('config', 'commit.gpgsign', 'false');
  await git('add', 'spec');
  await git('commit', '-q', '-m', 'spec as of today');
});

afterAll(async () => {
  if (repo) await rm(repo, { recursive: true, force: true });
});

// Spawned processes start tsx and load the bundler and differ: generous limits on a busy machine.
describe('spec-diff > cli', { timeout: 120_000 }, () => {
  test('spec-diff > cli > removing patientDob on a branch exits 1 and names the change', async () => {
    await branch('remove-dob');
    await edit(REQUEST, (d) => delete d.properties.patientDob);
    await git('commit', '-q', '-am', 'drop patientDob');
    const { code, stdout } = await cli();
    expect(code).toBe(1);
    expect(stdout).toContain('merge-base(HEAD, main)');
    expect(stdout).toMatch(/BREAKING for clients\s+request field `patientDob` removed/);
    expect(stdout).toContain('Exported client types: changed ReferralUpsertLinkRequest');
    expect(stdout).toMatch(/Version policy: FAILED: breaking change needs a patch bump/);
    expect(stdout).toContain('warning: CHANGELOG.md has no new `spec:`');
  });

  test('spec-diff > cli > making referrerEmail required (uncommitted) exits 1 and names the change, also in JSON', async () => {
    await branch('email-required');
    await edit(REQUEST, (d) => d.required.push('referrerEmail'));
    const { code, stdout } = await cli('--format', 'json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { exitCode: number; diff: { changes: { rule: string; pointer: string; clients: string }[] } };
    expect(report.exitCode).toBe(1);
    expect(report.diff.changes).toContainEqual(
      expect.objectContaining({ rule: 'request.property.made-required', pointer: '/referrerEmail', clients: 'breaking' }),
    );
  });

  test('spec-diff > cli > --allow-breaking with a patch bump (0.0.x) and a CHANGELOG line exits 0', async () => {
    await branch('email-required-bumped');
    await edit(REQUEST, (d) => d.required.push('referrerEmail'));
    await edit(ROOT_SPEC, (d) => (d.info.version = nextPatch(d.info.version)));
    await writeFile(join(repo, 'CHANGELOG.md'), '- BREAKING: spec: referrerEmail is required\n');
    const strict = await runSpecDiff(['--format', 'markdown'], repo);
    expect(strict.exitCode).toBe(1);
    expect(strict.stdout).toContain('| breaking | non-breaking | request field `referrerEmail` made required (was optional) |');
    const allowed = await runSpecDiff(['--allow-breaking'], repo);
    expect(allowed.exitCode).toBe(0);
    expect(allowed.stdout).toContain('Result: ok (exit 0): breaking change accepted with --allow-breaking');
    expect(allowed.stdout).not.toContain('warning:');
  });

  test('spec-diff > cli > --allow-breaking does not excuse a missing version bump', async () => {
    await branch('email-required-unbumped');
    await edit(REQUEST, (d) => d.required.push('referrerEmail'));
    const { exitCode, stdout } = await runSpecDiff(['--allow-breaking'], repo);
    expect(exitCode).toBe(1);
    expect(stdout).toMatch(/Result: FAILED \(exit 1\): version policy: breaking change needs a patch bump of info.version: 0\.0\.\d+ → at least/);
  });

  test('spec-diff > cli > adding an enum value exits 0 and reports it as non-breaking for clients', async () => {
    await branch('clinic-type');
    await edit(CLINIC_TYPE, (d) => d.enum.push('CHAS and Community Health'));
    await edit(ROOT_SPEC, (d) => (d.info.version = nextPatch(d.info.version)));
    await git('commit', '-q', '-am', 'clinicType grows');
    const { code, stdout } = await cli();
    expect(code).toBe(0);
    expect(stdout).toMatch(/BREAKING for servers\s+request `clinicType` enum value added: "CHAS and Community Health"/);
    expect(stdout).toContain('breaking for clients: no; for servers: yes');
  });

  test('spec-diff > cli > adding an enum value without a version bump still exits 0, advising the bump', async () => {
    await branch('clinic-type-no-bump');
    await edit(CLINIC_TYPE, (d) => d.enum.push('CHAS Blue'));
    const { code, stdout } = await cli();
    expect(code).toBe(0);
    expect(stdout).toContain('breaking for clients: no; for servers: yes');
    expect(stdout).toMatch(/Version policy: ok: the contract changed \(non-breaking\) but info.version is still 0\.0\.\d+: bump it before release/);
  });

  test('spec-diff > cli > on main, the previous commit is the base', async () => {
    await git('checkout', '-q', '-f', 'main');
    await git('merge', '-q', '--ff-only', 'clinic-type');
    const { exitCode, stdout } = await runSpecDiff([], repo);
    expect(exitCode).toBe(0);
    expect(stdout).toContain('(HEAD~1 ');
    expect(stdout).toContain('`clinicType` enum value added');
  });

  test('spec-diff > cli > a ref that does not exist exits 2 with one line', async () => {
    const { code, stdout, stderr } = await cli('--base', 'no-such-branch');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('spec:diff: unknown git ref "no-such-branch"\n');
  });

  test.each([
    ['an unknown format', ['--format', 'yaml'], /^spec:diff: unknown --format "yaml"/],
    ['an unknown flag', ['--bogus'], /^spec:diff: Unknown option '--bogus'/],
    ['an unknown --fail-on', ['--fail-on', 'everyone'], /^spec:diff: unknown --fail-on "everyone"/],
  ])('spec-diff > cli > %s exits 2 with one line', async (_name, args, says) => {
    const { exitCode, stdout, stderr } = await runSpecDiff(args, repo);
    expect(exitCode).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(says);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  test('spec-diff > cli > outside a git repository exits 2', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'refx-spec-diff-nogit-'));
    try {
      const result = await runSpecDiff([], outside);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/^spec:diff: not a git repository/);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('spec-diff > cli > a base without spec/ has nothing to compare and exits 0', async () => {
    await git('checkout', '-q', '-f', 'main');
    const empty = (await git('commit-tree', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', '-m', 'empty')).trim();
    const result = await runSpecDiff(['--base', empty], repo);
    expect(result).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('nothing to compare') });
  });
});
