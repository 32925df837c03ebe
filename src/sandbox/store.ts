/**
 * The sandbox's state: drafts (one per referral) and their one-time links, bounded in memory.
 *
 * - Upsert rule (CONTRACT.md, sandbox decision): the same referrerInstitutionId + referrerId +
 *   non-empty patientUin is the same draft (same referralId; the pre-fill is replaced by the newly
 *   supplied fields; a new link); without patientUin every call is a new draft.
 * - A draft has at most one live link: issuing a new one retires the previous one, so links never
 *   outnumber drafts.
 * - A link is valid until its first visit or `linkTtlMs` after creation, whichever comes first.
 *   Consuming is a synchronous get-and-delete, so concurrent visits cannot both succeed.
 * - Tokens: 256 fresh CSPRNG bits each, looked up by referralId and compared in constant time
 *   (`timingSafeEqual` over equal lengths). They are kept as issued, not hashed: the store lives in
 *   the same process memory as the pre-fill it protects and is never persisted, so a digest would
 *   protect nothing, and it cost a SHA-256 per upsert.
 * - Memory: expired links are evicted on every call (links are kept in creation order, so the sweep
 *   stops at the first live one), and drafts beyond `maxDrafts` or `maxStoredBytes` are evicted
 *   oldest first (least recently upserted).
 * - Cost: O(1) amortised per call. Both sweeps walk their Map with one long-lived iterator: a fresh
 *   `map.values().next()` would rescan the holes V8 leaves at the front of a Map after deletions
 *   (measured: ~30 µs per upsert at 10,000 drafts).
 */
import { randomFillSync, timingSafeEqual } from 'node:crypto';
import type { ReferralUpsertLinkRequest } from '../../generated/schema.ts';
import { resolveRef, upsertOperation, type JsonSchema } from '../spec.ts';

/** The request properties the spec defines: only these are kept as pre-fill (derived from the spec). */
export const PREFILL_FIELDS: ReadonlySet<string> = (() => {
  const media = upsertOperation.requestBody.content['application/json'];
  if (!media) throw new Error('generated spec has no application/json request body');
  const schema = resolveRef<JsonSchema>(media.schema);
  return new Set(Object.keys(schema.properties as Record<string, JsonSchema>));
})();

/** Limits and clock of a store. */
export interface DraftStoreOptions {
  /** Clock in ms. */
  now: () => number;
  /** Lifetime of a link. */
  linkTtlMs: number;
  /** Maximum number of drafts kept. */
  maxDrafts: number;
  /** Maximum total size of stored pre-fills (request bytes). */
  maxStoredBytes: number;
}

/** An issued link: the referral it opens and the secret token of its URL. */
export interface IssuedLink {
  referralId: string;
  token: string;
}

/** What a visit to a link finds: the pre-fill (and the link is now used), or nothing. */
export type VisitResult = { ok: true; prefill: ReferralUpsertLinkRequest } | { ok: false };

/**
 * A draft and its live link in one object (a link is not an object of its own: fewer objects per
 * upsert for the GC to promote and later collect, and one Map instead of two).
 */
interface Draft {
  referralId: string;
  dedupeKey: string | undefined;
  /**
   * The validated request as received (JSON text), parsed and picked only on the rare visit: one
   * flat string to keep instead of an object graph of fields for the GC to promote and trace.
   */
  prefillJson: string;
  bytes: number;
  /** The live link's token; undefined once used, retired or expired (at most one live link per draft). */
  token: string | undefined;
  expiresAt: number;
}

/** Whether a presented token is the issued one, in time independent of where they differ. */
function sameToken(issued: string, presented: string): boolean {
  // Our tokens are ASCII of one fixed length, so lengths differing reveals nothing secret.
  if (presented.length !== issued.length) return false;
  return timingSafeEqual(Buffer.from(issued, 'latin1'), Buffer.from(presented, 'latin1'));
}

/** Drafts and one-time links, bounded. */
export class DraftStore {
  // Maps, not plain objects: keys come from clients.
  /**
   * referralId → draft, least recently upserted first. A link is issued only by an upsert, which
   * re-inserts its draft at the end, so this is also the order in which the live links were created
   * (hence expire): the expiry sweep and the eviction walk the same Map.
   */
  readonly #drafts = new Map<string, Draft>();
  /** Identity → draft, only for drafts upserted with a patientUin (the others can never match). */
  readonly #byIdentity = new Map<string, Draft>();
  #bytes = 0;
  #links = 0;
  /** Live iterators (Map iterators follow insertion, deletion and re-insertion). */
  #evictCursor: Iterator<Draft> | undefined;
  #sweepCursor: Iterator<Draft> | undefined;
  /** A draft the sweep looked at whose link had not expired yet: the oldest live link, unless since used or re-issued. */
  #sweepHead: Draft | undefined;

  constructor(private readonly options: DraftStoreOptions) {}

  /**
   * Creates or updates a draft from a valid request and issues a new link for it. `json` is the
   * request's text (what `body` was parsed from); without it the body is serialised.
   */
  upsert(body: ReferralUpsertLinkRequest, bytes: number, json: string = JSON.stringify(body)): IssuedLink {
    const now = this.options.now();
    this.#sweep(now);
    const uin = body.patientUin;
    // JSON of the triple: unambiguous whatever characters the values contain.
    const dedupeKey = uin ? JSON.stringify([body.referrerInstitutionId, body.referrerId, uin]) : undefined;
    let draft = dedupeKey === undefined ? undefined : this.#byIdentity.get(dedupeKey);
    if (draft) {
      // Re-insert so that Map order stays "least recently upserted first".
      this.#drafts.delete(draft.referralId);
      this.#bytes -= draft.bytes;
      this.#retireLink(draft);
    } else {
      draft = { referralId: newReferralId(), dedupeKey, prefillJson: json, bytes: 0, token: undefined, expiresAt: 0 };
      if (dedupeKey !== undefined) this.#byIdentity.set(dedupeKey, draft);
    }
    draft.prefillJson = json;
    draft.bytes = bytes;
    // 256 random bits, independent of the referralId.
    const token = randomToken();
    draft.token = token;
    draft.expiresAt = now + this.options.linkTtlMs;
    this.#links++;
    this.#drafts.set(draft.referralId, draft);
    this.#bytes += bytes;

    this.#evictOverflow(draft);
    return { referralId: draft.referralId, token };
  }

