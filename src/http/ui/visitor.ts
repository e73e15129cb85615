import { matchesSecret } from '../auth.ts';
import { parseCookies } from './cookies.ts';
import { verifySession, type ConsoleKeys, type Session } from './session.ts';

export const COOKIE = 'remediator_console';
/** The name approvals and pauses record when the operator gave none. */
export const DEFAULT_OPERATOR = 'operator';
const MAX_NAME = 100;

/** Who is asking: `name` is set once they are allowed in; `sid` binds their forms' CSRF tokens. */
export interface Visitor {
  readonly sid: string;
  readonly name?: string;
  readonly via: 'session' | 'basic' | 'bearer' | 'visit';
  /** The session the cookie carried, if any (valid and unexpired). */
  readonly session?: Session;
}

interface Headers {
  readonly authorization?: string | undefined;
  readonly cookie?: string | undefined;
}

/**
 * Reads the visitor from an Authorization header (Bearer token, or Basic with the token as password and
 * any user name as the operator's name) or else from the signed session cookie. Header credentials get a
 * fixed session id per user name, so their pages' forms carry a CSRF token too (browsers resend Basic
 * credentials on their own). With no operator token (`token` undefined) everyone is let in.
 */
export function readVisitor(
  headers: Headers,
  token: string | undefined,
  keys: ConsoleKeys,
  now: number,
): Visitor | undefined {
  const fromHeader = headerVisitor(headers.authorization, token);
  if (fromHeader) return fromHeader;
  const value = parseCookies(headers.cookie).get(COOKIE);
  const checked = value === undefined ? undefined : verifySession(value, keys.session, now);
  if (!checked?.ok) return undefined;
  const { session } = checked;
  const name = session.user ?? (token === undefined ? DEFAULT_OPERATOR : undefined);
  return name === undefined
    ? { sid: session.sid, via: 'visit', session }
    : { sid: session.sid, name, via: 'session', session };
}

function headerVisitor(header: string | undefined, token: string | undefined): Visitor | undefined {
  if (!header || token === undefined) return undefined;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer' && matchesSecret(value, token))
    return { sid: 'bearer', name: DEFAULT_OPERATOR, via: 'bearer' };
  if (scheme !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || !matchesSecret(decoded.slice(colon + 1), token)) return undefined;
  const name = operatorName(decoded.slice(0, colon));
  return { sid: `basic:${name}`, name, via: 'basic' };
}

/** A name as typed on the login form or in Basic auth: trimmed, control characters out, at most 100 characters. */
export function operatorName(raw: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  const clean = [...(raw ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim()].slice(0, MAX_NAME).join('');
  return clean === '' ? DEFAULT_OPERATOR : clean;
}
