/**
 * Output of a run: the summary and coverage tables (stdout), JUnit XML for CI systems (one
 * `<testcase>` per check and case group), and `report.json`, `coverage.json`, `coverage.html`.
 * Everything here is already redacted by the engine; request bodies appear only inside a
 * failure's curl reproducer.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SPEC_VERSION } from '../spec.ts';
import type { Coverage, CoverageItem } from './coverage.ts';
import type { CheckResult, Failure, VerificationReport } from './engine.ts';

/** A report with the name the summary shows for its target (`sandbox`, `mock`, the URL). */
export interface NamedReport {
  /** Target label. */
  name: string;
  /** The run's report. */
  report: VerificationReport;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The summary table: one row per target and check. */
export function formatSummary(reports: readonly NamedReport[]): string {
  const rows = reports.flatMap(({ name, report }) =>
    report.checks.map((c) => [name, c.name, String(c.cases), String(c.passed), String(c.failed), String(c.skipped), c.failed ? 'FAIL' : 'ok', c.skipReason ?? '']),
  );
  const totals = reports.map(({ name, report }) => `${name}: ${report.ok ? 'PASS' : 'FAIL'} (${report.requests} requests, seed ${report.seed}, ${(report.durationMs / 1000).toFixed(1)} s)`);
  return `${table(['target', 'check', 'cases', 'passed', 'failed', 'skipped', 'result', 'skip reason'], rows)}\n\n${totals.join('\n')}`;
}

/** One paragraph per failure: check, violation, pointer, expected, actual, seed and the curl reproducer. */
export function formatFailures(reports: readonly NamedReport[]): string {
  const blocks = reports.flatMap(({ name, report }) =>
    report.failures.map(
      (f) =>
        `✗ [${name}] ${f.check} › ${f.violation}${f.pointer ? ` at ${f.pointer}` : ''} (${f.case}${f.occurrences > 1 ? `; ${f.occurrences} times` : ''})\n` +
        `    expected: ${f.expected}\n    actual:   ${f.actual}\n    seed:     ${f.seed}` +
        (f.curl ? `\n    reproduce: ${f.curl}` : ''),
    ),
  );
  return blocks.join('\n');
}

const CATEGORIES: [keyof Coverage, string][] = [
  ['constraints', 'constraints'],
  ['enumValues', 'enum values'],
  ['fields', 'fields'],
  ['statuses', 'status codes'],
  ['examples', 'examples'],
];

/** The short coverage table: per category, items exercised out of all, and the ones missed. */
export function formatCoverage(reports: readonly NamedReport[]): string {
  const rows = reports.flatMap(({ name, report }) =>
    CATEGORIES.map(([key, label]) => {
      const items = report.coverage[key];
      const missed = items.filter((i) => i.count === 0).map((i) => i.id);
      return [name, label, `${items.length - missed.length}/${items.length}`, missed.length ? truncate(missed.join(', '), 80) : '-'];
    }),
  );
  return table(['target', 'coverage', 'exercised', 'not exercised'], rows);
}

const truncate = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Escapes text for XML content and attributes (and drops characters XML 1.0 cannot carry). */
export function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function failureText(f: Failure): string {
  return [
    `check: ${f.check}`,
    `violation: ${f.violation}`,
    `pointer: ${f.pointer || '(root)'}`,
    `expected: ${f.expected}`,
    `actual: ${f.actual}`,
    `seed: ${f.seed}`,
    `case: ${f.case}`,
    `occurrences: ${f.occurrences}`,
    ...(f.curl ? [`curl: ${f.curl}`] : []),
  ].join('\n');
}

/**
 * JUnit XML: one `<testsuite>` per target, one `<testcase>` per check (and, for the input checks,
 * per case group such as `required`, `pattern`, `coverage`), failures with the structured record.
 */
export function toJUnit(reports: readonly NamedReport[]): string {
  const suites = reports.map(({ name, report }) => {
    const cases = report.checks.flatMap((c) => testcasesOf(name, c, report.failures.filter((f) => f.check === c.name)));
    const failures = cases.filter((c) => c.includes('<failure')).length;
    const skipped = cases.filter((c) => c.includes('<skipped')).length;
    return (
      `  <testsuite name="${xmlEscape(`refx-contract ${name}`)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${(report.durationMs / 1000).toFixed(3)}">\n` +
      `    <properties>\n      <property name="seed" value="${report.seed}"/>\n      <property name="specVersion" value="${xmlEscape(SPEC_VERSION)}"/>\n      <property name="target" value="${xmlEscape(report.target.baseUrl)}"/>\n    </properties>\n` +
      cases.join('') +
      '  </testsuite>\n'
    );
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="refx-contract">\n${suites.join('')}</testsuites>\n`;
}

function testcasesOf(target: string, check: CheckResult, failures: Failure[]): string[] {
  const classname = xmlEscape(`refx.${target}.${check.name}`);
  // Group failures by violation and pointer: each group is one testcase, so CI lists them apart.
  const groups = new Map<string, Failure[]>();
  for (const f of failures) {
    const key = `${f.violation}${f.pointer ? ` ${f.pointer}` : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const out: string[] = [];
  const passedName = `${check.name} (${check.passed} cases passed)`;
  if (check.passed > 0 || (check.failed === 0 && check.skipped === 0)) out.push(`    <testcase classname="${classname}" name="${xmlEscape(passedName)}"/>\n`);
  for (const [key, list] of groups) {
    const body = list.map(failureText).join('\n\n');
    out.push(
      `    <testcase classname="${classname}" name="${xmlEscape(`${check.name} › ${key}`)}">\n` +
        `      <failure message="${xmlEscape(`${list[0]!.violation}: expected ${list[0]!.expected}, got ${list[0]!.actual}`)}" type="${xmlEscape(list[0]!.violation)}">${xmlEscape(body)}</failure>\n` +
        '    </testcase>\n',
    );
  }
  if (check.failed > 0 && groups.size === 0) {
    out.push(`    <testcase classname="${classname}" name="${xmlEscape(`${check.name} › failed`)}">\n      <failure message="${check.failed} cases failed" type="Failed"/>\n    </testcase>\n`);
  }
  if (check.skipped > 0) {
    out.push(`    <testcase classname="${classname}" name="${xmlEscape(`${check.name} (${check.skipped} skipped)`)}">\n      <skipped message="${xmlEscape(check.skipReason ?? 'skipped')}"/>\n    </testcase>\n`);
  }
  return out;
}

function htmlRows(items: CoverageItem[]): string {
  return items
    .map((i) => `<tr class="${i.count ? 'hit' : 'miss'}"><td>${xmlEscape(i.id)}</td><td>${i.count}</td></tr>`)
    .join('\n');
}

/** A self-contained HTML page of the coverage of each target. */
export function coverageHtml(reports: readonly NamedReport[]): string {
  const sections = reports
    .map(({ name, report }) => {
      const parts = CATEGORIES.map(([key, label]) => {
        const items = report.coverage[key];
        const hit = items.filter((i) => i.count > 0).length;
        return `<h3>${xmlEscape(label)}: ${hit}/${items.length}</h3>\n<table><thead><tr><th>item</th><th>requests</th></tr></thead><tbody>\n${htmlRows(items)}\n</tbody></table>`;
      });
      return `<section><h2>${xmlEscape(name)} — ${xmlEscape(report.target.baseUrl)} (seed ${report.seed})</h2>\n${parts.join('\n')}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>RefX contract coverage</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;margin-bottom:1rem}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}tr.miss{background:#fdd}tr.hit td:last-child{color:#060}</style>
</head><body><h1>RefX contract coverage (spec ${xmlEscape(SPEC_VERSION)})</h1>
${sections}
</body></html>
`;
}

/** Writes `report.json`, `coverage.json` and `coverage.html` into `dir` (created if needed). */
export async function writeReportDir(dir: string, reports: readonly NamedReport[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = {
    'report.json': JSON.stringify({ specVersion: SPEC_VERSION, targets: reports }, null, 2),
    'coverage.json': JSON.stringify(
      reports.map(({ name, report }) => ({ name, baseUrl: report.target.baseUrl, seed: report.seed, coverage: report.coverage })),
      null,
      2,
    ),
    'coverage.html': coverageHtml(reports),
  };
  await Promise.all(Object.entries(files).map(([file, text]) => writeFile(join(dir, file), `${text}\n`)));
  return Object.keys(files).map((f) => join(dir, f));
}
