import { describe, expect, it } from 'vitest';
import { excerpt } from '../../../src/execute/executor.ts';
import { configuredSecrets, createRedactor, redactingLogger } from '../../../src/record/redact.ts';
import type { Inventory } from '../../../src/types.ts';

describe('createRedactor', () => {
  it('replaces every occurrence of every secret', () => {
    const redact = createRedactor(['s3cret-token', 'hunter2!']);
    expect(redact('a s3cret-token b s3cret-token c hunter2!')).toBe('a [REDACTED] b [REDACTED] c [REDACTED]');
  });

  it('replaces a secret that holds another one whole, longest first', () => {
    const redact = createRedactor(['abcd', 'xxabcdxx']);
    expect(redact('1 xxabcdxx 2 abcd')).toBe('1 [REDACTED] 2 [REDACTED]');
  });

  it('leaves values under 4 characters alone, and text unchanged without secrets', () => {
    expect(createRedactor(['', 'abc'])('abc')).toBe('abc');
    expect(createRedactor([])('anything')).toBe('anything');
  });

  it.each([2040, 2045, 2048, 2050, 2055])(
    'redacts the parts of a secret that cutting a long output at byte %i left on both sides',
    (at) => {
      const secret = 'Zq9-secret-value-0123';
      const body = `${'a'.repeat(at)}${secret}${'b'.repeat(6000)}${secret}${'c'.repeat(at)}`;
      const kept = createRedactor([secret])(excerpt(body));
      expect(kept).toContain('bytes truncated');
      for (let i = 0; i + 4 <= secret.length; i++) expect(kept).not.toContain(secret.slice(i, i + 4));
    },
  );

  it('takes secrets with regex characters literally', () => {
    expect(createRedactor(['a.b*c$1'])('xa.b*c$1y aXbbc')).toBe('x[REDACTED]y aXbbc');
  });
});

describe('configuredSecrets', () => {
  it("collects settings' tokens and passwords, the Redis password and the inventory's resolved values", () => {
    const inventory: Inventory = new Map([
      ['api', { name: 'api', http: { baseUrl: 'http://a', headers: {}, secrets: ['inv-secret'] } }],
      ['db', { name: 'db' }],
    ]);
    const secrets = configuredSecrets(
      {
        redisUrl: 'redis://:p%40ss-word@127.0.0.1:6379/0',
        webhookToken: 'hook-token',
        webhookBasic: { password: 'basic-pass' },
        operatorToken: 'op-token',
        approvalSecret: 'approval-secret-0123456789',
        slackSigningSecret: 'slack-secret',
      },
      inventory,
    );
    expect(secrets.sort()).toEqual(
      [
        'hook-token',
        'basic-pass',
        'op-token',
        'approval-secret-0123456789',
        'slack-secret',
        'p@ss-word',
        'inv-secret',
      ].sort(),
    );
    expect(configuredSecrets({ redisUrl: 'redis://127.0.0.1:6379' }, new Map())).toEqual([]);
  });
});

describe('redactingLogger', () => {
  it('redacts fields at any depth, errors and the message, and keeps the rest', () => {
    const lines: [string, object, string | undefined][] = [];
    const sink = (level: string) => (obj: object, msg?: string) => void lines.push([level, obj, msg]);
    const log = redactingLogger(
      { debug: sink('debug'), info: sink('info'), warn: sink('warn'), error: sink('error') },
      createRedactor(['tok-123456']),
    );
    log.warn(
      { runId: 'r', n: 3, deep: { list: ['a tok-123456'] }, err: new Error('bad tok-123456') },
      'x tok-123456',
    );
    expect(lines).toEqual([
      ['warn', { runId: 'r', n: 3, deep: { list: ['a [REDACTED]'] }, err: 'bad [REDACTED]' }, 'x [REDACTED]'],
    ]);
  });
});
