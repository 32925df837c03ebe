/**
 * The errors the RefX client throws. Every one has a stable `code` to switch on, and no message,
 * property or JSON form ever carries the API key, the JWT, the link or any request field value:
 * they name JSON pointers, rules, statuses and error codes only.
 */
import type { Violation } from '../validation.ts';

/** The `code` of each RefX client error. */
export type RefxClientErrorCode =
  | 'invalid_request'
  | 'invalid_response'
  | 'unexpected_status'
  | 'network'
  | 'timeout'
  | 'auth';

/** Base class of every error the RefX client throws; switch on `code`. */
export class RefxClientError extends Error {
  /** What went wrong, as a stable machine-readable code. */
  readonly code: RefxClientErrorCode;

  constructor(code: RefxClientErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /** What loggers that `JSON.stringify` errors see: name, code, message and the safe details. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

const listViolations = (violations: readonly Violation[]): string =>
  violations.map((v) => `\n  ${v.message} [${v.rule}]`).join('');

/**
 * The request body breaks the spec; nothing was sent. `violations` lists every one by JSON pointer
 * and rule (the messages never echo the offending value: it may be patient data).
 */
export class RefxValidationError extends RefxClientError {
  /** Every violation found, in the validator's order. */
  readonly violations: readonly Violation[];

  constructor(violations: readonly Violation[]) {
    super(
      'invalid_request',
      `request body breaks the RefX spec (${violations.length} violation${violations.length === 1 ? '' : 's'}); nothing was sent:${listViolations(violations)}`,
    );
    this.violations = violations;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), violations: this.violations };
  }
}

/**
 * The server's response breaks the spec: a body that is not JSON where JSON is documented, or (with
 * `validateResponses`) a body that does not match the documented schema for its status.
 */
export class RefxResponseValidationError extends RefxClientError {
  /** The HTTP status of the offending response. */
  readonly status: number;
  /** Every violation found. */
  readonly violations: readonly Violation[];

  constructor(status: number, violations: readonly Violation[]) {
    super('invalid_response', `RefX answered ${status} with a body that breaks the spec:${listViolations(violations)}`);
    this.status = status;
    this.violations = violations;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, violations: this.violations };
  }
}

/** The server answered with a status the spec does not document (e.g. 201, 404, 500). */
export class RefxUnexpectedStatusError extends RefxClientError {
  /** The undocumented HTTP status. */
  readonly status: number;

  constructor(status: number, documented: readonly string[]) {
    super('unexpected_status', `RefX answered ${status}, which the spec does not document (documented: ${documented.join(', ')})`);
    this.status = status;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status };
  }
}

/** The request never got an HTTP response: refused, reset, DNS failure, TLS error, … (`cause` has the details). */
export class RefxNetworkError extends RefxClientError {
  constructor(origin: string, reason: string, cause: unknown) {
    super('network', `could not reach RefX at ${origin} (${reason})`, { cause });
  }
}

/** No complete response arrived within `timeoutMs`; the request was aborted. */
export class RefxTimeoutError extends RefxClientError {
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('timeout', `RefX did not answer within ${timeoutMs} ms; the request was aborted`);
    this.timeoutMs = timeoutMs;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), timeoutMs: this.timeoutMs };
  }
}

/** The credentials are unusable: an empty or malformed API key, an unreadable private key, a failed signature. */
export class RefxAuthError extends RefxClientError {
  constructor(message: string) {
    super('auth', message);
  }
}
