/**
 * The verification engine: builds every case up front from the spec and a seed, sends them to the
 * target with bounded concurrency over keep-alive sockets, judges each response with the checks,
 * shrinks rejected valid bodies, runs the stateful checks and Dredd, and returns a structured
 * report. The CLI, the vitest contract tests and the benchmark all call {@link runVerification}.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// Types only (erased at run time): Dredd itself is loaded on demand below, and may be absent.
import type { DreddResult, runDredd } from '../dredd/run.ts';
import { UPSERT_METHOD, UPSERT_PATH } from '../spec.ts';
import { DOCUMENTED_STATUSES } from '../validation.ts';
import { CHECK_NAMES, responseConformance, type CheckName, type Outcome } from './checks.ts';
import { CoverageTracker, unexercised, type Coverage } from './coverage.ts';
import { createRedactor, redactUserinfo, toCurl } from './redact.ts';
import { createTarget, TransportError, type HttpRequest, type HttpResponse, type TargetOptions } from '../transport.ts';
import { bodyOf, type Phase, type PlannedCase } from './plan.ts';
import { openPlan, startPlanner } from './planner.ts';
import { baseBody, isValid, requiredOnly } from './valid.ts';
import { allFields, getAt, setAt } from './schema.ts';

/** Options of {@link runVerification}. */
export interface VerificationOptions {
  /** Base URL of the target, e.g. `http://127.0.0.1:4010`. */
  baseUrl: string;
  /**
   * Returns the `Authorization` header value for a valid request (`ApiKey …` or `Bearer …`). Called
   * once when it returns an `ApiKey` header (an API key does not expire), else before each request
   * (a JWT provider renews its token when due).
   */
  authorization?: () => Promise<string>;
  /** The credential text to replace by `$REFX_API_KEY` in reproducers and reports. */
  credentialForRepro?: string;
  /** Seed of every generated case; the same seed sends the same requests. @default 1 */
  seed?: number;
  /** Random valid bodies, on top of the deterministic coverage pass. @default 200 */
  runs?: number;
  /** Run the stateful checks (upsert identity, single-use link). @default false */
  stateful?: boolean;
  /** `mock`: a spec mock that cannot tell credentials apart or keep state. @default 'server' */
  targetKind?: 'server' | 'mock';
  /** Run Dredd (src/dredd/run.ts) as one more check. @default true */
  dredd?: boolean;
  /** Requests in flight at once. @default 12 */
  concurrency?: number;
  /** Transport limits (timeout, response cap). */
  transport?: TargetOptions;
  /**
   * Circuit breaker: after this many requests in a row without any answer (timed out, reset,
   * refused, not HTTP), the run stops with {@link TargetStoppedError} instead of waiting out every
   * remaining request (requests ÷ concurrency × timeout: minutes for a target that hung). Twice the
   * concurrency, so one event that fails every request in flight at once (a restart resetting all
   * kept-alive sockets) cannot trip it alone: two full waves must fail. A too-large answer is an
   * answer and does not count. @default max(4, 2 × concurrency)
   */
  maxConsecutiveNoAnswers?: number;
  /** Largest number of requests spent shrinking one rejected valid body. @default 60 */
  shrinkBudget?: number;
  /**
   * Known deviations of a target that is not under test (e.g. the Prism mock's own error shape for
   * malformed JSON): matching violations are reported as skipped with the reason, never as passed.
   * @default []
   */
  knownDeviations?: readonly KnownDeviation[];
  /**
   * Generate the cases on a planning thread shared by the runs of a process (planner.ts) while the
   * first ones are sent, instead of on the thread that sends and judges. The thread starts when a
   * run ends; a run that finds it not running or still starting (the first of a process) plans
   * here. Same plan either way. @default true
   */
  planInWorker?: boolean;
  /** Called as the run progresses (for progress lines). */
  onProgress?: (event: ProgressEvent) => void;
}

/** A violation to report as skipped (with its reason) instead of failed. */
export interface KnownDeviation {
  /** Check it applies to. */
  check: CheckName;
  /** Violation name. */
  violation: string;
  /** Pointer of the violation. */
  pointer: string;
  /** Only for cases of this constraint kind (e.g. `json-syntax`); any case when absent. */
  caseKind?: string;
  /** Why it is not counted as a failure; shown as the skip reason. */
  reason: string;
}

