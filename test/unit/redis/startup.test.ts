import { describe, expect, it } from 'vitest';
import { safeRedisError } from '../../../src/redis/error-log.ts';
import { refusal } from '../../../src/redis/startup.ts';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('refusal', () => {
  it('tells credentials Redis refused and failed TLS handshakes from outages', () => {
    expect(refusal(new Error('WRONGPASS invalid username-password pair or user is disabled.'))).toBe('auth');
    expect(refusal(new Error('NOAUTH Authentication required.'))).toBe('auth');
    expect(refusal(new Error("NOPERM this user has no permissions to run the 'info' command"))).toBe('auth');
    expect(refusal(new Error('ERR invalid password'))).toBe('auth');
    expect(
      refusal(withCode('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN')),
    ).toBe('tls');
    expect(
      refusal(withCode('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')),
    ).toBe('tls');
    expect(
      refusal(withCode("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID')),
    ).toBe('tls');
    expect(refusal(withCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED'))).toBeUndefined();
    expect(refusal(withCode('read ECONNRESET', 'ECONNRESET'))).toBeUndefined();
    expect(refusal(new Error('connect ETIMEDOUT'))).toBeUndefined();
    expect(refusal('WRONGPASS')).toBeUndefined();
  });
});

describe('safeRedisError', () => {
  it('keeps the message and code, and drops the command ioredis attaches (HELLO 3 AUTH user password)', () => {
    const err = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'hello', args: ['3', 'AUTH', 'default', 'hunter2'] },
      code: 'WRONGPASS',
    });
    const safe = safeRedisError(err);
    expect(safe).toEqual({
      type: 'Error',
      message: 'WRONGPASS invalid username-password pair',
      code: 'WRONGPASS',
    });
    expect(JSON.stringify(safe)).not.toContain('hunter2');
  });
});
