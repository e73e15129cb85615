import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's replay window: requests older (or newer) than this are refused. */
export const SLACK_MAX_SKEW_S = 300;

export type SlackCheck = { ok: true } | { ok: false; message: string };

/**
 * Slack's request signing: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the app's
 * signing secret, and a timestamp within five minutes (so a captured request cannot be replayed).
 */
export function checkSlackSignature(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  rawBody: string,
  nowMs: number,
): SlackCheck {
  const ts = headers.timestamp ?? '';
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, message: 'missing or malformed X-Slack-Request-Timestamp' };
  if (Math.abs(nowMs / 1000 - Number(ts)) > SLACK_MAX_SKEW_S)
    return {
      ok: false,
      message: 'X-Slack-Request-Timestamp is more than 5 minutes away: refused as a replay',
    };
  const given = Buffer.from(headers.signature ?? '');
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${ts}:${rawBody}`).digest('hex')}`,
  );
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, message: 'X-Slack-Signature does not match' };
  return { ok: true };
}
