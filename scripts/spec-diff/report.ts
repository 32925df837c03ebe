/**
 * The verdict of `spec:diff` (exit code and why) and its three renderings: text for terminals,
 * JSON for tools, Markdown for pull-request comments. Only field names, enum values, patterns and
 * versions are printed: examples, and so any realistic patient data in them, never are.
 */
import type { SpecChange, SpecDiff } from './index.ts';

/** Output formats of `spec:diff`. */
export const FORMATS = ['text', 'json', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

/** One side of the comparison as the report names it. */
export interface Endpoint {
  /** `main`, `merge-base(HEAD, main)`, `HEAD~1`, `working tree`, a fixture path, … */
  label: string;
  /** Abbreviated commit, when there is one. */
  commit?: string;
}

/** A full report: the diff plus where it came from, warnings and the verdict. */
export interface Report {
  base: Endpoint;
  head: Endpoint;
  diff: SpecDiff;
  /** Non-fatal notes, e.g. a missing CHANGELOG line. */
  warnings: string[];
  allowBreaking: boolean;
  /** 0 = fine, 1 = breaking change not allowed or version policy violated. */
  exitCode: 0 | 1;
  /** Why the exit code is 1 (empty when 0). */
  failures: string[];
}

/** Decides the exit code: a breaking change for the gated audience (unless allowed) or a version policy violation fails. */
export function verdict(diff: SpecDiff, allowBreaking: boolean): Pick<Report, 'exitCode' | 'failures'> {
  const failures: string[] = [];
  if (diff.breakingForGate && !allowBreaking) {
    failures.push(`breaking change for ${diff.failOn === 'any' ? 'clients or servers' : diff.failOn} (pass --allow-breaking to accept it; the version rule still applies)`);
  }
  // --allow-breaking accepts a breaking change, never a wrong version: that is what integrators read.
  if (!diff.version.ok) failures.push(`version policy: ${diff.version.message}`);
  return { exitCode: failures.length > 0 ? 1 : 0, failures };
}

const label = (c: SpecChange): string => {
  if (!c.counted) return 'info (see field-level changes)';
  const who = [c.clients === 'breaking' ? 'clients' : '', c.servers === 'breaking' ? 'servers' : ''].filter(Boolean);
  return who.length > 0 ? `BREAKING for ${who.join(' + ')}` : 'non-breaking';
};
const endpoint = (e: Endpoint, version: string): string => `${version} (${e.label}${e.commit ? ` ${e.commit}` : ''})`;
const list = (names: string[]): string => (names.length > 0 ? names.join(', ') : '—');
const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

/** Orders changes: breaking for clients first, then for servers, then the rest; stable otherwise. */
function ordered(changes: SpecChange[]): SpecChange[] {
  const rank = (c: SpecChange): number => (!c.counted ? 3 : c.clients === 'breaking' ? 0 : c.servers === 'breaking' ? 1 : 2);
  return [...changes].sort((a, b) => rank(a) - rank(b));
}

function text(r: Report): string {
  const { diff } = r;
  const lines = [
    `spec:diff ${endpoint(r.base, diff.baseVersion)} → ${endpoint(r.head, diff.headVersion)}`,
    `breaking for clients: ${yesNo(diff.breaking.clients)}; for servers: ${yesNo(diff.breaking.servers)} (exit code gates on: ${diff.failOn})`,
    '',
  ];
  if (diff.changes.length === 0) lines.push('No contract changes.');
  else {
    lines.push(`Changes (${diff.changes.length}):`);
    for (const c of ordered(diff.changes)) {
      lines.push(`  ${label(c).padEnd(34)} ${c.message}`);
      lines.push(`  ${''.padEnd(34)} at ${c.where}${c.pointer ? ` ${c.pointer}` : ''} [${c.source}: ${c.rule}]`);
    }
  }
  lines.push('', `Exported client types: changed ${list(diff.types.changed)}; added ${list(diff.types.added)}; removed ${list(diff.types.removed)}`);
  lines.push(`Version policy: ${diff.version.ok ? 'ok' : 'FAILED'}: ${diff.version.message}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push(
    r.exitCode === 0
      ? `Result: ok (exit 0)${diff.breakingForGate ? ': breaking change accepted with --allow-breaking' : ''}`
      : `Result: FAILED (exit 1): ${r.failures.join('; ')}`,
  );
  return `${lines.join('\n')}\n`;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function markdown(r: Report): string {
  const { diff } = r;
  const icon = r.exitCode === 0 ? '✅' : '❌';
  const lines = [
    `### ${icon} spec:diff ${diff.baseVersion} → ${diff.headVersion}`,
    '',
    `Base: ${endpoint(r.base, diff.baseVersion)}; head: ${endpoint(r.head, diff.headVersion)}.`,
    '',
    `| | clients | servers |`,
    `|---|---|---|`,
    `| breaking | ${yesNo(diff.breaking.clients)} | ${yesNo(diff.breaking.servers)} |`,
    '',
  ];
  if (diff.changes.length === 0) lines.push('No contract changes.');
  else {
    lines.push('| clients | servers | change | where | source |', '|---|---|---|---|---|');
    for (const c of ordered(diff.changes)) {
      const info = c.counted ? '' : ' (info: explained by the field-level rows)';
      lines.push(`| ${c.clients} | ${c.servers} | ${cell(c.message)}${info} | \`${cell(`${c.where}${c.pointer ? ` ${c.pointer}` : ''}`)}\` | ${c.source} \`${c.rule}\` |`);
    }
  }
  lines.push(
    '',
    `**Exported client types:** changed ${list(diff.types.changed.map((t) => `\`${t}\``))}; added ${list(diff.types.added.map((t) => `\`${t}\``))}; removed ${list(diff.types.removed.map((t) => `\`${t}\``))}.`,
    '',
    `**Version policy:** ${diff.version.ok ? 'ok' : '**failed**'}: ${cell(diff.version.message)}.`,
  );
  for (const w of r.warnings) lines.push('', `> ⚠️ ${cell(w)}`);
  lines.push('', r.exitCode === 0 ? '**Result:** ok.' : `**Result:** failed: ${cell(r.failures.join('; '))}.`);
  return `${lines.join('\n')}\n`;
}

/** Renders a report in one of {@link FORMATS}. */
export function formatReport(report: Report, format: Format): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'markdown':
      return markdown(report);
    case 'text':
      return text(report);
  }
}
