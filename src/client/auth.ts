/**
 * RefX credentials → the `Authorization` header value. RefX documents two schemes and does not say
 * which it accepts today, so both are supported (see CONTRACT "Authentication"):
 * - `ApiKey <key>` (API reference);
 * - `Bearer <jwt>`, a short-lived ES256 JWT signed with the caller's private key (getting-started
 *   guide, RefX SDK's JWT client): `iss` = API key name, optional `sub`, `iat`, `exp` = `iat` + 15 s.
 *
 * The contract verifier and the benchmarks import `createAuthorizationProvider`: keep its name and
 * signature stable.
 */
import type { KeyObject } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { RefxAuthError } from './errors.ts';

/** RefX credentials: an API key, or an ES256 key pair's private key and the API key name it belongs to. */
export type RefxAuth =
  | {
      /** The API key, with or without the `ApiKey ` prefix. */
      apiKey: string;
    }
  | {
      jwt: {
        /** The API key name RefX registered the public key under; sent as `iss`. */
        keyName: string;
        /** The EC P-256 private key: a PKCS#8 PEM string (`-----BEGIN PRIVATE KEY-----`), a CryptoKey or a KeyObject. */
        privateKey: string | CryptoKey | KeyObject;
        /** Selects one of the caller's "systems" when the key has several; sent as `sub`. */
        subject?: string;
      };
    };

/** Returns the full `Authorization` header value for the next request. */
export type AuthorizationProvider = () => Promise<string>;

/** Lifetime RefX prescribes for a JWT: `exp` = `iat` + 15 s. */
export const JWT_LIFETIME_SECONDS = 15;
/**
 * A cached JWT is replaced this long before it expires, so that one sent near the end of its life
 * still arrives valid despite transit time and a little clock skew.
 */
export const JWT_RENEW_BEFORE_EXPIRY_SECONDS = 5;

// `ApiKey` followed by whitespace, or alone (which leaves an empty key).
const API_KEY_PREFIX = /^apikey(\s+|$)/i;
// Visible ASCII only: anything else would be rejected by `Headers` with a message that quotes the
// value (the key), or would allow header injection.
const HEADER_TOKEN = /^[\x21-\x7e]+$/;

/**
 * The bare API key: trimmed, with a leading `ApiKey ` prefix (any case) removed, so that the header
 * is `ApiKey <key>` whether or not the caller included the prefix, and never `ApiKey ApiKey <key>`.
 * Throws `RefxAuthError` for an empty key or one with characters an HTTP header cannot carry.
 */
export function normaliseApiKey(key: string): string {
  if (typeof key !== 'string') throw new RefxAuthError('auth.apiKey must be a string');
  const bare = key.trim().replace(API_KEY_PREFIX, '').trim();
  if (bare === '') throw new RefxAuthError('auth.apiKey is empty');
  if (!HEADER_TOKEN.test(bare)) {
    throw new RefxAuthError('auth.apiKey contains whitespace or characters an HTTP header cannot carry');
  }
  return bare;
}

async function signingKey(privateKey: string | CryptoKey | KeyObject): Promise<CryptoKey | KeyObject> {
  if (typeof privateKey !== 'string') return privateKey;
  try {
    return await importPKCS8(privateKey, 'ES256');
  } catch {
    // jose's message is generic, but never risk echoing key material: say what is expected instead.
    throw new RefxAuthError(
      'auth.jwt.privateKey is not a PKCS#8 PEM EC P-256 private key (expected "-----BEGIN PRIVATE KEY-----")',
    );
  }
}

/**
 * Creates the function that yields the `Authorization` header value for each request:
 * `ApiKey <key>`, or `Bearer <jwt>` with an ES256 JWT that is reused until
 * {@link JWT_RENEW_BEFORE_EXPIRY_SECONDS} before it expires, then replaced by a fresh one.
 * Invalid credentials that can be seen without signing (an empty key or key name) throw here.
 * @param opts.now clock in milliseconds, for tests. @default Date.now
 */
export function createAuthorizationProvider(
  auth: RefxAuth,
  opts: { now?: () => number } = {},
): AuthorizationProvider {
  if ('apiKey' in auth) {
    const header = `ApiKey ${normaliseApiKey(auth.apiKey)}`;
    return () => Promise.resolve(header);
  }
  if (!('jwt' in auth) || !auth.jwt) throw new RefxAuthError('auth must be { apiKey } or { jwt: { keyName, privateKey } }');

  const { keyName, privateKey, subject } = auth.jwt;
  if (typeof keyName !== 'string' || keyName.trim() === '') throw new RefxAuthError('auth.jwt.keyName is empty');
  if (subject !== undefined && (typeof subject !== 'string' || subject === '')) {
    throw new RefxAuthError('auth.jwt.subject, when given, must be a non-empty string');
  }
  if (privateKey === undefined || privateKey === null || privateKey === '') {
    throw new RefxAuthError('auth.jwt.privateKey is missing');
  }
  const now = opts.now ?? Date.now;
  // Imported once, on first use (import is async); a failed import is retried on the next call.
  let key: Promise<CryptoKey | KeyObject> | undefined;
  // The in-flight or last signed header, shared by concurrent calls, and the `exp` it carries.
  let cached: Promise<string> | undefined;
  let cachedExp = -Infinity;

  const sign = async (iat: number, exp: number): Promise<string> => {
    key ??= signingKey(privateKey).catch((error: unknown) => {
      key = undefined;
      throw error;
    });
    const jwt = new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(keyName)
      .setIssuedAt(iat)
      .setExpirationTime(exp);
    if (subject !== undefined) jwt.setSubject(subject);
    const signingKeyValue = await key;
    try {
      return `Bearer ${await jwt.sign(signingKeyValue)}`;
    } catch {
      throw new RefxAuthError('could not sign the JWT with auth.jwt.privateKey (it must be an EC P-256 private key)');
    }
  };

  return () => {
    const nowSeconds = now() / 1000;
    if (!cached || nowSeconds >= cachedExp - JWT_RENEW_BEFORE_EXPIRY_SECONDS) {
      const iat = Math.floor(nowSeconds);
      const exp = iat + JWT_LIFETIME_SECONDS;
      const pending = sign(iat, exp);
      cached = pending;
      cachedExp = exp;
      // Never cache a failure: the next call tries again.
      pending.catch(() => {
        if (cached === pending) {
          cached = undefined;
          cachedExp = -Infinity;
        }
      });
    }
    return cached;
  };
}
