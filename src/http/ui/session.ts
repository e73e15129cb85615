import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a console login lasts. */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** How long a visitor who has not logged in keeps the cookie that protects the login form. */
export const VISITOR_TTL_MS = 3_600_000;

/** What the console's cookie holds, signed. */
export interface Session {
  /** Random id of this login (or visit); the CSRF token is derived from it. */
  readonly sid: string;
  /** Who logged in (the login form's name); absent before login. */
  readonly user?: string;
  /** Expiry, ms since the epoch. */
  readonly exp: number;
}

/** The console's keys: one for signing sessions, one for CSRF tokens. */
export interface ConsoleKeys {
  readonly session: Buffer;
  readonly csrf: Buffer;
}

/**
 * Keys derived from the operator token, so changing the token ends every session and every process
 * sharing the token accepts the others' cookies. With no token (open console) the keys are random
 * per process: cookies then only carry the CSRF binding and the operator's name.
 */
export function deriveKeys(operatorToken: string | undefined): ConsoleKeys {
  const root = operatorToken === undefined ? randomBytes(32) : Buffer.from(operatorToken, 'utf8');
  const derive = (label: string) =>
    createHmac('sha256', root).update(`remediator console ${label} v1`).digest();
  return { session: derive('session'), csrf: derive('csrf') };
}

export function newSession(now: number, user?: string): Session {
  const sid = randomBytes(18).toString('base64url');
  return user === undefined ? { sid, exp: now + VISITOR_TTL_MS } : { sid, user, exp: now + SESSION_TTL_MS };
}

/** `base64url(json).base64url(hmac)`: anyone can read it (it holds no secret), nobody without the key can forge it. */
export function signSession(session: Session, key: Buffer): string {
  const body = Buffer.from(
    JSON.stringify({ sid: session.sid, user: session.user, exp: session.exp }),
  ).toString('base64url');
  return `${body}.${mac(body, key)}`;
}

export type SessionCheck =
  { ok: true; session: Session } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

/** Checks a cookie value: signature first (in constant time), then shape, then expiry at `now`. */
export function verifySession(value: string, key: Buffer, now: number): SessionCheck {
  const dot = value.indexOf('.');
  if (dot <= 0 || dot !== value.lastIndexOf('.')) return { ok: false, reason: 'malformed' };
  const body = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(body, key), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad_signature' };
  const session = parseBody(body);
  if (!session) return { ok: false, reason: 'malformed' };
  if (!(session.exp > now)) return { ok: false, reason: 'expired' };
  return { ok: true, session };
}

function parseBody(body: string): Session | undefined {
  try {
    const doc = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { sid, user, exp } = doc;
    if (typeof sid !== 'string' || sid === '' || typeof exp !== 'number') return undefined;
    if (user !== undefined && typeof user !== 'string') return undefined;
    return user === undefined ? { sid, exp } : { sid, user, exp };
  } catch {
    return undefined;
  }
}

function mac(body: string, key: Buffer): string {
  return createHmac('sha256', key).update(`session.${body}`).digest('base64url');
}