/**
 * Prism 5 answers a body that is not JSON with its own `{"error":{"code":"invalid_json",…}}`
 * before it looks at the spec, so `/error` is an object, not the spec's string. That is the mock's
 * shape, not the spec's: pass this when the target is the Prism mock.
 */
export const PRISM_KNOWN_DEVIATIONS: readonly KnownDeviation[] = [
  {
    check: 'response_schema_conformance',
    violation: 'ResponseSchemaViolation',
    pointer: '/error',
    caseKind: 'json-syntax',
    reason: "Prism's own error body for malformed JSON ({error:{code,message}}), not the spec's",
  },
];

/** A progress event. */
export interface ProgressEvent {
  /** Phase: `examples`, `valid`, `invalid`, `auth`, `shrink`, `stateful`, `dredd`. */
  phase: string;
  /** Requests done in this phase. */
  done: number;
  /** Requests planned in this phase. */
  total: number;
}

/** The tally of one check. */
export interface CheckResult {
  /** Check name. */
  name: CheckName;
  /** Cases judged (passed + failed + skipped). */
  cases: number;
  /** Cases that held. */
  passed: number;
  /** Cases that broke the rule. */
  failed: number;
  /** Cases not judged. */
  skipped: number;
  /** Why cases were skipped. */
  skipReason?: string;
}

/** One contract violation, structured and reproducible. */
export interface Failure {
  /** The check that failed. */
  check: CheckName;
  /** What went wrong, e.g. `InvalidDataAccepted`. */
  violation: string;
  /** JSON pointer (request body for input checks, response body for conformance checks). */
  pointer: string;
  /** What the spec requires. */
  expected: string;
  /** What happened. */
  actual: string;
  /** Seed of the run. */
  seed: number;
  /** The case, without data (e.g. `pattern: +65 prefix`). */
  case: string;
  /** A ready-to-run curl command, credential as `$REFX_API_KEY`. */
  curl: string;
  /** The request, credential redacted. */
  request: HttpRequest;
  /** How many requests showed this same violation (the first, smallest case is reported). */
  occurrences: number;
}

/** The result of one run against one target. */
export interface VerificationReport {
  /** True when no check failed. */
  ok: boolean;
  /** The target. */
  target: { baseUrl: string; kind: 'server' | 'mock' };
  /** Seed used. */
  seed: number;
  /** Random valid bodies requested. */
  runs: number;
  /** Requests sent. */
  requests: number;
  /** Wall time in ms. */
  durationMs: number;
  /** One entry per check, in {@link CHECK_NAMES} order. */
  checks: CheckResult[];
  /** Every distinct failure. */
  failures: Failure[];
  /** What the run exercised. */
  coverage: Coverage;
  /** Set when the run stopped early because the target stopped answering: the one-line reason. */
  stopped?: string;
}

/** A set-up problem (unreachable target, bad options): the CLI exits 2 with its one-line message. */
export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SetupError';
  }
}

/**
 * The target stopped answering during the run (the circuit breaker of
 * {@link VerificationOptions.maxConsecutiveNoAnswers}): a target fault, so a set-up error (exit 2),
 * carrying the partial report of what was checked before it stopped.
 */
export class TargetStoppedError extends SetupError {
  /** The partial report (`ok: false`, `stopped` set). */
  readonly report: VerificationReport;
  constructor(message: string, report: VerificationReport) {
    super(message);
    this.name = 'TargetStoppedError';
    this.report = report;
  }
}

interface RawFailure extends Omit<Failure, 'occurrences' | 'seed'> {
  order: number;
}

const DREDD_PATH = fileURLToPath(new URL('../dredd/run.ts', import.meta.url));

