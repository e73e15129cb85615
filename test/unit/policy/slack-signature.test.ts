import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSlackSignature } from '../../../src/policy/slack-signature.ts';

const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
const ts = 1_790_000_000;
const sign = (t: number, b = body, s = secret) =>
  `v0=${createHmac('sha256', s).update(`v0:${t}:${b}`).digest('hex')}`;
const now = ts * 1000;

describe("Slack's request signature", () => {
  it('accepts a request signed with the signing secret within five minutes', () => {
    expect(checkSlackSignature(secret, { timestamp: String(ts), signature: sign(ts) }, body, now)).toEqual({
      ok: true,
    });
    expect(
      checkSlackSignature(secret, { timestamp: String(ts), signature: sign(ts) }, body, now + 299_000),
    ).toEqual({ ok: true });
  });

  it('refuses an old or future timestamp even with a valid signature (replay)', () => {
    for (const at of [now + 301_000, now - 301_000]) {
      expect(checkSlackSignature(secret, { timestamp: String(ts), signature: sign(ts) }, body, at)).toEqual({
        ok: false,
        message: 'X-Slack-Request-Timestamp is more than 5 minutes away: refused as a replay',
      });
    }
  });

  it('refuses a wrong secret, a changed body, a missing or malformed header', () => {
    const headers = (signature?: string, timestamp: string | undefined = String(ts)) => ({
      ...(timestamp !== undefined ? { timestamp } : {}),
      ...(signature !== undefined ? { signature } : {}),
    });
    const mismatch = { ok: false, message: 'X-Slack-Signature does not match' };
    expect(checkSlackSignature(secret, headers(sign(ts, body, 'other')), body, now)).toEqual(mismatch);
    expect(checkSlackSignature(secret, headers(sign(ts)), `${body}x`, now)).toEqual(mismatch);
    expect(checkSlackSignature(secret, headers(undefined), body, now)).toEqual(mismatch);
    expect(checkSlackSignature(secret, { signature: sign(ts) }, body, now)).toEqual({
      ok: false,
      message: 'missing or malformed X-Slack-Request-Timestamp',
    });
    expect(checkSlackSignature(secret, headers(sign(ts), '12abc'), body, now)).toEqual({
      ok: false,
      message: 'missing or malformed X-Slack-Request-Timestamp',
    });
  });
});
