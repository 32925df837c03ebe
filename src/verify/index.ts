/**
 * Contract verification: the engine behind `npm run verify`, for the CLI, vitest suites and
 * benchmarks. `runVerification` checks one target against the spec and returns a structured report.
 */
export { runVerification, shrinkRejected, SetupError, TargetStoppedError, PRISM_KNOWN_DEVIATIONS } from './engine.ts';
export type { VerificationOptions, VerificationReport, CheckResult, Failure, KnownDeviation, ProgressEvent } from './engine.ts';
export { CHECK_NAMES, responseConformance, isAbsoluteHttpUrl, type CheckName, type Outcome } from './checks.ts';
export { createTarget, TransportError, type HttpRequest, type HttpResponse, type Target, type TargetOptions } from '../transport.ts';
export { formatSummary, formatFailures, formatCoverage, toJUnit, coverageHtml, writeReportDir, type NamedReport } from './report.ts';
export type { Coverage, CoverageItem } from './coverage.ts';
export { plannerReady } from './planner.ts';