/** Runs every check against one target. Rejects with {@link SetupError} when the target is unreachable. */
export async function runVerification(options: VerificationOptions): Promise<VerificationReport> {
  const started = performance.now();
  const seed = options.seed ?? 1;
  const runs = options.runs ?? 200;
  const kind = options.targetKind ?? 'server';
  const concurrency = options.concurrency ?? 12;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  // The base URL as printed and written anywhere: its userinfo (`user:pass@`) is a credential.
  const shownUrl = redactUserinfo(baseUrl);
  let endpoint: URL;
  try {
    endpoint = new URL(`${baseUrl}${UPSERT_PATH}`);
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new SetupError(`invalid base URL ${JSON.stringify(redactUserinfo(options.baseUrl))}: expected an absolute http(s) URL`);
  }
  const authorization = options.authorization ?? (async () => 'ApiKey refx-verify-placeholder');
  const sampleAuth = await authorization().catch((err: unknown) => {
    throw new SetupError(`cannot create credentials: ${(err as Error).message}`);
  });
  const [scheme = '', credential = ''] = splitAuth(sampleAuth);
  const redact = createRedactor([options.credentialForRepro ?? '', credential]);

  const target = createTarget(options.transport);
  const tally = new Map<CheckName, { passed: number; failed: number; skipped: number; skipReason?: string }>(
    CHECK_NAMES.map((n) => [n, { passed: 0, failed: 0, skipped: 0 }]),
  );
  const raw: RawFailure[] = [];
  const coverage = new CoverageTracker();
  let requests = 0;
  let order = 0;

  // Circuit breaker: requests in a row (in completion order) that got no answer at all.
  const breakAfter = options.maxConsecutiveNoAnswers ?? Math.max(4, 2 * concurrency);
  let noAnswerRun = 0;
  const noAnswerCodes = new Set<string>();
  let stopped: string | undefined;
  const answered = (): void => {
    // Called on every response: nothing to reset in the usual case.
    if (noAnswerRun === 0) return;
    noAnswerRun = 0;
    noAnswerCodes.clear();
  };
  const unanswered = (err: TransportError): void => {
    // A response over the size cap is an answer (the target is alive); only silence counts.
    if (err.code === 'ETOOLARGE') return answered();
    noAnswerRun += 1;
    noAnswerCodes.add(err.code);
    if (noAnswerRun >= breakAfter && stopped === undefined) stopped = `target stopped answering: ${noAnswerRun} requests in a row ${noAnswerWhat(noAnswerCodes)}`;
  };

  const skip = (check: CheckName, count: number, reason: string): void => {
    const t = tally.get(check)!;
    t.skipped += count;
    t.skipReason = t.skipReason ? (t.skipReason.includes(reason) ? t.skipReason : `${t.skipReason}; ${reason}`) : reason;
  };
  const deviations = options.knownDeviations ?? [];
  const record = (outcome: Outcome, req: HttpRequest, label: string, at: number, caseKind?: string): void => {
    const t = tally.get(outcome.check)!;
    if (!outcome.violation) {
      t.passed += 1;
      return;
    }
    const v = outcome.violation;
    const known = deviations.find(
      (d) => d.check === outcome.check && d.violation === v.name && d.pointer === v.pointer && (d.caseKind === undefined || d.caseKind === caseKind),
    );
    if (known) {
      skip(outcome.check, 1, `known deviation: ${known.reason}`);
      return;
    }
    t.failed += 1;
    const safeReq = redactRequest(req, redact);
    raw.push({
      check: outcome.check,
      violation: outcome.violation.name,
      pointer: outcome.violation.pointer,
      // `actual` quotes the target's answer, and a hostile target can echo the credential back.
      expected: redact(outcome.violation.expected),
      actual: redact(outcome.violation.actual),
      case: label,
      curl: toCurl(req, redact),
      request: safeReq,
      order: at,
    });
  };

  // An API key does not expire: its header is the one already fetched. Anything else (a JWT) is
  // asked for per request, so a provider can renew it (createAuthorizationProvider caches it).
  const staticAuth = scheme.toLowerCase() === 'apikey' ? sampleAuth : undefined;
  const method = UPSERT_METHOD.toUpperCase();
  const url = endpoint.href;
  /** The request of a case; `validAuth` is the header value for `auth: valid`. */
  const requestFor = (c: Pick<PlannedCase, 'body' | 'text' | 'contentType' | 'auth'>, validAuth: string | undefined): HttpRequest => {
    const headers: Record<string, string> = { 'content-type': c.contentType, accept: 'application/json' };
    if (c.auth.kind === 'valid') headers.authorization = validAuth!;
    else if (c.auth.kind === 'value') headers.authorization = c.auth.value;
    const body = c.text ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
    return { method, url, headers, body };
  };
  const buildRequest = async (c: Pick<PlannedCase, 'body' | 'text' | 'contentType' | 'auth'>): Promise<HttpRequest> =>
    requestFor(c, c.auth.kind === 'valid' ? (staticAuth ?? (await authorization())) : undefined);

  /** Applies the response-conformance checks to an answer. */
  const conform = (req: HttpRequest, res: HttpResponse, label: string, at: number, anyClientError: boolean, caseKind?: string): void => {
    coverage.status(res.status);
    // Where the spec allows any 4xx (a media type it does not list), an undocumented 4xx is fine.
    if (anyClientError && res.status >= 400 && res.status < 500 && !DOCUMENTED_STATUSES.includes(String(res.status))) {
      record({ check: 'no_server_errors' }, req, label, at);
      record({ check: 'status_code_conformance' }, req, label, at);
      return;
    }
    for (const outcome of responseConformance(res)) record(outcome, req, label, at, caseKind);
  };
  /** Records a request that got no usable answer; rethrows anything that is not a transport error. */
  const noAnswer = (req: HttpRequest, err: unknown, label: string, at: number): undefined => {
    if (!(err instanceof TransportError)) throw err;
    unanswered(err);
    record({ check: 'no_server_errors', violation: { name: 'NoResponse', pointer: '', expected: 'a complete response', actual: err.message } }, req, label, at);
    return undefined;
  };

  /** Sends one request and applies the response-conformance checks. Undefined on transport error. */
  const exchange = async (req: HttpRequest, label: string, at: number, anyClientError = false, caseKind?: string): Promise<HttpResponse | undefined> => {
    requests += 1;
    try {
      const res = await target.sendRequest(req);
      answered();
      conform(req, res, label, at, anyClientError, caseKind);
      return res;
    } catch (err) {
      return noAnswer(req, err, label, at);
    }
  };

  // The seed alone fixes what is sent; the plan arrives in batches (planner.ts).
  const source = await openPlan({ seed, runs, scheme, credential }, { worker: options.planInWorker ?? true });
  const rejectedValid: { c: PlannedCase; status: number }[] = [];

  const judge = (c: PlannedCase, req: HttpRequest, res: HttpResponse): void => {
    const accepted = res.status >= 200 && res.status < 300;
    let outcome: Outcome;
    if (c.expect === 'success') {
      // Generated bodies are valid by construction and not validated as they are made (valid.ts):
      // confirm one here before its rejection is reported, so a generator slip is never a false alarm.
      if (!accepted && !isValid(bodyOf(c))) {
        skip(c.check, 1, 'a generated body is invalid per the spec (a verifier bug: please report it with the seed)');
        return;
      }
      outcome = accepted
        ? { check: c.check }
        : {
            check: c.check,
            violation: {
              name: c.check === 'examples_accepted' ? 'ExampleRejected' : 'ValidDataRejected',
              pointer: c.pointer,
              expected: 'a 2xx response (the body is valid per the spec)',
              actual: `status ${res.status}`,
            },
          };
      if (!accepted && c.shrinkable) rejectedValid.push({ c, status: res.status });
      else record(outcome, req, c.label, c.index);
      return;
    }
    const wanted = c.expect === '4xx' ? res.status >= 400 && res.status < 500 : res.status === Number(c.expect);
    const expected = c.expect === '4xx' ? 'any 4xx' : `status ${c.expect}`;
    outcome = wanted
      ? { check: c.check }
      : {
          check: c.check,
          violation: {
            name: accepted ? c.acceptedViolation : c.check === 'auth_required' ? 'WrongAuthStatus' : 'WrongRejectionStatus',
            pointer: c.pointer,
            expected,
            actual: `status ${res.status}`,
          },
        };
    record(outcome, req, c.label, c.index);
  };

  /** What a case's answer (or its absence) means. */
  const settle = (c: PlannedCase, req: HttpRequest, res: HttpResponse | undefined): void => {
    if (!res) {
      tally.get(c.check)!.failed += 1;
      return;
    }
    if (c.constraintId) coverage.constraint(c.constraintId);
    if (c.exampleName) coverage.example(c.exampleName);
    if (c.check === 'valid_data_accepted' || c.check === 'examples_accepted') {
      if (c.cov) coverage.validSlots(c.cov);
      else coverage.validBody(bodyOf(c));
    }
    judge(c, req, res);
  };
  const sendCase = (c: PlannedCase, req: HttpRequest): Promise<void> => {
    requests += 1;
    return target.sendRequest(req).then(
      (res) => {
        answered();
        conform(req, res, c.label, c.index, c.expect === '4xx', c.group);
        settle(c, req, res);
      },
      (err: unknown) => settle(c, req, noAnswer(req, err, c.label, c.index)),
    );
  };
  // Plain promise chains, not async functions: this runs once per request, and each async layer
  // and await costs a promise and a microtask turn.
  const runCase = (c: PlannedCase): Promise<void> | undefined => {
    if (c.auth.kind === 'value' && kind === 'mock' && c.acceptedViolation !== 'MissingAuthAccepted') {
      skip(c.check, 1, 'target is a spec mock: it checks that a credential is present, not whose it is');
      return undefined;
    }
    if (c.auth.kind === 'valid' && staticAuth === undefined) return authorization().then((auth) => sendCase(c, requestFor(c, auth)));
    return sendCase(c, requestFor(c, staticAuth));
  };

  try {
    // The first example doubles as the reachability probe: no answer at all is a set-up problem.
    const probe = (await source.first())!;
    try {
      await target.sendRequest(await buildRequest(probe));
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      // A target that answers badly is judged by the checks; one that does not answer cannot be.
      // Refused or unresolvable: nothing listens there. Otherwise something does, but gives no usable answer.
      const unreachable = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL)$/.test(err.code);
      if (err.code !== 'ETOOLARGE') throw new SetupError(`${unreachable ? 'cannot reach' : 'no usable answer from'} ${shownUrl}: ${redact(err.message)}`);
    }

    // One pool over the whole plan, in plan order: the next phase's first cases go out while the
    // last ones of a phase are in flight (a pool per phase emptied the pipeline at each of the
    // three boundaries, and the target idled for a round trip each time). Progress is per phase.
    const done: Record<Phase, number> = { examples_accepted: 0, valid_data_accepted: 0, invalid_data_rejected: 0, auth_required: 0 };
    const answeredIn = (phase: Phase): void => {
      const total = source.totals[phase] ?? 0;
      const n = (done[phase] += 1);
      if (n % Math.max(1, Math.ceil(total / 4)) === 0 || n === total) options.onProgress?.({ phase: PHASE_NAMES[phase], done: n, total });
    };
    const runAndCount = (c: PlannedCase): Promise<void> | undefined => {
      const pending = runCase(c);
      if (pending) return pending.then(() => answeredIn(c.check));
      answeredIn(c.check);
      return undefined;
    };
    await pool(() => source.next(), concurrency, runAndCount, () => stopped !== undefined);

    // Shrink rejected valid bodies to a minimal one the target still rejects, then report it.
    const budget = options.shrinkBudget ?? 60;
    const toShrink = rejectedValid.sort((a, b) => a.c.index - b.c.index);
    let shrunk = 0;
    for (const { c, status } of toShrink) {
      if (stopped !== undefined) break;
      const t = tally.get(c.check)!;
      t.failed += 1;
      // Shrinking costs requests: do it for the first few rejections, report the rest as found.
      const [body, lastStatus] =
        shrunk < 5
          ? await shrinkRejected(bodyOf(c) as Record<string, unknown>, status, budget, async (candidate) => {
              const req = await buildRequest({ body: candidate, contentType: c.contentType, auth: c.auth });
              const res = await exchange(req, `${c.label} (shrinking)`, c.index);
              return res ? res.status : 0;
            })
          : [bodyOf(c) as Record<string, unknown>, status];
      shrunk += 1;
      options.onProgress?.({ phase: 'shrink', done: shrunk, total: toShrink.length });
      const req = await buildRequest({ body, contentType: c.contentType, auth: c.auth });
      const safe = redactRequest(req, redact);
      raw.push({
        check: c.check,
        violation: 'ValidDataRejected',
        pointer: distinctivePointer(body),
        expected: 'a 2xx response (the body is valid per the spec)',
        actual: `status ${lastStatus}`,
        case: c.label,
        curl: toCurl(req, redact),
        request: safe,
        order: c.index,
      });
    }

    if (stopped === undefined) await statefulChecks({
      enabled: options.stateful ?? false,
      kind,
      seed,
      endpoint,
      skip,
      build: (body) => buildRequest({ body, contentType: 'application/json', auth: { kind: 'valid' } }),
      exchange: (req, label) => exchange(req, label, order++ + 1e6),
      send: (req) => {
        requests += 1;
        return target.sendRequest(req);
      },
      record: (o, req, label) => record(o, req, label, order++ + 1e6),
      onProgress: options.onProgress,
    });

    if (stopped !== undefined) skip('dredd', 1, 'the run stopped early: the target stopped answering');
    else if (options.dredd ?? true) await dreddCheck(baseUrl, sampleAuth, tally, raw, skip, redact, options.onProgress);
    else skip('dredd', 1, 'disabled (--no-dredd)');
  } finally {
    source.close();
    target.close();
    // This process verifies; the next run will likely be planned on the planning thread.
    if (options.planInWorker ?? true) startPlanner();
  }

  const snapshot = coverage.snapshot();
  for (const item of unexercised(snapshot)) {
    tally.get('constraint_coverage')!.failed += 1;
    raw.push({
      check: 'constraint_coverage',
      violation: 'ConstraintUnexercised',
      pointer: item.id.startsWith('/') ? item.id.split(' ')[0]! : item.id.split(' ')[1] ?? '',
      expected: `every ${item.category} item exercised by at least one request`,
      actual: `${item.category}: ${item.id} was never exercised`,
      case: item.id,
      curl: '',
      request: { method: '', url: '', headers: {} },
      order: 2e6,
    });
  }
  const coverageItems = snapshot.constraints.length + snapshot.enumValues.length + snapshot.fields.length + snapshot.examples.length;
  tally.get('constraint_coverage')!.passed = coverageItems - tally.get('constraint_coverage')!.failed;

  const failures = dedupe(raw, seed);
  const checks: CheckResult[] = CHECK_NAMES.map((name) => {
    const t = tally.get(name)!;
    return { name, cases: t.passed + t.failed + t.skipped, passed: t.passed, failed: t.failed, skipped: t.skipped, ...(t.skipReason ? { skipReason: t.skipReason } : {}) };
  });
  const report: VerificationReport = {
    ok: stopped === undefined && checks.every((c) => c.failed === 0),
    target: { baseUrl: shownUrl, kind },
    seed,
    runs,
    requests,
    durationMs: Math.round(performance.now() - started),
    checks,
    failures,
    coverage: snapshot,
    ...(stopped !== undefined ? { stopped } : {}),
  };
  if (stopped !== undefined) throw new TargetStoppedError(`${stopped} (${shownUrl}, after ${requests} requests)`, report);
  return report;
}

