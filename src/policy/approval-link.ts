import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RenderedAction } from '../types.ts';
import type { ApprovalDecision } from './approval-types.ts';

/**
 * What a signed approval link says: this decision, for this one request of this run, for exactly
 * these steps, until then. The request id makes a used link worthless for the run's later requests.
 */
export interface LinkClaims {
  readonly runId: string;
  readonly requestId: string;
  readonly decision: ApprovalDecision;
  readonly stepsHash: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

export type LinkCheck =
  | { ok: true; claims: LinkClaims }
  | { ok: false; code: 'E_LINK_MALFORMED' | 'E_LINK_SIGNATURE' | 'E_LINK_EXPIRED'; message: string };

// 2: the request id joined the claims (version 1 links named the run only, so they are refused).
const VERSION = 2;

/** sha256 (hex) of the rendered steps an approver is shown: names and exact actions, in order. */
export function hashSteps(steps: ReadonlyArray<{ name: string; action?: RenderedAction }>): string {
  const canonical = JSON.stringify(steps.map((s) => [s.name, s.action ?? null]));
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * `payload.signature`, both base64url: the payload is the claims as a JSON array, the signature
 * HMAC-SHA256 over the payload's bytes with the approval secret.
 */
export function signLink(secret: Buffer, claims: LinkClaims): string {
  const payload = Buffer.from(
    JSON.stringify([
      VERSION,
      claims.runId,
      claims.requestId,
      claims.decision,
      claims.stepsHash,
      claims.expiresAt,
    ]),
  ).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** Checks the signature (in constant time) before reading anything, then the expiry. */
export function verifyLink(secret: Buffer, token: string, now: number): LinkCheck {
  const malformed = (why: string): LinkCheck => ({
    ok: false,
    code: 'E_LINK_MALFORMED',
    message: `this is not an approval link remediator made (${why})`,
  });
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 2048) return malformed('wrong shape');
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      code: 'E_LINK_SIGNATURE',
      message: 'the link was changed or signed with another secret: it is not valid',
    };
  }
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return malformed('unreadable payload');
  }
  if (Array.isArray(fields) && fields[0] === 1)
    return malformed('made by an older version, before each request had its own id; answer in the console');
  if (!Array.isArray(fields) || fields[0] !== VERSION) return malformed('unknown version');
  const [, runId, requestId, decision, stepsHash, expiresAt] = fields as unknown[];
  if (
    typeof runId !== 'string' ||
    typeof requestId !== 'string' ||
    (decision !== 'approve' && decision !== 'deny') ||
    typeof stepsHash !== 'string' ||
    typeof expiresAt !== 'number'
  )
    return malformed('missing fields');
  if (now >= expiresAt) {
    return {
      ok: false,
      code: 'E_LINK_EXPIRED',
      message: `the link expired at ${new Date(expiresAt).toISOString()}`,
    };
  }
  return { ok: true, claims: { runId, requestId, decision, stepsHash, expiresAt } };
}

function mac(secret: Buffer, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}