  /** Visits a link: the first visit within its lifetime gets the pre-fill and uses the link up. */
  visit(referralId: string, token: string): VisitResult {
    const now = this.options.now();
    this.#sweep(now);
    const draft = this.#drafts.get(referralId);
    if (!draft || draft.token === undefined || !sameToken(draft.token, token)) return { ok: false };
    // Get-check-retire with no await in between: exactly one concurrent visit can get here.
    const expired = now >= draft.expiresAt;
    this.#retireLink(draft);
    if (expired) return { ok: false };
    return { ok: true, prefill: pickPrefill(JSON.parse(draft.prefillJson) as ReferralUpsertLinkRequest) };
  }

  /** Numbers of stored drafts and live links. */
  stats(): { drafts: number; links: number } {
    this.#sweep(this.options.now());
    return { drafts: this.#drafts.size, links: this.#links };
  }

  #retireLink(draft: Draft): void {
    if (draft.token === undefined) return;
    draft.token = undefined;
    this.#links--;
    // A re-issued link is newer than the ones after the sweep's head: the head must not stop the sweep.
    if (this.#sweepHead === draft) this.#sweepHead = undefined;
  }

  /** Drops expired links, oldest first, stopping at the first live one (see #drafts on the order). */
  #sweep(now: number): void {
    for (;;) {
      let draft = this.#sweepHead;
      this.#sweepHead = undefined;
      if (!draft) {
        this.#sweepCursor ??= this.#drafts.values();
        const next = this.#sweepCursor.next();
        if (next.done) {
          this.#sweepCursor = undefined; // an exhausted iterator never yields again
          return;
        }
        draft = next.value;
      }
      if (draft.token === undefined) continue; // used, retired or evicted since
      if (draft.expiresAt > now) {
        this.#sweepHead = draft;
        return;
      }
      this.#retireLink(draft);
    }
  }

  /** Evicts the oldest drafts beyond the limits, never the one just written. */
  #evictOverflow(keep: Draft): void {
    const { maxDrafts, maxStoredBytes } = this.options;
    while (this.#drafts.size > maxDrafts || this.#bytes > maxStoredBytes) {
      this.#evictCursor ??= this.#drafts.values();
      const next = this.#evictCursor.next();
      // Every draft the cursor passed was evicted, so it points at the oldest one. It can only reach
      // `keep` (the newest) when nothing else is left: start again from the front next time.
      if (next.done || next.value === keep) {
        this.#evictCursor = undefined;
        return;
      }
      const oldest = next.value;
      this.#drafts.delete(oldest.referralId);
      this.#bytes -= oldest.bytes;
      if (oldest.dedupeKey !== undefined) this.#byIdentity.delete(oldest.dedupeKey);
      this.#retireLink(oldest);
    }
  }
}

/** Random bytes drawn from the CSPRNG in blocks (as crypto.randomUUID does); each byte is used once. */
const pool = Buffer.alloc(32 * 128);
let poolOffset = pool.length;

/** The offset of `n` unused random bytes in the pool. */
function takeRandom(n: number): number {
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const offset = poolOffset;
  poolOffset += n;
  return offset;
}

/** A link token: 32 fresh random bytes, base64url (43 characters). */
function randomToken(): string {
  const offset = takeRandom(32);
  return pool.toString('base64url', offset, offset + 32);
}

/**
 * `ref-` and a random (version 4) UUID, written into one reused buffer and read out as one flat
 * string. `ref-${randomUUID()}` built the same id as a tree of a dozen concatenated strings that the
 * store then kept (a draft's id lives as long as the draft).
 */
const idBuffer = Buffer.from('ref-00000000-0000-4000-8000-000000000000', 'latin1');
/** Where the 32 hex digits go in idBuffer (every position but the prefix and the dashes). */
const ID_DIGITS = [...idBuffer.keys()].filter((i) => i >= 4 && idBuffer[i] !== 0x2d);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
function newReferralId(): string {
  const offset = takeRandom(16);
  for (let i = 0; i < 16; i++) {
    let byte = pool[offset + i]!;
    if (i === 6) byte = (byte & 0x0f) | 0x40; // version 4 (RFC 9562)
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // variant 10
    idBuffer[ID_DIGITS[2 * i]!] = HEX[byte >> 4]!;
    idBuffer[ID_DIGITS[2 * i + 1]!] = HEX[byte & 0x0f]!;
  }
  return idBuffer.toString('latin1');
}

/** Keeps only the spec's properties, so unknown (or `__proto__`) keys are never rendered. */
function pickPrefill(body: ReferralUpsertLinkRequest): ReferralUpsertLinkRequest {
  const source = body as unknown as Record<string, unknown>;
  // A plain object is safe here: only keys that are spec property names are written, so never
  // `__proto__`.
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) if (PREFILL_FIELDS.has(key)) out[key] = source[key];
  return out as unknown as ReferralUpsertLinkRequest;
}
