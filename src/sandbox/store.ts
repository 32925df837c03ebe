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
import { randomFillSync, randomUUID, timingSafeEqual } from 'node:crypto';
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

interface Draft {
  referralId: string;
  dedupeKey: string | undefined;
  prefill: ReferralUpsertLinkRequest;
  bytes: number;
}

/** A draft's live link (at most one per draft), keyed by its referralId in the store. */
interface Link {
  token: string;
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
  readonly #drafts = new Map<string, Draft>();
  readonly #byIdentity = new Map<string, string>();
  /** referralId → live link, in creation order (a new link for a draft is re-inserted at the end). */
  readonly #links = new Map<string, Link>();
  #bytes = 0;
  /** Live iterators (Map iterators follow insertion, deletion and re-insertion). */
  #draftCursor: Iterator<Draft> | undefined;
  #linkCursor: Iterator<[string, Link]> | undefined;
  /** A link the sweep looked at but did not expire yet: the oldest live link, unless since used. */
  #linkHead: [string, Link] | undefined;

  constructor(private readonly options: DraftStoreOptions) {}

  /** Creates or updates a draft from a valid request and issues a new link for it. */
  upsert(body: ReferralUpsertLinkRequest, bytes: number): IssuedLink {
    const now = this.options.now();
    this.#sweep(now);
    const uin = body.patientUin;
    // JSON of the triple: unambiguous whatever characters the values contain.
    const dedupeKey = uin ? JSON.stringify([body.referrerInstitutionId, body.referrerId, uin]) : undefined;
    const existingId = dedupeKey === undefined ? undefined : this.#byIdentity.get(dedupeKey);
    let draft = existingId === undefined ? undefined : this.#drafts.get(existingId);
    if (draft) {
      // Re-insert so that Map order stays "least recently upserted first".
      this.#drafts.delete(draft.referralId);
      this.#bytes -= draft.bytes;
      this.#retireLink(draft);
    } else {
      draft = { referralId: `ref-${randomUUID()}`, dedupeKey, prefill: body, bytes: 0 };
      if (dedupeKey !== undefined) this.#byIdentity.set(dedupeKey, draft.referralId);
    }
    draft.prefill = pickPrefill(body);
    draft.bytes = bytes;
    this.#drafts.set(draft.referralId, draft);
    this.#bytes += bytes;

    // 256 random bits, independent of the referralId.
    const token = randomToken();
    this.#links.set(draft.referralId, { token, expiresAt: now + this.options.linkTtlMs });

    this.#evictOverflow(draft);
    return { referralId: draft.referralId, token };
  }

  /** Visits a link: the first visit within its lifetime gets the pre-fill and uses the link up. */
  visit(referralId: string, token: string): VisitResult {
    const now = this.options.now();
    this.#sweep(now);
    const link = this.#links.get(referralId);
    if (!link || !sameToken(link.token, token)) return { ok: false };
    // Get-check-delete with no await in between: exactly one concurrent visit can get here.
    this.#links.delete(referralId);
    const draft = this.#drafts.get(referralId);
    if (!draft || now >= link.expiresAt) return { ok: false };
    return { ok: true, prefill: draft.prefill };
  }

  /** Numbers of stored drafts and live links. */
  stats(): { drafts: number; links: number } {
    this.#sweep(this.options.now());
    return { drafts: this.#drafts.size, links: this.#links.size };
  }

  #retireLink(draft: Draft): void {
    this.#links.delete(draft.referralId);
  }

  /** Drops expired links; links are in creation order, hence in expiry order for a steady clock. */
  #sweep(now: number): void {
    for (;;) {
      let entry = this.#linkHead;
      this.#linkHead = undefined;
      if (!entry) {
        this.#linkCursor ??= this.#links.entries();
        const next = this.#linkCursor.next();
        if (next.done) {
          this.#linkCursor = undefined; // an exhausted iterator never yields again
          return;
        }
        entry = next.value;
      }
      const [key, link] = entry;
      if (this.#links.get(key) !== link) continue; // used or retired since
      if (link.expiresAt > now) {
        this.#linkHead = entry;
        return;
      }
      this.#links.delete(key);
    }
  }

  /** Evicts the oldest drafts beyond the limits, never the one just written. */
  #evictOverflow(keep: Draft): void {
    const { maxDrafts, maxStoredBytes } = this.options;
    while (this.#drafts.size > maxDrafts || this.#bytes > maxStoredBytes) {
      this.#draftCursor ??= this.#drafts.values();
      const next = this.#draftCursor.next();
      // Every draft the cursor passed was evicted, so it points at the oldest one. It can only reach
      // `keep` (the newest) when nothing else is left: start again from the front next time.
      if (next.done || next.value === keep) {
        this.#draftCursor = undefined;
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

/** A link token: 32 fresh random bytes, base64url (43 characters). */
function randomToken(): string {
  if (poolOffset + 32 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const token = pool.toString('base64url', poolOffset, poolOffset + 32);
  poolOffset += 32;
  return token;
}

/** Keeps only the spec's properties, so unknown (or `__proto__`) keys are never stored or rendered. */
function pickPrefill(body: ReferralUpsertLinkRequest): ReferralUpsertLinkRequest {
  const source = body as unknown as Record<string, unknown>;
  // A plain object is safe here: only keys that are spec property names are written, so never
  // `__proto__` (and it stays a fast-properties object, which matters with 10,000 drafts on the heap).
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) if (PREFILL_FIELDS.has(key)) out[key] = source[key];
  return out as unknown as ReferralUpsertLinkRequest;
}
