import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RemediatorError } from '../../../src/errors.ts';
import {
  blobKeyType,
  fingerprint,
  hostKeyAlgorithms,
  hostKeyPolicy,
  hostMatches,
  knownHostKeys,
  parsePublicKey,
  verifyHostKey,
  type HostKeyVerdict,
} from '../../../src/execute/host-key.ts';

function lengthPrefixed(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

/** A wire-format key blob of the given type; the key material is random, which is all these tests need. */
function fakeKey(type = 'ssh-ed25519'): { line: string; blob: Buffer } {
  const blob = Buffer.concat([lengthPrefixed(Buffer.from(type)), lengthPrefixed(randomBytes(32))]);
  return { line: `${type} ${blob.toString('base64')}`, blob };
}

/** A known_hosts host field as `ssh-keygen -H` writes it. */
function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

function refusal(verdict: HostKeyVerdict): { reason: string; message: string } {
  if (verdict.ok) throw new Error('expected the key to be refused');
  return verdict;
}

const server = fakeKey();
const other = fakeKey();

describe('parsePublicKey', () => {
  it('reads "type base64" with or without a comment', () => {
    expect(parsePublicKey(server.line)).toEqual({ type: 'ssh-ed25519', blob: server.blob });
    expect(parsePublicKey(`  ${server.line}  root@db1 (2024)\n`)?.blob).toEqual(server.blob);
  });

  it.each([
    ['', 'empty'],
    ['ssh-ed25519', 'no key'],
    ['ssh-rsa ' + server.line.split(' ')[1], 'a type that does not match the blob'],
    ['ssh-ed25519 not*base64', 'invalid base64'],
    ['ssh-ed25519 AAAA', 'a blob too short to hold its type'],
    [`[db1]:2222 ${server.line}`, 'a whole ssh-keyscan line'],
  ])('refuses %j (%s)', (text) => {
    expect(parsePublicKey(text)).toBeUndefined();
  });

  it('reads the type inside a blob', () => {
    expect(blobKeyType(server.blob)).toBe('ssh-ed25519');
    expect(blobKeyType(Buffer.from([0, 0, 0, 9, 1]))).toBeUndefined();
  });
});

describe('hostMatches', () => {
  it.each([
    ['db1', 'db1', true],
    ['DB1', 'db1', true],
    ['db2', 'db1', false],
    ['db0,db1,10.0.0.1', 'db1', true],
    ['[db1]:2222', '[db1]:2222', true],
    ['[db1]:2222', '[db1]:2223', false],
    ['db*.example.com', 'db7.example.com', true],
    ['db?', 'db12', false],
    ['*.example.com,!evil.example.com', 'evil.example.com', false],
    ['!evil.example.com,*.example.com', 'db.example.com', true],
    ['a.b', 'axb', false],
  ])('%s against %s is %s', (field, name, expected) => {
    expect(hostMatches(field, name)).toBe(expected);
  });

  it('matches hashed entries by HMAC-SHA1 of the name', () => {
    expect(hostMatches(hashed('db1'), 'db1')).toBe(true);
    expect(hostMatches(hashed('[db1]:2222'), '[db1]:2222')).toBe(true);
    expect(hostMatches(hashed('db1'), 'db2')).toBe(false);
    expect(hostMatches('|2|abc|def', 'db1')).toBe(false);
    expect(hostMatches('|1|broken', 'db1')).toBe(false);
  });
});

describe('knownHostKeys', () => {
  it('uses plain names on port 22 and [host]:port elsewhere', () => {
    const text = `db1 ${server.line}\n[db1]:2222 ${other.line}\n`;
    expect(knownHostKeys(text, 'db1', 22).trusted.map((k) => k.blob)).toEqual([server.blob]);
    expect(knownHostKeys(text, 'db1', 2222).trusted.map((k) => k.blob)).toEqual([other.blob]);
    expect(knownHostKeys(text, 'db1', 2200).trusted).toEqual([]);
  });

  it('skips comments, blank lines, malformed lines and @cert-authority keys', () => {
    const text = [
      '# db1 is managed by ansible',
      '',
      `db1 ssh-ed25519`,
      `db1 ssh-rsa ${server.line.split(' ')[1]}`,
      `@cert-authority db1 ${other.line}`,
      `@unknown-marker db1 ${other.line}`,
      `\tdb1,db1.example.com ${server.line} comment with spaces`,
    ].join('\r\n');
    const { trusted, revoked } = knownHostKeys(text, 'db1', 22);
    expect(trusted.map((k) => k.blob)).toEqual([server.blob]);
    expect(revoked).toEqual([]);
  });

  it('collects @revoked keys whatever host they name', () => {
    const { trusted, revoked } = knownHostKeys(`@revoked elsewhere ${server.line}\n`, 'db1', 22);
    expect(trusted).toEqual([]);
    expect(revoked.map((k) => k.blob)).toEqual([server.blob]);
  });
});

describe('verifyHostKey', () => {
  const base = { host: 'db1', port: 2222 };

  it('accepts a pinned key', () => {
    expect(verifyHostKey(hostKeyPolicy({ ...base, pinned: [other.line, server.line] }), server.blob)).toEqual(
      {
        ok: true,
      },
    );
  });

  it('accepts a known_hosts key, hashed or not', () => {
    for (const field of ['[db1]:2222', hashed('[db1]:2222'), 'db0,[db1]:2222']) {
      const policy = hostKeyPolicy({ ...base, pinned: [], knownHosts: `${field} ${server.line}\n` });
      expect(verifyHostKey(policy, server.blob)).toEqual({ ok: true });
    }
  });

  it('calls a host with no trusted key unknown and says how to pin one', () => {
    const policy = hostKeyPolicy({ ...base, pinned: [], knownHosts: `db2 ${other.line}\n` });
    const { reason, message } = refusal(verifyHostKey(policy, server.blob));
    expect(reason).toBe('unknown-host');
    expect(message).toBe(
      `the host key of db1 port 2222 is unknown (server offered ssh-ed25519 ${fingerprint(server.blob)}); ` +
        "check that key out of band, then pin it in the target's hostKeys or known_hosts file, e.g. from " +
        '`ssh-keyscan -p 2222 db1`',
    );
  });

  it('calls a different key for a known host a changed key', () => {
    const policy = hostKeyPolicy({ ...base, pinned: [other.line] });
    const { reason, message } = refusal(verifyHostKey(policy, server.blob));
    expect(reason).toBe('changed-key');
    expect(message).toMatch(
      /^the host key of db1 port 2222 has CHANGED: the server offered ssh-ed25519 SHA256:/,
    );
    expect(message).toContain('man-in-the-middle');
    expect(message).toContain('`ssh-keyscan -p 2222 db1`');
  });

  it('refuses a @revoked key even when it is pinned', () => {
    const policy = hostKeyPolicy({
      ...base,
      pinned: [server.line],
      knownHosts: `@revoked * ${server.line}\n`,
    });
    expect(refusal(verifyHostKey(policy, server.blob)).reason).toBe('revoked-key');
  });

  it('refuses a malformed pinned key when the policy is built', () => {
    const build = () => hostKeyPolicy({ ...base, pinned: [server.line, 'ssh-ed25519 AAAA'] });
    expect(build).toThrow(RemediatorError);
    expect(build).toThrow(/^hostKeys\[1\] for db1 is not a public key of the form "type base64"/);
  });

  it('shows fingerprints the way ssh-keygen does', () => {
    expect(fingerprint(server.blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('hostKeyAlgorithms', () => {
  it('asks the server only for the types of the trusted keys, strongest first', () => {
    const rsa = fakeKey('ssh-rsa');
    const ecdsa = fakeKey('ecdsa-sha2-nistp256');
    const policy = hostKeyPolicy({ host: 'db1', port: 22, pinned: [rsa.line, ecdsa.line, server.line] });
    expect(hostKeyAlgorithms(policy)).toEqual([
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
  });

  it('leaves the defaults when no key is trusted', () => {
    expect(hostKeyAlgorithms(hostKeyPolicy({ host: 'db1', port: 22, pinned: [] }))).toBeUndefined();
  });
});