/** How a run of unanswered requests failed, for the breaker's one-line reason. */
function noAnswerWhat(codes: ReadonlySet<string>): string {
  if (codes.size !== 1) return `got no answer (${[...codes].sort().join(', ')})`;
  const [code] = codes;
  const what: Record<string, string> = { ETIMEDOUT: 'timed out', ECONNREFUSED: 'were refused', ECONNRESET: 'were reset (ECONNRESET)' };
  return what[code!] ?? `got no answer (${code})`;
}

function splitAuth(header: string): [string, string] {
  const space = header.indexOf(' ');
  return space < 0 ? ['', header] : [header.slice(0, space), header.slice(space + 1)];
}

function redactRequest(req: HttpRequest, redact: (t: string) => string): HttpRequest {
  return {
    method: req.method,
    url: redact(req.url),
    headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, redact(v)])),
    ...(req.body === undefined ? {} : { body: redact(req.body) }),
  };
}

/** A phase's name in progress events. */
const PHASE_NAMES: Record<Phase, string> = { examples_accepted: 'examples', valid_data_accepted: 'valid', invalid_data_rejected: 'invalid', auth_required: 'auth' };

/**
 * Runs `fn` over the items `take` gives (a promise while the next one is still being generated;
 * `undefined` once there are no more), at most `limit` in flight (`fn` returns nothing when it had
 * nothing to wait for). No new item starts once `stop` says so; the ones in flight finish.
 */
