import { createHmac, timingSafeEqual } from 'node:crypto';

/** The synchronizer token of a session: only a page we rendered for that session can know it. */
export function csrfToken(sid: string, key: Buffer): string {
  return createHmac('sha256', key).update(`csrf.${sid}`).digest('base64url');
}

/** Is `given` (a form field) the token of session `sid`? Compared in constant time. */
export function csrfValid(given: unknown, sid: string, key: Buffer): boolean {
  if (typeof given !== 'string' || given === '') return false;
  const expected = Buffer.from(csrfToken(sid, key), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  // Compare equal lengths only; a wrong length is refused without looking at the content.
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** What a POST says about where it came from. */
export interface PostSource {
  readonly origin?: string | undefined;
  /** `Sec-Fetch-Site`, which browsers set themselves (pages cannot). */
  readonly fetchSite?: string | undefined;
  /** The Host header. */
  readonly host?: string | undefined;
}

/**
 * May this POST change anything? A browser that says it came from another site (`Sec-Fetch-Site`
 * other than `same-origin`) is refused. An Origin header must name this host (the Host header, or the
 * public URL's origin), so a form on another site is refused before its token is looked at. No Origin
 * at all passes (old browsers, curl: the CSRF token still decides). `Origin: null` is what browsers
 * send for our own forms under `Referrer-Policy: no-referrer`; it passes only when the browser also
 * says `Sec-Fetch-Site: same-origin` (another page can make its Origin null, not its fetch site).
 */
export function originAllowed(source: PostSource, publicUrl?: string): boolean {
  const { origin, fetchSite, host } = source;
  if (fetchSite !== undefined && fetchSite !== 'same-origin') return false;
  if (origin === undefined) return true;
  if (origin === 'null') return fetchSite === 'same-origin';
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  // Read the Host header as a URL of the Origin's scheme, so `example.com:80` equals `http://example.com`.
  const sameHost = (text: string) => {
    try {
      return new URL(`${url.protocol}//${text}`).host === url.host;
    } catch {
      return false;
    }
  };
  if (host !== undefined && sameHost(host)) return true;
  return publicUrl !== undefined && new URL(publicUrl).origin === url.origin;
}
