import { describe, expect, it } from 'vitest';
import { csrfToken, csrfValid, originAllowed } from '../../../../src/http/ui/csrf.ts';
import { deriveKeys } from '../../../../src/http/ui/session.ts';

const key = deriveKeys('operator-token').csrf;

describe('CSRF token', () => {
  it("accepts the session's own token", () => {
    expect(csrfValid(csrfToken('sid-1', key), 'sid-1', key)).toBe(true);
  });

  it("refuses another session's token, another key's, a missing or a mangled one", () => {
    const token = csrfToken('sid-1', key);
    expect(csrfValid(csrfToken('sid-2', key), 'sid-1', key)).toBe(false);
    expect(csrfValid(csrfToken('sid-1', deriveKeys('other').csrf), 'sid-1', key)).toBe(false);
    for (const given of [undefined, '', null, 42, ['x'], token.slice(1), `${token}x`, token.toUpperCase()]) {
      expect(csrfValid(given, 'sid-1', key), String(given)).toBe(false);
    }
  });
});

describe('Origin check', () => {
  it('lets a POST without Origin through (the token decides), and same-host ones', () => {
    expect(originAllowed(undefined, '127.0.0.1:9787')).toBe(true);
    expect(originAllowed('http://127.0.0.1:9787', '127.0.0.1:9787')).toBe(true);
    expect(originAllowed('https://Remediator.Example', 'remediator.example')).toBe(true);
    // A default port in the Host header is the same origin.
    expect(originAllowed('http://remediator.example', 'remediator.example:80')).toBe(true);
  });

  it('accepts the public URL behind a proxy that rewrites Host', () => {
    expect(originAllowed('https://ops.example', '10.0.0.5:9787', 'https://ops.example')).toBe(true);
    expect(originAllowed('http://ops.example', '10.0.0.5:9787', 'https://ops.example')).toBe(false);
  });

  it('refuses other sites, other ports, null and non-http origins', () => {
    expect(originAllowed('http://evil.example', '127.0.0.1:9787')).toBe(false);
    expect(originAllowed('http://127.0.0.1:9788', '127.0.0.1:9787')).toBe(false);
    expect(originAllowed('http://127.0.0.1', '127.0.0.1:9787')).toBe(false);
    expect(originAllowed('null', '127.0.0.1:9787')).toBe(false);
    expect(originAllowed('file://', 'localhost')).toBe(false);
    expect(originAllowed('http://evil.example', undefined)).toBe(false);
  });
});
