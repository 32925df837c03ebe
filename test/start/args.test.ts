/**
 * start > args: the helpers behind the printed commands. A quoted value must come back out of a real
 * POSIX shell byte for byte, whatever it holds (the curl lines are meant to be pasted).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { parsePort, shellQuote } from '../../src/cli/args.ts';

describe('start > args > shellQuote', () => {
  const values: [string, string][] = [
    ['plain JSON', '{"referrerName":"Dr. Jane Doe"}'],
    ['a single quote', `{"referrerName":"Dr. O'Brien"}`],
    ['shell metacharacters', '$HOME `id` $(id) "; rm -rf / #\\ * ? ~'],
    ['newlines and tabs', 'a\nb\tc'],
    ['unicode', 'Åland Islands — 新加坡'],
    ['empty', ''],
  ];
  test.each(values)('start > args > shellQuote > %s survives sh unchanged', (_name, value) => {
    const echoed = execFileSync('sh', ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' });
    expect(echoed).toBe(value);
  });
});

describe('start > args > parsePort', () => {
  const cases: [string, { given: string | undefined; want: number | undefined }][] = [
    ['0 means a free port', { given: '0', want: 0 }],
    ['a usual port', { given: '4010', want: 4010 }],
    ['the highest port', { given: '65535', want: 65_535 }],
    ['above the range', { given: '65536', want: undefined }],
    ['negative', { given: '-1', want: undefined }],
    ['not a number', { given: 'abc', want: undefined }],
    ['a fraction', { given: '40.5', want: undefined }],
    ['missing', { given: undefined, want: undefined }],
  ];
  test.each(cases)('start > args > parsePort > %s', (_name, { given, want }) => {
    expect(parsePort(given)).toBe(want);
  });
});
