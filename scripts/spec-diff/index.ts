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
  /** Every change, ours first (field by field), then openapi-diff's. */
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
  const changes = [...compareBodies(base, head), ...library];
  const breaking = {
    clients: changes.some((c) => c.clients === 'breaking'),
    servers: changes.some((c) => c.servers === 'breaking'),
  };
  const breakingForGate = failOn === 'any' ? breaking.clients || breaking.servers : breaking[failOn];
  const baseVersion = versionOf(base);
  const headVersion = versionOf(head);
  const version = checkVersion(baseVersion, headVersion, { any: changes.length > 0, breaking: breakingForGate });
  return { baseVersion, headVersion, changes, breaking, breakingForGate, failOn, types, version };
}
