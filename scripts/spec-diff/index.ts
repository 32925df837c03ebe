/**
 * `spec:diff` as a library: compares two bundled specs and returns every change classified for
 * clients and servers, the exported client types that change, and the version policy's verdict.
 * The CLI (scripts/spec-diff.ts) adds git, formatting and exit codes.
 */
import { compareTypes, type TypeChanges } from './types-diff.ts';
import { libraryChanges } from './openapi-diff.ts';
import { compareBodies, type OpenApiDoc } from './rules.ts';
import { checkVersion, type VersionCheck } from './version.ts';
import type { Audience, SpecChange } from './model.ts';

export type { Audience, Impact, Side, SpecChange, ChangeSource } from './model.ts';
export type { OpenApiDoc } from './rules.ts';
export type { TypeChanges } from './types-diff.ts';
export type { VersionCheck } from './version.ts';

/** Which audience's breaking changes fail the check: `clients`, `servers` or `any`. */
export type FailOn = Audience | 'any';

/** Options of {@link diffSpecs}. */
export interface DiffOptions {
  /** Which audience's breaking changes count as "breaking" for the exit code and the version rule. @default 'clients' */
  failOn?: FailOn;
}

/** Everything `spec:diff` knows about one base → head pair. */
export interface SpecDiff {
  baseVersion: string;
  headVersion: string;
  /** Every change, ours first (field by field), then openapi-diff's; see {@link SpecChange.counted}. */
  changes: SpecChange[];
  /** Whether any change breaks each audience. */
  breaking: { clients: boolean; servers: boolean };
  /** Whether a change breaks the audience `failOn` selects. */
  breakingForGate: boolean;
  failOn: FailOn;
  types: TypeChanges;
  version: VersionCheck;
}

const versionOf = (doc: OpenApiDoc): string => String((doc.info as { version?: unknown } | undefined)?.version ?? '');

/** Compares two bundled OpenAPI documents (base = older, head = newer). */
export async function diffSpecs(base: OpenApiDoc, head: OpenApiDoc, options: DiffOptions = {}): Promise<SpecDiff> {
  const failOn = options.failOn ?? 'clients';
  const [library, types] = await Promise.all([libraryChanges(base, head), compareTypes(base, head)]);
  const ours = compareBodies(base, head);
  // openapi-diff judges a body as a set of values: with no `additionalProperties: false`, adding an
  // optional string field "rejects" bodies that sent a number there, so it calls that breaking.
  // Where our rules named the changes of a body field by field, that coarse finding is kept in the
  // report but does not count; where they named none, it counts (it covers keywords ours skip).
  const explained = new Set(ours.map((c) => c.where));
  const changes = [
    ...ours,
    ...library.map((c) => (c.rule.includes('.body.scope.') && explained.has(c.where) ? { ...c, counted: false } : c)),
  ];
  const counted = changes.filter((c) => c.counted);
  const breaking = {
    clients: counted.some((c) => c.clients === 'breaking'),
    servers: counted.some((c) => c.servers === 'breaking'),
  };
  const breakingForGate = failOn === 'any' ? breaking.clients || breaking.servers : breaking[failOn];
  const baseVersion = versionOf(base);
  const headVersion = versionOf(head);
  const version = checkVersion(baseVersion, headVersion, { any: changes.length > 0, breaking: breakingForGate });
  return { baseVersion, headVersion, changes, breaking, breakingForGate, failOn, types, version };
}
