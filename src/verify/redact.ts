/**
 * Keeps credentials out of everything the run prints or writes: every known secret becomes
 * `$REFX_API_KEY` (or `$REFX_JWT`), any JWT-shaped token becomes `$REFX_JWT`, the userinfo of any
 * URL (`https://user:pass@host`) becomes `***`, and the curl reproducer reads the credentials from
 * the environment (`$REFX_BASIC_AUTH` for a base URL's userinfo).
 */
import { shellQuote } from '../cli/args.ts';
import type { HttpRequest } from '../transport.ts';

/** Placeholder printed instead of an API key. */
export const API_KEY_PLACEHOLDER = '$REFX_API_KEY';
/** Placeholder printed instead of a JWT. */
export const JWT_PLACEHOLDER = '$REFX_JWT';
/** Environment variable a curl reproducer reads a base URL's `user:password` from (`curl -u`). */
export const BASIC_AUTH_PLACEHOLDER = '$REFX_BASIC_AUTH';

// A scheme, `//`, then userinfo up to the last `@` before the host (as URL parsers read it).
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/** Text with the userinfo of every URL in it replaced: `https://user:pass@host` → `https://***@host`. */
export function redactUserinfo(text: string): string {
  return text.replace(URL_USERINFO, '$1***@');
}

// Three base64url segments, the first starting like a JSON header (`{"` → `eyJ`).
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** Builds a function that replaces every secret (and any JWT) in a text by its placeholder. */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const sorted = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of sorted) out = out.split(secret).join(API_KEY_PLACEHOLDER);
    return redactUserinfo(out.replace(JWT_SHAPE, JWT_PLACEHOLDER));
  };
}

/**
 * A ready-to-run curl command for a request. Header values holding a placeholder are put in double
 * quotes so the shell expands `$REFX_API_KEY`; everything else is single-quoted verbatim. A URL with
 * userinfo is printed without it and gets `-u "$REFX_BASIC_AUTH"` (the same Basic credentials).
 */
export function toCurl(req: HttpRequest, redact: (text: string) => string): string {
  const { url, userinfo } = splitUserinfo(req.url);
  const parts = ['curl', '-sS', '-i', '-X', req.method, shellQuote(redact(url))];
  if (userinfo) parts.push('-u', `"${BASIC_AUTH_PLACEHOLDER}"`);
  for (const [name, value] of Object.entries(req.headers)) {
    const header = redact(`${name}: ${value}`);
    parts.push('-H', header.includes('$REFX_') ? `"${header.replace(/(["\\`])/g, '\\$1')}"` : shellQuote(header));
  }
  if (req.body !== undefined) parts.push('--data-binary', shellQuote(redact(req.body)));
  return parts.join(' ');
}

/** A URL without its userinfo, and whether it had any. A text that is not a URL is returned as is. */
function splitUserinfo(text: string): { url: string; userinfo: boolean } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { url: text, userinfo: false };
  }
  if (url.username === '' && url.password === '') return { url: text, userinfo: false };
  url.username = '';
  url.password = '';
  return { url: url.href, userinfo: true };
}
