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

/**
 * May a POST with this Origin header change anything? Absent: yes (old browsers, curl; the CSRF token
 * still decides). Present: only when it names this host (the Host header, or the public URL's host),
 * so a form on another site is refused even before its token is looked at. `null` (sandboxed frames,
 * some redirects) is refused.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  publicUrl?: string,
): boolean {
  if (origin === undefined) return true;
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
