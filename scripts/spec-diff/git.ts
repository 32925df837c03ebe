/**
 * The git side of `spec:diff`: which commit to compare with, and the spec as it was there. No
 * worktree and no checkout (others may be working in this tree): every file under spec/ at the ref
 * is read with `git show` into a temporary folder and bundled exactly like `npm run generate` does.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { OpenApiDoc } from './rules.ts';

const run = promisify(execFile);

/** The spec folder and its root file, relative to the repository root. */
export const SPEC_DIR = 'spec';
export const SPEC_ROOT = 'spec/openapi.yaml';

/** A failure that means "cannot compare" (exit 2): bad ref, not a repository, unbundlable spec. */
export class CannotCompareError extends Error {
  override name = 'CannotCompareError';
}

/** Runs git in `cwd`; resolves stdout, or undefined when git exits non-zero. */
async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
    return stdout;
  } catch {
    return undefined;
  }
}

/** The top of the git repository containing `cwd`. */
export async function repoRoot(cwd: string): Promise<string> {
  const top = await git(cwd, ['rev-parse', '--show-toplevel']);
  if (top === undefined) throw new CannotCompareError(`not a git repository: ${cwd}`);
  return top.trim();
}

/** The commit a ref names, or undefined when it names none. */
export async function resolveCommit(root: string, ref: string): Promise<string | undefined> {
  // `--end-of-options` keeps a ref such as `--help` from being read as an option.
  const sha = await git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  return sha?.trim() || undefined;
}

/** How the base was chosen, for the report. */
export interface BaseChoice {
  /** The commit to compare with; undefined when there is nothing to compare with. */
  commit?: string;
  /** The ref as given or derived, e.g. `main`, `merge-base(HEAD, main)`, `HEAD~1`. */
  label: string;
  /** Why this base (or why none). */
  reason: string;
}

/** Branches tried, in order, as "main" for the default base. */
export const MAIN_CANDIDATES = ['main', 'origin/main'] as const;

/**
 * Picks the base when `--base` is not given: the merge base of HEAD with main. When that is HEAD
 * itself (on main, or on a branch without commits of its own): HEAD when spec/ has uncommitted
 * changes (they are what is being checked), else HEAD~1 (the change just committed on main).
 */
export async function defaultBase(root: string): Promise<BaseChoice> {
  const head = await resolveCommit(root, 'HEAD');
  if (!head) return { label: 'HEAD', reason: 'the repository has no commits yet: nothing to compare' };
  let main: string | undefined;
  for (const candidate of MAIN_CANDIDATES) {
    if ((main = await resolveCommit(root, candidate))) {
      const mergeBase = (await git(root, ['merge-base', 'HEAD', candidate]))?.trim();
      if (!mergeBase) throw new CannotCompareError(`HEAD and ${candidate} share no history: pass --base <ref>`);
      if (mergeBase !== head) return { commit: mergeBase, label: `merge-base(HEAD, ${candidate})`, reason: `the merge base with ${candidate}` };
      break;
    }
  }
  if (!main) throw new CannotCompareError(`no ${MAIN_CANDIDATES.join(' or ')} branch to compare with: pass --base <ref>`);
  const dirty = await git(root, ['status', '--porcelain', '--untracked-files=all', '--', SPEC_DIR]);
  if (dirty?.trim()) return { commit: head, label: 'HEAD', reason: 'HEAD is on main; spec/ has uncommitted changes' };
  const previous = await resolveCommit(root, 'HEAD~1');
  if (!previous) return { label: 'HEAD~1', reason: 'HEAD is the first commit and spec/ is unchanged: nothing to compare' };
  return { commit: previous, label: 'HEAD~1', reason: 'HEAD is on main: the previous commit' };
}

/** Bundles the spec as it is at `commit`; undefined when the commit has no spec/openapi.yaml. */
export async function bundleAtCommit(root: string, commit: string): Promise<OpenApiDoc | undefined> {
  const listing = await git(root, ['ls-tree', '-r', '-z', '--name-only', commit, '--', `${SPEC_DIR}/`]);
  if (listing === undefined) throw new CannotCompareError(`cannot list ${SPEC_DIR}/ at ${commit.slice(0, 12)}`);
  const files = listing.split('\0').filter(Boolean);
  if (!files.includes(SPEC_ROOT)) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'refx-spec-diff-'));
  try {
    for (const path of files) {
      const text = await git(root, ['show', `${commit}:${path}`]);
      if (text === undefined) throw new CannotCompareError(`cannot read ${path} at ${commit.slice(0, 12)}`);
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    return await bundleOrExplain(join(dir, SPEC_ROOT), `spec/ at ${commit.slice(0, 12)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Bundles the working tree's spec/. */
export async function bundleWorkingTree(root: string): Promise<OpenApiDoc> {
  const path = join(root, SPEC_ROOT);
  await readFile(path).catch(() => {
    throw new CannotCompareError(`no ${SPEC_ROOT} in the working tree`);
  });
  return bundleOrExplain(path, 'spec/ in the working tree');
}

async function bundleOrExplain(path: string, what: string): Promise<OpenApiDoc> {
  // Loaded on first use: the bundler is heavy, and resolving refs should not wait for it.
  const { bundleSpec } = await import('../generate.ts');
  try {
    return await bundleSpec(path);
  } catch (err) {
    throw new CannotCompareError(`cannot bundle ${what}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * Lines added to CHANGELOG.md since `commit` that mention the spec (`spec:` or `BREAKING`).
 * Used for a warning only: the CHANGELOG is curated by hand.
 */
export async function newSpecChangelogLines(root: string, commit: string): Promise<string[]> {
  const before = (await git(root, ['show', `${commit}:CHANGELOG.md`])) ?? '';
  const now = await readFile(join(root, 'CHANGELOG.md'), 'utf8').catch(() => '');
  const old = new Set(before.split('\n'));
  return now.split('\n').filter((line) => !old.has(line) && /\bspec:|BREAKING/.test(line));
}
