/**
 * Authentication of the sandbox, both ways CONTRACT.md lists: `Authorization: ApiKey <key>` and
 * `Authorization: Bearer <jwt>` (ES256, `iss` = key name, short-lived).
 */
import { hash, KeyObject, timingSafeEqual } from 'node:crypto';
import { decodeJwt, errors, importSPKI, jwtVerify } from 'jose';

/** An ES256 public key: PEM (SPKI), a WebCrypto key or a node KeyObject. */
export type JwtKeyInput = string | CryptoKey | KeyObject;

/** Result of checking an `Authorization` header. `principal` names the key, never its value. */
export type AuthResult = { ok: true; principal: string } | { ok: false; message: string };

/** Checks an `Authorization` header value. */
export type Authenticator = (header: string | undefined) => AuthResult | Promise<AuthResult>;

/** Accepted clock skew for `exp` and `iat`, in seconds. */
export const JWT_CLOCK_TOLERANCE_S = 5;
/**
 * Oldest accepted `iat`, and longest accepted lifetime (`exp` − `iat`), in seconds. RefX tokens live
 * 15 s (`exp` = `iat` + 15); a token with a far `exp` is refused.
 */
export const JWT_MAX_AGE_S = 300;

/** Options of {@link createAuthenticator}. */
export interface AuthenticatorOptions {
  apiKeys: readonly string[];
  jwtKeys: Record<string, JwtKeyInput>;
  now: () => number;
}

const digest = (value: string): Buffer => hash('sha256', value, 'buffer');

/** `Authorization` scheme and credentials; schemes are case-insensitive (RFC 9110). */
const AUTH_HEADER = /^([A-Za-z]+) +(\S+) *$/;

/** Imports and checks the configured keys once, at start, and returns the per-request check. */
export async function createAuthenticator(options: AuthenticatorOptions): Promise<Authenticator> {
  // Compare SHA-256 digests with timingSafeEqual: equal lengths, so a key's length does not leak.
  const keyDigests = options.apiKeys.map(digest);
  const jwtKeys = new Map<string, CryptoKey | KeyObject>();
  for (const [name, input] of Object.entries(options.jwtKeys)) jwtKeys.set(name, await importEs256PublicKey(name, input));

  // Synchronous use only (filled and compared within one call), so one buffer serves every request.
  const presented = Buffer.alloc(32);
  // One result per key, built once: the hot path allocates none.
  const accepted: AuthResult[] = keyDigests.map((_, i) => Object.freeze({ ok: true, principal: `apiKey#${i + 1}` }));
  const INVALID_KEY: AuthResult = Object.freeze({ ok: false, message: 'Invalid API key' });

  const checkApiKey = (key: string): AuthResult => {
    // Only the presented key is hashed per request; the configured digests are from start. The
    // digest comes back as a binary (latin1) string written into one reused buffer: a 'buffer' digest is a
    // new external ArrayBuffer per request (~0.7 µs here, more in GC sweeping than in the hash).
    presented.write(hash('sha256', key, 'binary'), 'binary');
    let match = -1;
    // No early exit: every configured key is compared.
    for (let i = 0; i < keyDigests.length; i++) {
      if (timingSafeEqual(keyDigests[i]!, presented) && match < 0) match = i;
    }
    return match >= 0 ? accepted[match]! : INVALID_KEY;
  };

  const checkJwt = async (jwt: string): Promise<AuthResult> => {
    let iss: unknown;
    try {
      iss = decodeJwt(jwt).iss;
    } catch {
      return { ok: false, message: 'Invalid JWT (malformed)' };
    }
    // A Map lookup: an `iss` like `__proto__` or `constructor` finds nothing.
    const key = typeof iss === 'string' ? jwtKeys.get(iss) : undefined;
    if (!key || typeof iss !== 'string') return { ok: false, message: 'Invalid JWT (unknown issuer)' };
    try {
      const { payload } = await jwtVerify(jwt, key, {
        algorithms: ['ES256'],
        issuer: iss,
        requiredClaims: ['iss', 'iat', 'exp'],
        maxTokenAge: JWT_MAX_AGE_S,
        clockTolerance: JWT_CLOCK_TOLERANCE_S,
        currentDate: new Date(options.now()),
      });
      // maxTokenAge bounds `iat` only: a fresh token with `exp` a year ahead is still a long-lived
      // credential, which RefX's 15-second tokens never are.
      if ((payload.exp as number) - (payload.iat as number) > JWT_MAX_AGE_S) {
        return { ok: false, message: 'Invalid JWT (exp too far after iat)' };
      }
      return { ok: true, principal: `jwt:${iss}` };
    } catch (error) {
      // jose's codes (ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED, …) name the failure
      // without echoing the token.
      const code = error instanceof errors.JOSEError ? error.code : 'ERR_JWT_INVALID';
      return { ok: false, message: `Invalid JWT (${code})` };
    }
  };

  return (header) => {
    if (header === undefined || header === '') {
      return { ok: false, message: 'Missing Authorization header (expected "ApiKey <key>" or "Bearer <jwt>")' };
    }
    const match = AUTH_HEADER.exec(header);
    const scheme = match?.[1]?.toLowerCase();
    const credentials = match?.[2];
    if (credentials !== undefined && scheme === 'apikey' && keyDigests.length > 0) return checkApiKey(credentials);
    if (credentials !== undefined && scheme === 'bearer' && jwtKeys.size > 0) return checkJwt(credentials);
    return { ok: false, message: 'Invalid Authorization header (expected "ApiKey <key>" or "Bearer <jwt>")' };
  };
}

/** Imports an ES256 (P-256) public key, refusing anything else at start rather than per request. */
async function importEs256PublicKey(name: string, input: JwtKeyInput): Promise<CryptoKey | KeyObject> {
  if (typeof input === 'string') {
    try {
      return await importSPKI(input, 'ES256');
    } catch {
      throw new Error(`JWT key "${name}" is not an ES256 (P-256) public key in PEM SPKI form`);
    }
  }
  if (input instanceof KeyObject) {
    if (input.type !== 'public' || input.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`JWT key "${name}" must be a P-256 public key`);
    }
    return input;
  }
  const algorithm = input.algorithm as EcKeyAlgorithm;
  if (input.type !== 'public' || algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
    throw new Error(`JWT key "${name}" must be an ECDSA P-256 public key`);
  }
  return input;
}
