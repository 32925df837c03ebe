/**
 * sandbox > store: the draft/link store on its own (no HTTP), for the bookkeeping the server tests
 * only see through status codes: eviction order, the sweep past used links, the byte cap edge.
 */
import { describe, expect, test } from 'vitest';
import { DraftStore } from '../../src/sandbox/store.ts';
import { documentationRequest, fakeClock } from './helpers.ts';

const TTL = 1_000;
const make = (limits: { maxDrafts?: number; maxStoredBytes?: number } = {}) => {
  const clock = fakeClock();
  const store = new DraftStore({ now: clock.now, linkTtlMs: TTL, maxDrafts: limits.maxDrafts ?? 100, maxStoredBytes: limits.maxStoredBytes ?? 1e9 });
  return { clock, store };
};
const withUin = (uin: string) => ({ ...documentationRequest(), patientUin: uin });

describe('sandbox > store', () => {
  test('the sweep evicts expired links behind used and retired ones', () => {
    const { clock, store } = make();
    const a = store.upsert(withUin('A'), 10);
    store.upsert(withUin('B'), 10);
    store.upsert(withUin('C'), 10);
    store.upsert(withUin('B'), 10); // B's first link is retired, a new one issued
    expect(store.visit(a.referralId, a.token).ok).toBe(true); // the oldest link, where the sweep waits, is used
    clock.advance(TTL);
    expect(store.stats()).toEqual({ drafts: 3, links: 0 });
  });

  test('eviction keeps following the oldest draft across many rounds of re-upserts', () => {
    const { store } = make({ maxDrafts: 3 });
    const ids = new Map<string, string>();
    for (const uin of ['A', 'B', 'C']) ids.set(uin, store.upsert(withUin(uin), 10).referralId);
    for (let round = 0; round < 50; round++) {
      // Touch A and B (now the newest two), then add a new draft: C-or-older must go, never A or B.
      expect(store.upsert(withUin('A'), 10).referralId).toBe(ids.get('A'));
      expect(store.upsert(withUin('B'), 10).referralId).toBe(ids.get('B'));
      store.upsert(withUin(`N${round}`), 10);
      expect(store.stats().drafts).toBe(3);
    }
    expect(store.upsert(withUin('A'), 10).referralId).toBe(ids.get('A'));
    expect(store.upsert(withUin('C'), 10).referralId).not.toBe(ids.get('C'));
  });

  test('a single draft larger than maxStoredBytes is kept until the next upsert evicts it', () => {
    const { store } = make({ maxStoredBytes: 100 });
    const big = store.upsert(withUin('BIG'), 500);
    expect(store.stats().drafts).toBe(1);
    const next = store.upsert(withUin('NEXT'), 50);
    expect(store.stats()).toEqual({ drafts: 1, links: 1 });
    expect(store.visit(big.referralId, big.token).ok).toBe(false);
    expect(store.visit(next.referralId, next.token).ok).toBe(true);
  });

  test('a visit with the right token for another referralId finds nothing and does not use the link', () => {
    const { store } = make();
    const a = store.upsert(withUin('A'), 10);
    const b = store.upsert(withUin('B'), 10);
    expect(store.visit(b.referralId, a.token).ok).toBe(false);
    expect(store.visit(a.referralId, a.token).ok).toBe(true);
  });

  test('unknown request properties are not kept in the pre-fill', () => {
    const { store } = make();
    const body = JSON.parse(JSON.stringify(documentationRequest()).replace('{', '{"__proto__":{"x":1},"extra":2,')) as ReturnType<typeof documentationRequest>;
    const link = store.upsert(body, 10);
    const visit = store.visit(link.referralId, link.token);
    expect(visit.ok && Object.keys(visit.prefill).sort()).toEqual(Object.keys(documentationRequest()).sort());
    expect(visit.ok && Object.getPrototypeOf(visit.prefill)).toBe(Object.prototype);
  });
});
