import type { ApprovalStore } from '../stores/types.ts';

/**
 * The approval-link secret: the configured one, or the random one every process shares through
 * Redis. Read once and kept; a failed read (Redis away) is tried again next time.
 */
export function approvalSecret(configured: string | undefined, store: ApprovalStore): () => Promise<Buffer> {
  if (configured !== undefined) {
    const fixed = Buffer.from(configured, 'utf8');
    return () => Promise.resolve(fixed);
  }
  let cached: Promise<Buffer> | undefined;
  return () => {
    cached ??= store.sharedSecret().catch((err: unknown) => {
      cached = undefined;
      throw err;
    });
    return cached;
  };
}
