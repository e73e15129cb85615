import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashSteps, signLink, verifyLink } from '../../../src/policy/approval-link.ts';
import type { RenderedAction } from '../../../src/types.ts';

const secret = Buffer.from('0123456789abcdef0123456789abcdef');
const restart: RenderedAction = { kind: 'ssh', argv: ['systemctl', 'restart', 'db'], timeoutMs: 1000 };
const claims = {
  runId: 'r1',
  requestId: 'q1',
  decision: 'approve' as const,
  stepsHash: 'h'.repeat(64),
  expiresAt: 2_000,
};

describe('signed approval links', () => {
  it('verifies a link it signed, before its expiry', () => {
    expect(verifyLink(secret, signLink(secret, claims), 1_999)).toEqual({ ok: true, claims });
  });

  it('refuses an expired link', () => {
    const check = verifyLink(secret, signLink(secret, claims), 2_000);
    expect(check).toEqual({
      ok: false,
      code: 'E_LINK_EXPIRED',
      message: 'the link expired at 1970-01-01T00:00:02.000Z',
    });
  });

  it('refuses a link whose payload was changed (another decision, run or expiry)', () => {
    const [, sig] = signLink(secret, claims).split('.');
    for (const changed of [
      { ...claims, decision: 'deny' as const },
      { ...claims, runId: 'r2' },
      { ...claims, requestId: 'q2' },
      { ...claims, expiresAt: 9_999_999 },
      { ...claims, stepsHash: 'x'.repeat(64) },
    ]) {
      const [payload] = signLink(secret, changed).split('.');
      const check = verifyLink(secret, `${payload}.${sig}`, 0);
      expect(check).toMatchObject({ ok: false, code: 'E_LINK_SIGNATURE' });
    }
  });

  it('refuses a link signed with another secret, and a cut or doctored signature', () => {
    const token = signLink(Buffer.from('another secret, just as long....'), claims);
    expect(verifyLink(secret, token, 0)).toMatchObject({ ok: false, code: 'E_LINK_SIGNATURE' });
    const good = signLink(secret, claims);
    expect(verifyLink(secret, good.slice(0, -3), 0)).toMatchObject({ ok: false, code: 'E_LINK_SIGNATURE' });
    expect(verifyLink(secret, `${good}AA`, 0)).toMatchObject({ ok: false, code: 'E_LINK_SIGNATURE' });
  });

  it('refuses a version 1 link (it named the run only, not the request), even correctly signed', () => {
    const payload = Buffer.from(JSON.stringify([1, 'r1', 'approve', 'h'.repeat(64), 2_000])).toString(
      'base64url',
    );
    const mac = createHmac('sha256', secret).update(payload).digest('base64url');
    expect(verifyLink(secret, `${payload}.${mac}`, 0)).toEqual({
      ok: false,
      code: 'E_LINK_MALFORMED',
      message:
        'this is not an approval link remediator made (made by an older version, before each request had its own id; answer in the console)',
    });
  });

  it('refuses text that is no link at all', () => {
    for (const token of ['', 'abc', '.abc', 'a'.repeat(3000) + '.b'])
      expect(verifyLink(secret, token, 0)).toMatchObject({ ok: false, code: 'E_LINK_MALFORMED' });
  });

  it('hashes the rendered steps: any change to a name or an action changes the hash', () => {
    const base = hashSteps([{ name: 'restart', action: restart }]);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSteps([{ name: 'restart', action: restart }])).toBe(base);
    expect(
      hashSteps([{ name: 'restart', action: { ...restart, argv: ['systemctl', 'stop', 'db'] } }]),
    ).not.toBe(base);
    expect(hashSteps([{ name: 'restart2', action: restart }])).not.toBe(base);
  });
});
