/**
 * Keeps credentials out of everything the run prints or writes: every known secret becomes
 * `$REFX_API_KEY` (or `$REFX_JWT`), any JWT-shaped token becomes `$REFX_JWT`, and the curl
 * reproducer reads the credential from the environment.
 */
import type { HttpRequest } from './target.ts';

/** Placeholder printed instead of an API key. */
export const API_KEY_PLACEHOLDER = '$REFX_API_KEY';
/** Placeholder printed instead of a JWT. */
export const JWT_PLACEHOLDER = '$REFX_JWT';

// Three base64url segments, the first starting like a JSON header (`{"` → `eyJ`).
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** Builds a function that replaces every secret (and any JWT) in a text by its placeholder. */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const sorted = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of sorted) out = out.split(secret).join(API_KEY_PLACEHOLDER);
    return out.replace(JWT_SHAPE, JWT_PLACEHOLDER);
  };
}

/** Quotes a value for a POSIX shell in single quotes. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A ready-to-run curl command for a request. Header values holding a placeholder are put in double
 * quotes so the shell expands `$REFX_API_KEY`; everything else is single-quoted verbatim.
 */
export function toCurl(req: HttpRequest, redact: (text: string) => string): string {
  const parts = ['curl', '-sS', '-i', '-X', req.method, shellQuote(req.url)];
  for (const [name, value] of Object.entries(req.headers)) {
    const header = redact(`${name}: ${value}`);
    parts.push('-H', header.includes('$REFX_') ? `"${header.replace(/(["\\`])/g, '\\$1')}"` : shellQuote(header));
  }
  if (req.body !== undefined) parts.push('--data-binary', shellQuote(redact(req.body)));
  return parts.join(' ');
}
