import { describe, expect, it } from 'vitest';
import {
  deriveKeys,
  newSession,
  SESSION_TTL_MS,
  signSession,
  verifySession,
  VISITOR_TTL_MS,
} from '../../../../src/http/ui/session.ts';

const NOW = Date.parse('2026-11-21T10:00:00.000Z');
const keys = deriveKeys('operator-token');
const session = { sid: 'abc123', user: 'alice', exp: NOW + 60_000 };

/** Flips one character of a base64url text to another valid one. */
function flip(text: string, at: number): string {
  const c = text[at] === 'A' ? 'B' : 'A';
  return text.slice(0, at) + c + text.slice(at + 1);
}

describe('session cookie', () => {
  it('verifies what it signed, before expiry', () => {
    expect(verifySession(signSession(session, keys.session), keys.session, NOW)).toEqual({
      ok: true,
      session,
    });
  });

  it('refuses a changed body: another user or a later expiry cannot be written in', () => {
    const value = signSession(session, keys.session);
    const [, mac] = value.split('.');
    const forged = Buffer.from(JSON.stringify({ ...session, user: 'mallory' })).toString('base64url');
    expect(verifySession(`${forged}.${mac}`, keys.session, NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const longer = Buffer.from(JSON.stringify({ ...session, exp: NOW + 1e12 })).toString('base64url');
    expect(verifySession(`${longer}.${mac}`, keys.session, NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifySession(flip(value, 3), keys.session, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a changed or shortened signature', () => {
    const value = signSession(session, keys.session);
    expect(verifySession(flip(value, value.length - 2), keys.session, NOW).ok).toBe(false);
    expect(verifySession(value.slice(0, -4), keys.session, NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifySession(`${value.split('.')[0]}.`, keys.session, NOW).ok).toBe(false);
  });

  it('refuses an expired session, at the exact expiry too', () => {
    const value = signSession(session, keys.session);
    expect(verifySession(value, keys.session, session.exp - 1).ok).toBe(true);
    expect(verifySession(value, keys.session, session.exp)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a cookie signed with another key: another token, or the CSRF key', () => {
    const value = signSession(session, keys.session);
    expect(verifySession(value, deriveKeys('other-token').session, NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifySession(value, keys.csrf, NOW).ok).toBe(false);
  });

  it('refuses malformed values', () => {
    for (const value of ['', 'abc', '.abc', 'a.b.c', 'not base64!.x']) {
      expect(verifySession(value, keys.session, NOW).ok, value).toBe(false);
    }
    // Signed, but not a session: no sid.
    const noSid = signSession({ sid: '', exp: NOW + 1000 }, keys.session);
    expect(verifySession(noSid, keys.session, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('derives the same keys from the same token (processes share logins), random ones with none', () => {
    expect(deriveKeys('operator-token')).toEqual(keys);
    expect(keys.session.equals(keys.csrf)).toBe(false);
    expect(deriveKeys(undefined).session.equals(deriveKeys(undefined).session)).toBe(false);
  });

  it('gives logins 12 hours and visits (before login) 1 hour, each with a fresh random id', () => {
    const login = newSession(NOW, 'bob');
    expect(login).toMatchObject({ user: 'bob', exp: NOW + SESSION_TTL_MS });
    expect(SESSION_TTL_MS).toBe(12 * 3_600_000);
    const visit = newSession(NOW);
    expect(visit.user).toBeUndefined();
    expect(visit.exp).toBe(NOW + VISITOR_TTL_MS);
    expect(visit.sid).not.toBe(login.sid);
    expect(visit.sid).toMatch(/^[\w-]{24}$/);
  });
});
