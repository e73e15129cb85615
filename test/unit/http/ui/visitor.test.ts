import { describe, expect, it } from 'vitest';
import { parseCookies, serializeCookie } from '../../../../src/http/ui/cookies.ts';
import { safeNext } from '../../../../src/http/ui/login-routes.ts';
import { deriveKeys, signSession } from '../../../../src/http/ui/session.ts';
import { COOKIE, operatorName, readVisitor } from '../../../../src/http/ui/visitor.ts';

const NOW = Date.parse('2026-11-21T10:00:00.000Z');
const TOKEN = 'operator-token';
const keys = deriveKeys(TOKEN);
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const cookie = (session: { sid: string; user?: string; exp: number }) =>
  `other=1; ${COOKIE}=${signSession(session, keys.session)}`;

describe('readVisitor', () => {
  it('takes the token as Bearer, or as the Basic password with the user name as the operator', () => {
    expect(readVisitor({ authorization: `Bearer ${TOKEN}` }, TOKEN, keys, NOW)).toMatchObject({
      name: 'operator',
      via: 'bearer',
    });
    expect(readVisitor({ authorization: basic('alice', TOKEN) }, TOKEN, keys, NOW)).toEqual({
      sid: 'basic:alice',
      name: 'alice',
      via: 'basic',
    });
    expect(readVisitor({ authorization: basic('', TOKEN) }, TOKEN, keys, NOW)?.name).toBe('operator');
  });

  it('refuses a wrong token in either scheme', () => {
    expect(readVisitor({ authorization: 'Bearer nope' }, TOKEN, keys, NOW)).toBeUndefined();
    expect(readVisitor({ authorization: basic('alice', 'nope') }, TOKEN, keys, NOW)).toBeUndefined();
    expect(readVisitor({ authorization: basic(TOKEN, '') }, TOKEN, keys, NOW)).toBeUndefined();
    expect(readVisitor({ authorization: 'Digest x' }, TOKEN, keys, NOW)).toBeUndefined();
  });

  it('lets a logged-in session in, but a visit (login form only) has no name', () => {
    const login = readVisitor(
      { cookie: cookie({ sid: 's1', user: 'bob', exp: NOW + 1000 }) },
      TOKEN,
      keys,
      NOW,
    );
    expect(login).toMatchObject({ sid: 's1', name: 'bob', via: 'session' });
    const visit = readVisitor({ cookie: cookie({ sid: 's2', exp: NOW + 1000 }) }, TOKEN, keys, NOW);
    expect(visit).toMatchObject({ sid: 's2', via: 'visit' });
    expect(visit?.name).toBeUndefined();
  });

  it('ignores expired and forged cookies', () => {
    expect(
      readVisitor({ cookie: cookie({ sid: 's1', user: 'bob', exp: NOW }) }, TOKEN, keys, NOW),
    ).toBeUndefined();
    const foreign = `${COOKIE}=${signSession({ sid: 's1', user: 'bob', exp: NOW + 1000 }, deriveKeys('x').session)}`;
    expect(readVisitor({ cookie: foreign }, TOKEN, keys, NOW)).toBeUndefined();
  });

  it('with no operator token, names a visitor "operator" and ignores Authorization', () => {
    const open = deriveKeys(undefined);
    const value = signSession({ sid: 's3', exp: NOW + 1000 }, open.session);
    expect(readVisitor({ cookie: `${COOKIE}=${value}` }, undefined, open, NOW)).toMatchObject({
      sid: 's3',
      name: 'operator',
    });
    expect(readVisitor({ authorization: 'Bearer anything' }, undefined, open, NOW)).toBeUndefined();
  });
});

describe('operatorName', () => {
  it('trims, drops control characters, caps the length and defaults to operator', () => {
    expect(operatorName('  alice ')).toBe('alice');
    expect(operatorName('a\nb\u0000c')).toBe('abc');
    expect(operatorName('x'.repeat(300))).toHaveLength(100);
    expect(operatorName('  ')).toBe('operator');
    expect(operatorName(undefined)).toBe('operator');
  });
});

describe('safeNext', () => {
  it('returns to console paths only: no open redirect', () => {
    expect(safeNext('/ui/runs?status=failed')).toBe('/ui/runs?status=failed');
    expect(safeNext('/ui')).toBe('/ui');
    for (const bad of [
      '//evil.example',
      '/ui//evil.example',
      'https://evil.example/ui',
      '/uix',
      '/ui/\\evil',
      '/api/v1/runs',
      undefined,
      '',
    ]) {
      expect(safeNext(bad), String(bad)).toBe('/ui/runs');
    }
  });
});

describe('cookies', () => {
  it('parses a Cookie header, first value of a name winning', () => {
    const parsed = parseCookies(' a=1; b = two ;a=3; junk; c=x=y');
    expect([...parsed]).toEqual([
      ['a', '1'],
      ['b', 'two'],
      ['c', 'x=y'],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('sets HttpOnly and SameSite=Strict always, Secure when asked', () => {
    const plain = serializeCookie('n', 'v.1-_', { maxAgeS: 60, path: '/ui', secure: false });
    expect(plain).toBe('n=v.1-_; Path=/ui; Max-Age=60; HttpOnly; SameSite=Strict');
    expect(serializeCookie('n', '', { maxAgeS: 0, path: '/ui', secure: true })).toBe(
      'n=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict; Secure',
    );
    expect(() => serializeCookie('n', 'a;b', { maxAgeS: 1, path: '/', secure: false })).toThrow(/base64url/);
  });
});
