/**
 * The vocabulary of `npm run spec:diff`: one classified change, and who it breaks.
 *
 * "Breaking for clients": a caller written against the old spec (sending requests the old spec
 * allows, accepting the responses it documents) stops working against a server that follows the new
 * spec. "Breaking for servers": a server that follows the old spec no longer conforms to the new one
 * (it rejects requests the new spec allows, or sends responses the new spec forbids). Clients are
 * what integrators own, so the exit code gates on clients by default (`--fail-on`).
 */

/** Whether a change breaks one audience. */
export type Impact = 'breaking' | 'non-breaking';

/** Who is affected by a change. */
export type Audience = 'clients' | 'servers';

/** Which side of the exchange a schema describes. */
export type Side = 'request' | 'response';

/** Where a classification comes from: the openapi-diff library, or this project's rule layer. */
export type ChangeSource = 'openapi-diff' | 'refx-rules';

/** One change between two versions of the spec, classified for both audiences. */
export interface SpecChange {
  /** Stable rule id, e.g. `request.property.removed`, `request.enum.value-added`, `response.status-code.remove`. */
  rule: string;
  /** The operation and body it concerns, e.g. `POST /api/v1/links/upsert request`, `… response 200`. */
  where: string;
  /** JSON pointer inside that body (`/address/postalCode`); empty for the body or operation itself. */
  pointer: string;
  /** One readable line naming the change, e.g. ``request field `patientDob` removed``. */
  message: string;
  /** Impact on callers written against the old spec. */
  clients: Impact;
  /** Impact on servers implementing the old spec. */
  servers: Impact;
  /** `openapi-diff` (the library's own classification) or `refx-rules` (ours, on top). */
  source: ChangeSource;
  /**
   * Whether the change counts towards "breaking". False only for openapi-diff's coarse body-scope
   * finding on a body where our rules named the changes field by field (see index.ts).
   */
  counted: boolean;
}

/** Impacts of a change that makes a side accept fewer values than before. */
export function narrowing(side: Side): Pick<SpecChange, 'clients' | 'servers'> {
  // A request schema that accepts less rejects what old callers send; a response schema that
  // accepts less forbids what old servers send.
  return side === 'request'
    ? { clients: 'breaking', servers: 'non-breaking' }
    : { clients: 'non-breaking', servers: 'breaking' };
}

/** Impacts of a change that makes a side accept more values than before. */
export function widening(side: Side): Pick<SpecChange, 'clients' | 'servers'> {
  // A request schema that accepts more lets new callers send what old servers reject; a response
  // schema that accepts more lets servers send what old callers do not expect.
  return side === 'request'
    ? { clients: 'non-breaking', servers: 'breaking' }
    : { clients: 'breaking', servers: 'non-breaking' };
}

/** Impacts of a change that neither only narrows nor only widens (e.g. a changed regex). */
export const BOTH_BREAKING: Pick<SpecChange, 'clients' | 'servers'> = { clients: 'breaking', servers: 'breaking' };
/** Impacts of a change that breaks nobody. */
export const NONE_BREAKING: Pick<SpecChange, 'clients' | 'servers'> = { clients: 'non-breaking', servers: 'non-breaking' };
