/** Cookie header parsing and Set-Cookie building for the console's one cookie (no dependency needed). */

/** The cookies of a `Cookie` header, by name; the first of repeated names wins, as browsers send most specific first. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

export interface CookieOptions {
  /** Lifetime in seconds; 0 deletes the cookie. */
  readonly maxAgeS: number;
  readonly path: string;
  /** Only over https (set when the request came over https or the public URL is https). */
  readonly secure: boolean;
}

/**
 * A Set-Cookie value that scripts cannot read (HttpOnly) and that no other site's request carries
 * (SameSite=Strict). Values are base64url and `.`, so they need no quoting.
 */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  if (!/^[\w.-]*$/.test(value)) throw new Error(`cookie ${name}: value must be base64url text`);
  const parts = [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeS))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}
