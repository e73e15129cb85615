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
  const host = '127.0.0.1:9787';

  it('lets a POST without Origin through (the token decides), and same-host ones', () => {
    expect(originAllowed({ host })).toBe(true);
    expect(originAllowed({ origin: 'http://127.0.0.1:9787', host })).toBe(true);
    expect(originAllowed({ origin: 'https://Remediator.Example', host: 'remediator.example' })).toBe(true);
    // A default port in the Host header is the same origin.
    expect(originAllowed({ origin: 'http://remediator.example', host: 'remediator.example:80' })).toBe(true);
  });

  it('accepts the public URL behind a proxy that rewrites Host', () => {
    expect(
      originAllowed({ origin: 'https://ops.example', host: '10.0.0.5:9787' }, 'https://ops.example'),
    ).toBe(true);
    expect(
      originAllowed({ origin: 'http://ops.example', host: '10.0.0.5:9787' }, 'https://ops.example'),
    ).toBe(false);
  });

  it('refuses other sites, other ports and non-http origins', () => {
    expect(originAllowed({ origin: 'http://evil.example', host })).toBe(false);
    expect(originAllowed({ origin: 'http://127.0.0.1:9788', host })).toBe(false);
    expect(originAllowed({ origin: 'http://127.0.0.1', host })).toBe(false);
    expect(originAllowed({ origin: 'file://', host: 'localhost' })).toBe(false);
    expect(originAllowed({ origin: 'http://evil.example' })).toBe(false);
  });

  it('takes Origin null (our own forms under no-referrer) only when the browser says same-origin', () => {
    expect(originAllowed({ origin: 'null', fetchSite: 'same-origin', host })).toBe(true);
    expect(originAllowed({ origin: 'null', host })).toBe(false);
    expect(originAllowed({ origin: 'null', fetchSite: 'cross-site', host })).toBe(false);
  });

  it('refuses what the browser says came from elsewhere, whatever the Origin', () => {
    for (const fetchSite of ['cross-site', 'same-site', 'none']) {
      expect(originAllowed({ origin: 'http://127.0.0.1:9787', fetchSite, host }), fetchSite).toBe(false);
      expect(originAllowed({ fetchSite, host }), fetchSite).toBe(false);
    }
    expect(originAllowed({ origin: 'http://127.0.0.1:9787', fetchSite: 'same-origin', host })).toBe(true);
  });
});
