import { createHash, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  readonly token?: string;
  readonly basic?: { readonly username: string; readonly password: string };
}

// Configured secrets are few and fixed: their digests are kept, so a request costs one hash, not two.
const digests = new Map<string, Buffer>();
function digestOfSecret(secret: string): Buffer {
  let d = digests.get(secret);
  if (!d) {
    d = digest(secret);
    if (digests.size < 16) digests.set(secret, d);
  }
  return d;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares a given secret with a configured one in constant time: hashing makes the lengths equal. */
export function matchesSecret(given: string, secret: string): boolean {
  return timingSafeEqual(digest(given), digestOfSecret(secret));
}

/**
 * Checks an Authorization header against the configured credentials, as Alertmanager's http_config
 * sends them (`authorization: {credentials}` -> Bearer, `basic_auth` -> Basic). With nothing
 * configured every request passes (start-up warns about it).
 */
export function isAuthorized(header: string | undefined, creds: Credentials): boolean {
  if (creds.token === undefined && creds.basic === undefined) return true;
  if (!header) return false;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer' && creds.token !== undefined) return matchesSecret(value, creds.token);
  if (scheme === 'basic' && creds.basic !== undefined) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Both halves are always compared, so timing does not tell which one was wrong.
    const userOk = matchesSecret(decoded.slice(0, colon), creds.basic.username);
    const passOk = matchesSecret(decoded.slice(colon + 1), creds.basic.password);
    return userOk && passOk;
  }
  return false;
}

export function challenge(creds: Credentials): string {
  return creds.token !== undefined ? 'Bearer realm="remediator"' : 'Basic realm="remediator"';
}
