/**
 * bench: the harness's own pieces. Figures are never asserted (the machine is shared); what is
 * asserted is that the limit server answers what the spec says, that a failing load is refused
 * instead of reported, that a missing part is reported as missing, and the table arithmetic.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ChildStartError, startServerChild, type ServerChild } from '../../bench/lib/child.ts';
import { createConfig } from '../../bench/lib/config.ts';
import { percentile, runLoad } from '../../bench/lib/load.ts';
import { median, renderTable, type Row } from '../../bench/lib/report.ts';
import { validateUpsertRequest, validateUpsertResponse } from '../../src/validation.ts';

describe('bench > report', () => {
  const medians: [string, { given: number[]; want: number }][] = [
    ['odd count takes the middle', { given: [5, 1, 3], want: 3 }],
    ['even count takes the mean of the middle two', { given: [4, 1, 3, 2], want: 2.5 }],
    ['one value is its own median', { given: [7], want: 7 }],
  ];
  test.each(medians)('median: %s', (_name, { given, want }) => {
    expect(median(given)).toBe(want);
  });

  test('median of nothing is NaN, not 0', () => {
    expect(median([])).toBeNaN();
  });

  test('table escapes pipes and marks every status', () => {
    const rows: Row[] = [
      { what: 'a|b', against: '—', result: '1×', target: '≥ 1×', status: 'pass' },
      { what: 'c', against: '—', result: '0.5×', target: '≥ 1×', status: 'fail' },
      { what: 'd', against: '—', result: 'not measured: x missing', target: '≥ 1×', status: 'not measured' },
    ];
    const lines = renderTable(rows).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[2]).toContain('a\\|b');
    expect(lines[2]?.endsWith('✅ |')).toBe(true);
    expect(lines[3]?.endsWith('❌ |')).toBe(true);
    expect(lines[4]?.endsWith('— |')).toBe(true);
  });

  const quantiles: [string, { given: number[]; q: number; want: number }][] = [
    ['p50 of 1..10 is 5 (nearest rank)', { given: [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], q: 0.5, want: 5 }],
    ['p99 of 1..10 is the largest', { given: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], q: 0.99, want: 10 }],
    ['p99 of 1..1000 is 990', { given: Array.from({ length: 1000 }, (_, i) => i + 1), q: 0.99, want: 990 }],
  ];
  test.each(quantiles)('load percentile: %s', (_name, { given, q, want }) => {
    expect(percentile(given, q)).toBe(want);
  });
});

describe('bench > config', () => {
  test('the requests are the spec examples and valid', () => {
    const config = createConfig({});
    expect(validateUpsertRequest(config.documentationRequest).ok).toBe(true);
    expect(validateUpsertRequest(config.fullRequest).ok).toBe(true);
    expect(Object.keys(config.fullRequest).length).toBeGreaterThanOrEqual(Object.keys(config.documentationRequest).length);
  });

  test('every run gets its own key', () => {
    expect(createConfig({}).apiKey).not.toBe(createConfig({}).apiKey);
  });
});

describe('bench > bare server (the limit)', () => {
  let bare: ServerChild;
  const config = createConfig({});
  beforeAll(async () => {
    bare = await startServerChild('bare');
  });
  afterAll(async () => {
    await bare?.close();
  });

  test('listens on 127.0.0.1 and answers the spec’s 200 shape', async () => {
    expect(bare.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${bare.url}${config.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(config.documentationRequest),
    });
    expect(res.status).toBe(200);
    expect(validateUpsertResponse(200, await res.json())).toEqual({ ok: true });
  });

  test('reports its memory and CPU time over IPC', async () => {
    const probe = await bare.memory(true);
    expect(probe.memory.rss).toBeGreaterThan(0);
    expect(probe.cpu.user).toBeGreaterThan(0);
  });

  test('load: a bounded run counts every answered request', async () => {
    const result = await runLoad({
      url: bare.url,
      path: config.path,
      headers: {},
      body: JSON.stringify(config.documentationRequest),
      connections: 2,
      amount: 50,
      maxSeconds: 20,
    });
    expect(result.requests).toBe(50);
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
  });

  test('load: a run with non-2xx answers is refused, not reported', async () => {
    // The bare server answers 400 to a body that is not JSON.
    await expect(
      runLoad({ url: bare.url, path: config.path, headers: {}, body: '{', connections: 2, amount: 20, maxSeconds: 20 }),
    ).rejects.toThrow(/20 failed requests \(statuses 400×20/);
  });
});

describe('bench > child', () => {
  test('a part that is not there is reported as missing', async () => {
    const script = fileURLToPath(new URL('./fixtures/missing-part.ts', import.meta.url));
    const error = await startServerChild(script, { readyTimeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChildStartError);
    expect((error as ChildStartError).missing).toBe('fixture part (test/bench/fixtures/no-such-part.ts)');
  });

  test('a part that is there but fails to start is reported as failing, not as missing', async () => {
    const script = fileURLToPath(new URL('./fixtures/failing-part.ts', import.meta.url));
    const error = await startServerChild(script, { readyTimeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChildStartError);
    expect((error as ChildStartError).missing).toBeUndefined();
    expect((error as Error).message).toBe('fixture part did not start: port in use (simulated)');
  });
});