async function pool<T>(
  take: () => T | undefined | Promise<T | undefined>,
  limit: number,
  fn: (item: T) => Promise<void> | undefined,
  stop: () => boolean = () => false,
): Promise<void> {
  const worker = async (): Promise<void> => {
    while (!stop()) {
      let item = take();
      if (item instanceof Promise) item = await item;
      if (item === undefined) return;
      const pending = fn(item);
      if (pending) await pending;
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/**
 * Shrinks a valid body the target rejected: drops optional fields, then shortens free strings,
 * keeping each step only if the body stays valid per the spec and the target still rejects it.
 * Returns the minimal body and the status it last got.
 */
export async function shrinkRejected(
  body: Record<string, unknown>,
  status: number,
  budget: number,
  send: (candidate: Record<string, unknown>) => Promise<number>,
): Promise<[Record<string, unknown>, number]> {
  let current = body;
  let lastStatus = status;
  let spent = 0;
  const rejected = (s: number): boolean => s !== 0 && (s < 200 || s >= 300);
  const attempt = async (candidate: unknown): Promise<boolean> => {
    if (spent >= budget || !isValid(candidate) || JSON.stringify(candidate) === JSON.stringify(current)) return false;
    spent += 1;
    const s = await send(candidate as Record<string, unknown>);
    if (!rejected(s)) return false;
    current = candidate as Record<string, unknown>;
    lastStatus = s;
    return true;
  };
  let progress = true;
  while (progress && spent < budget) {
    progress = false;
    // Whole optional fields first (deepest last, so an object goes before its parts).
    if (await attempt(requiredOnly(current))) progress = true;
    for (const f of allFields) {
      if (getAt(current, f.pointer) === undefined) continue;
      if (await attempt(setAt(current, f.pointer, undefined, true))) progress = true;
    }
    for (const f of allFields) {
      const v = getAt(current, f.pointer);
      if (typeof v !== 'string' || v.length === 0) continue;
      for (const shorter of ['', v.slice(0, Math.ceil(v.length / 2))]) {
        if (await attempt(setAt(current, f.pointer, shorter))) {
          progress = true;
          break;
        }
      }
    }
  }
  return [current, lastStatus];
}

/** The one optional field a shrunk body still carries beyond the required ones, if exactly one. */
function distinctivePointer(body: Record<string, unknown>): string {
  const extra = allFields.filter((f) => !f.required && f.pointer.split('/').length === 2 && getAt(body, f.pointer) !== undefined);
  return extra.length === 1 ? extra[0]!.pointer : '';
}

function dedupe(raw: RawFailure[], seed: number): Failure[] {
  const byKey = new Map<string, Failure & { order: number }>();
  for (const f of [...raw].sort((a, b) => a.order - b.order)) {
    const key = `${f.check}\u0000${f.violation}\u0000${f.pointer}`;
    const seen = byKey.get(key);
    if (seen) {
      seen.occurrences += 1;
      // Prefer the shortest reproducer among equal violations.
      if ((f.request.body?.length ?? 0) < (seen.request.body?.length ?? 0)) Object.assign(seen, { ...f, occurrences: seen.occurrences, seed });
      continue;
    }
    byKey.set(key, { ...f, seed, occurrences: 1 });
  }
  return [...byKey.values()].map(({ order: _order, ...f }) => f);
}

interface StatefulContext {
  enabled: boolean;
  kind: 'server' | 'mock';
  seed: number;
  endpoint: URL;
  skip: (check: CheckName, count: number, reason: string) => void;
  build: (body: unknown) => Promise<HttpRequest>;
  exchange: (req: HttpRequest, label: string) => Promise<HttpResponse | undefined>;
  send: (req: HttpRequest) => Promise<HttpResponse>;
  record: (o: Outcome, req: HttpRequest, label: string) => void;
  onProgress?: (event: ProgressEvent) => void;
}

/** `stateful_upsert` and `link_single_use`, for targets that keep state. */
async function statefulChecks(ctx: StatefulContext): Promise<void> {
  if (ctx.kind === 'mock') {
    ctx.skip('stateful_upsert', 1, 'target is a spec mock: it keeps no state');
    ctx.skip('link_single_use', 1, 'target is a spec mock: it keeps no state');
    return;
  }
  if (!ctx.enabled) {
    ctx.skip('stateful_upsert', 1, 'stateful checks off (--stateful)');
    ctx.skip('link_single_use', 1, 'stateful checks off (--stateful)');
    return;
  }
  const body = baseBody(ctx.seed + 1);
  const upsert = async (label: string): Promise<{ req: HttpRequest; id?: string; url?: string } | undefined> => {
    const req = await ctx.build(body);
    const res = await ctx.exchange(req, label);
    if (!res || res.status < 200 || res.status >= 300) return { req };
    const dto = res.body as { referralId?: unknown; url?: unknown } | undefined;
    return { req, id: typeof dto?.referralId === 'string' ? dto.referralId : undefined, url: typeof dto?.url === 'string' ? dto.url : undefined };
  };

  const first = await upsert('stateful: first upsert');
  const second = await upsert('stateful: same upsert again');
  const fail = (check: CheckName, name: string, pointer: string, expected: string, actual: string, req: HttpRequest, label: string): void =>
    ctx.record({ check, violation: { name, pointer, expected, actual } }, req, label);
  if (!first?.id || !second?.id || !first.url || !second.url) {
    fail('stateful_upsert', 'UpsertFailed', '', 'two 2xx responses with referralId and url', 'an upsert was not answered with a link', second?.req ?? first!.req, 'stateful: same upsert twice');
  } else {
    const label = 'stateful: same upsert twice';
    ctx.record(first.id === second.id ? { check: 'stateful_upsert' } : { check: 'stateful_upsert', violation: { name: 'ReferralIdChanged', pointer: '/referralId', expected: 'the same referralId for the same upsert key', actual: 'a different referralId' } }, second.req, label);
    ctx.record(first.url !== second.url ? { check: 'stateful_upsert' } : { check: 'stateful_upsert', violation: { name: 'LinkReissueMissing', pointer: '/url', expected: 'a new link on every upsert', actual: 'the same link twice' } }, second.req, label);
  }
  ctx.onProgress?.({ phase: 'stateful', done: 1, total: 2 });

  const link = await upsert('link: fresh upsert');
  if (!link?.url) {
    ctx.skip('link_single_use', 1, 'no link to open (the upsert failed; see other checks)');
    return;
  }
  let linkUrl: URL;
  try {
    linkUrl = new URL(link.url);
  } catch {
    ctx.skip('link_single_use', 1, 'the link is not a URL (see link_is_absolute_url)');
    return;
  }
  // Never follow a link off the target: a real RefX link would be consumed for nothing.
  if (linkUrl.origin !== ctx.endpoint.origin) {
    ctx.skip('link_single_use', 1, `the link points to another origin than the target; links are only opened on the target`);
    return;
  }
  const get: HttpRequest = { method: 'GET', url: linkUrl.href, headers: { accept: 'text/html' } };
  const open = async (): Promise<number> => {
    try {
      return (await ctx.send(get)).status;
    } catch {
      return 0;
    }
  };
  const firstVisit = await open();
  const secondVisit = await open();
  const label = 'link: opened twice';
  ctx.record(
    firstVisit >= 200 && firstVisit < 300
      ? { check: 'link_single_use' }
      : { check: 'link_single_use', violation: { name: 'LinkNotOpenable', pointer: '/url', expected: 'the first visit gets 2xx', actual: firstVisit ? `status ${firstVisit}` : 'no response' } },
    get,
    label,
  );
  ctx.record(
    secondVisit < 200 || secondVisit >= 300
      ? { check: 'link_single_use' }
      : { check: 'link_single_use', violation: { name: 'LinkReusable', pointer: '/url', expected: 'the second visit is refused (single use)', actual: `status ${secondVisit}` } },
    get,
    label,
  );
  ctx.onProgress?.({ phase: 'stateful', done: 2, total: 2 });
}

async function dreddCheck(
  baseUrl: string,
  authorization: string,
  tally: Map<CheckName, { passed: number; failed: number; skipped: number; skipReason?: string }>,
  raw: RawFailure[],
  skip: (check: CheckName, count: number, reason: string) => void,
  redact: (t: string) => string,
  onProgress?: (event: ProgressEvent) => void,
): Promise<void> {
  if (!existsSync(DREDD_PATH)) {
    skip('dredd', 1, 'src/dredd/run.ts is not available');
    return;
  }
  onProgress?.({ phase: 'dredd', done: 0, total: 1 });
  const mod = (await import(DREDD_PATH)) as { runDredd: typeof runDredd };
  let result: DreddResult;
  try {
    result = await mod.runDredd({ baseUrl, authorization, timeoutMs: 120_000 });
  } catch (err) {
    skip('dredd', 1, `Dredd could not run: ${redact((err as Error).message).split('\n')[0]}`);
    return;
  }
  const t = tally.get('dredd')!;
  t.passed += result.passed;
  t.failed += result.failed;
  if (result.skipped > 0) skip('dredd', result.skipped, 'skipped by Dredd');
  for (const f of result.failures) {
    raw.push({
      check: 'dredd',
      violation: 'DreddTransactionFailed',
      pointer: '',
      expected: 'the transaction matches the spec',
      actual: redact(f.message).slice(0, 500),
      case: redact(f.transaction),
      curl: '',
      request: { method: '', url: '', headers: {} },
      order: 3e6,
    });
  }
  onProgress?.({ phase: 'dredd', done: 1, total: 1 });
}
