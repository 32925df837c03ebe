/**
 * Creates a RefX referral link for the documentation's example body and prints its URL.
 *
 *   npm run sandbox                                   # in another terminal: the local sandbox on :4000
 *   REFX_API_KEY=<key printed by the sandbox> npm run example
 *
 * Environment:
 * - `REFX_BASE_URL`: where RefX is. @default http://127.0.0.1:4000 (the local sandbox)
 * - `REFX_API_KEY`: the API key (with or without the `ApiKey ` prefix), or instead
 * - `REFX_JWT_KEY_NAME` + `REFX_JWT_PRIVATE_KEY_FILE` (PKCS#8 PEM, EC P-256) [+ `REFX_JWT_SUBJECT`]
 *   to authenticate with a signed ES256 JWT.
 *
 * Prints only the link URL; on failure exits 1 with a one-line reason (never the credentials).
 */
import { readFileSync } from 'node:fs';
import { createRefxClient, RefxClientError, type RefxAuth, type ReferralUpsertLinkRequest } from '../src/index.ts';

// The RefX documentation's own example: the required fields only. Add patient fields to pre-fill more.
const body: ReferralUpsertLinkRequest = {
  referrerInstitutionId: 'S1234A',
  referrerInstitutionIdType: 'hci',
  referrerInstitutionName: 'Singapore General Hospital',
  referrerId: 'MCR12345A',
  requesterIdentifier: 'dr.jane.doe@example.com',
  referrerIdType: 'mcr',
  referrerName: 'Dr. Jane Doe',
};

function fail(reason: string): never {
  process.stderr.write(`create-link: ${reason}\n`);
  process.exit(1);
}

function authFromEnv(env: NodeJS.ProcessEnv): RefxAuth {
  const { REFX_API_KEY, REFX_JWT_KEY_NAME, REFX_JWT_PRIVATE_KEY_FILE, REFX_JWT_SUBJECT } = env;
  if (REFX_JWT_KEY_NAME && REFX_JWT_PRIVATE_KEY_FILE) {
    let privateKey: string;
    try {
      privateKey = readFileSync(REFX_JWT_PRIVATE_KEY_FILE, 'utf8');
    } catch {
      fail('cannot read the file named by REFX_JWT_PRIVATE_KEY_FILE');
    }
    return { jwt: { keyName: REFX_JWT_KEY_NAME, privateKey, ...(REFX_JWT_SUBJECT ? { subject: REFX_JWT_SUBJECT } : {}) } };
  }
  if (REFX_API_KEY) return { apiKey: REFX_API_KEY };
  fail('set REFX_API_KEY (or REFX_JWT_KEY_NAME and REFX_JWT_PRIVATE_KEY_FILE)');
}

try {
  const refx = createRefxClient({
    baseUrl: process.env.REFX_BASE_URL || 'http://127.0.0.1:4000',
    auth: authFromEnv(process.env),
  });
  const result = await refx.createUpsertLink(body);
  if (result.ok) {
    // The link is single use and expires in 15 minutes: open it, don't store it.
    console.log(result.link.url);
  } else {
    const { error } = result;
    const message = Array.isArray(error.message) ? error.message.join('; ') : (error.message ?? '');
    fail(`RefX answered ${result.status}${error.error ? ` ${error.error}` : ''}${message ? `: ${message}` : ''}`);
  }
} catch (error) {
  if (error instanceof RefxClientError) fail(`${error.code}: ${error.message.replaceAll('\n', ' ')}`);
  throw error;
}
