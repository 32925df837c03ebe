/** One row of the benchmark table, the median helpers and the markdown rendering. */

/** `pass`/`fail` against the target; `info` has no target; `not measured` says why in `result`. */
export type RowStatus = 'pass' | 'fail' | 'info' | 'not measured';

/** One row of the printed table, plus the raw figures that go to the JSON file. */
export interface Row {
  what: string;
  against: string;
  result: string;
  target: string;
  status: RowStatus;
  raw?: unknown;
}

/** A row for a part that is not there (yet): never a made-up figure. */
export function notMeasured(what: string, against: string, target: string, why: string): Row {
  return { what, against, target, result: `not measured: ${why}`, status: 'not measured' };
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `12,345`. */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
/** `1.23` (fixed decimals). */
export const fixed = (n: number, digits = 2): string => n.toFixed(digits);

const MARK: Record<RowStatus, string> = { pass: '✅', fail: '❌', info: 'ℹ️', 'not measured': '—' };

/** The table as markdown. */
export function renderTable(rows: readonly Row[]): string {
  const escape = (text: string): string => text.replaceAll('|', '\\|');
  const lines = [
    '| what | measured against | result (median) | target | meets |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) => `| ${escape(r.what)} | ${escape(r.against)} | ${escape(r.result)} | ${escape(r.target)} | ${MARK[r.status]} |`,
    ),
  ];
  return lines.join('\n');
}
