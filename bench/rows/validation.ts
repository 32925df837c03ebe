/**
 * Row "request validation cost": `validateUpsertRequest` (the one validator) timed in-process on the
 * spec's examples, after a warm-up, as the median over rounds of the mean time per call. An invalid
 * request is timed too (informational): its cost is building the violations.
 */
import { validateUpsertRequest } from '../../src/validation.ts';
import type { BenchConfig } from '../lib/config.ts';
import { fixed, median, type Row } from '../lib/report.ts';

const CALLS_PER_ROUND = 20_000;
const ROUNDS = 5;

/** Mean µs per call of `fn(body)`, median over rounds. */
function timePerCall(body: unknown): number {
  let sink = 0;
  for (let i = 0; i < 5_000; i++) sink += validateUpsertRequest(body).ok ? 1 : 0;
  const perRound: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS_PER_ROUND; i++) sink += validateUpsertRequest(body).ok ? 1 : 0;
    perRound.push(Number(process.hrtime.bigint() - start) / 1000 / CALLS_PER_ROUND);
  }
  // Keeps the loop from being optimised away.
  if (sink < 0) throw new Error('unreachable');
  return median(perRound);
}

/** Times the validator on the documentation request, the full request and an invalid one. */
export function validationRows(config: BenchConfig): Row[] {
  // Not a copy of the spec's enum: any value outside it will do, and the check below proves it is outside.
  const invalid = { ...config.documentationRequest, referrerIdType: 'not-a-referrer-id-type' };
  if (validateUpsertRequest(invalid).ok) throw new Error('the invalid bench request validates: pick another value');
  for (const body of [config.documentationRequest, config.fullRequest]) {
    if (!validateUpsertRequest(body).ok) throw new Error('a spec example does not validate');
  }
  const documentation = timePerCall(config.documentationRequest);
  const full = timePerCall(config.fullRequest);
  const rejected = timePerCall(invalid);
  const worst = Math.max(documentation, full);
  return [
    {
      what: 'request validation cost (`validateUpsertRequest`, valid requests)',
      against: '—',
      result: `**${fixed(worst)} µs** worst (documentation ${fixed(documentation)} µs, all fields ${fixed(full)} µs)`,
      target: '≤ 20 µs per request',
      status: worst <= 20 ? 'pass' : 'fail',
      raw: { documentationUs: documentation, fullUs: full, callsPerRound: CALLS_PER_ROUND, rounds: ROUNDS },
    },
    {
      what: 'request validation cost, invalid request (one enum violation)',
      against: '—',
      result: `${fixed(rejected)} µs`,
      target: '— (informational)',
      status: 'info',
      raw: { invalidUs: rejected },
    },
  ];
}
