/**
 * hardening > constant time: API keys are compared with `crypto.timingSafeEqual` over digests of
 * equal length, every configured key every time (no early exit), so neither the position of the
 * first wrong character nor the key's length changes the work done. Checked at unit level by
 * recording the calls (a timing measurement on a shared machine would prove nothing).
 */
import { beforeEach, describe, expect, test, vi } from 'vitest';

const calls = vi.hoisted(() => [] as { a: number; b: number; result: boolean }[]);

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return {
    ...original,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean => {
      const result = original.timingSafeEqual(a, b);
      calls.push({ a: a.byteLength, b: b.byteLength, result });
      return result;
    },
  };
});

const { createAuthenticator } = await import('../../src/sandbox/auth.ts');

const KEYS = ['short-key-1', `a-much-longer-key-${'x'.repeat(200)}`, 'third-key-abcdefghijklmnop'];

beforeEach(() => {
  calls.length = 0;
});

describe('hardening > constant time > API key comparison', () => {
  test.each<[string, string, boolean]>([
    ['the first configured key', KEYS[0]!, true],
    ['the last configured key', KEYS[2]!, true],
    ['a key differing in its first character', `X${KEYS[2]!.slice(1)}`, false],
    ['a key differing in its last character', `${KEYS[2]!.slice(0, -1)}X`, false],
    ['a prefix of a configured key', KEYS[1]!.slice(0, 5), false],
    ['a configured key with a suffix', `${KEYS[0]}-and-more`, false],
    ['a one-character key', 'k', false],
    ['a 10,000-character key', 'k'.repeat(10_000), false],
  ])('%s: one timingSafeEqual per configured key, over 32-byte digests, never throwing', async (_name, presented, accepted) => {
    const authenticate = await createAuthenticator({ apiKeys: KEYS, jwtKeys: {}, now: Date.now });
    const result = await authenticate(`ApiKey ${presented}`);
    expect(result.ok).toBe(accepted);
    // Every configured key is compared, whichever matched (no early exit) …
    expect(calls).toHaveLength(KEYS.length);
    // … always over SHA-256 digests: equal lengths whatever the key lengths, so it never throws.
    for (const call of calls) expect([call.a, call.b]).toEqual([32, 32]);
    expect(calls.filter((c) => c.result)).toHaveLength(accepted ? 1 : 0);
  });
});
