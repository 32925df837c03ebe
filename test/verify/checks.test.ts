/**
 * verify > checks > link_is_absolute_url: `isAbsoluteHttpUrl` answers as the WHATWG URL parser does
 * (an http(s) URL with a host), including through its fast path, which parses each authority once.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isAbsoluteHttpUrl } from '../../src/verify/checks.ts';

/** The rule itself, without any shortcut. */
function reference(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}

/** Characters that end, split or break an authority, or that the parser strips or escapes. */
const TRICKY = [...'/?#\\@:[]%. \t\n'].concat(['\u0000', 'é', '０', 'xn--', '65536', '80', '']);

describe('verify > checks > isAbsoluteHttpUrl', () => {
  test.each([
    ['http://127.0.0.1:4000/referral/ref-1?token=abc', true],
    ['https://refer-staging.health.gov.sg/referral/x', true],
    ['https://user:pw@host.example/x', true],
    ['http:///example.com/a', true], // special schemes skip extra slashes
    ['http://host:65536/x', false], // port out of range
    ['http://host:80x/x', false],
    ['http://exa mple.com/x', false],
    ['http://1.2.3.4.5/x', false], // a host ending in a number must be IPv4
    ['http://[::1/x', false],
    ['http://', false],
    ['ftp://host/x', false],
    ['/referral/x', false],
    ['mailto:someone@example.com', false],
  ])('%j → %s, as the WHATWG parser says', (value, expected) => {
    expect(reference(value)).toBe(expected);
    expect(isAbsoluteHttpUrl(value)).toBe(expected);
  });

  test('agrees with the WHATWG parser on generated URLs, whatever their authority, path, query or fragment', () => {
    const piece = fc.array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 8 }).map((a) => a.join(''));
    const url = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.tuple(fc.constantFrom('http://', 'https://'), piece, fc.constantFrom('', '/', '?', '#', '\\'), piece).map((parts) => parts.join('')),
    );
    // The same authority is asked twice: the second answer comes from the cache.
    fc.assert(
      fc.property(url, piece, (value, tail) => {
        expect(isAbsoluteHttpUrl(value)).toBe(reference(value));
        const again = `${value}/${tail}`;
        expect(isAbsoluteHttpUrl(again)).toBe(reference(again));
      }),
      { numRuns: 3_000, seed: 20261201 },
    );
  });
});
