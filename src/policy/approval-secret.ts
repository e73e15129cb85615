import { createHmac, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readOrCreatePrivateFile } from '../config/private-file.ts';
import { RemediatorError } from '../errors.ts';
import type { ApprovalStore } from '../stores/types.ts';

/** The default home of the link secret, in the data directory. */
export const APPROVAL_SECRET_FILE = 'approval-secret';

/**
 * The approval-link secret, as bytes: REMEDIATOR_APPROVAL_SECRET(_FILE) when set, else the content of
 * `<dataDir>/approval-secret`, made (32 random bytes, base64url, mode 0600) on first start. Never in
 * Redis: whoever can read Redis (a replica, a backup, a local user of the server) could otherwise
 * mint approve links. The file's text is used exactly as a configured secret would be, so copying it
 * into REMEDIATOR_APPROVAL_SECRET_FILE of other replicas makes them share it.
 *
 * @throws RemediatorError `E_APPROVAL_SECRET` when the file cannot be read or made
 */
export async function loadApprovalSecret(configured: string | undefined, dataDir: string): Promise<Buffer> {
  if (configured !== undefined) return Buffer.from(configured, 'utf8');
  const file = join(dataDir, APPROVAL_SECRET_FILE);
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const fresh = `${randomBytes(32).toString('base64url')}\n`;
    const text = (await readOrCreatePrivateFile(file, fresh)).replace(/\r?\n$/, '');
    if (text.length >= 16) return Buffer.from(text, 'utf8');
  } catch (err) {
    throw new RemediatorError(
      'E_APPROVAL_SECRET',
      `${file}: cannot read or create the approval-link secret (${(err as Error).message}); ` +
        'fix its permissions or set REMEDIATOR_APPROVAL_SECRET_FILE',
      { cause: err },
    );
  }
  throw new RemediatorError(
    'E_APPROVAL_SECRET',
    `${file}: too short to sign links safely (16 characters or more); delete it and a new one is made`,
  );
}

/** A fingerprint of the secret, safe to store: it tells secrets apart but cannot sign a link. */
export function secretId(secret: Buffer): string {
  return createHmac('sha256', secret).update('remediator approval-secret id').digest('hex').slice(0, 16);
}

/**
 * Records this process's secret fingerprint in Redis (and deletes a secret an earlier version kept
 * there). Replicas that do not share the secret cannot verify each other's links, so a different
 * fingerprint left by another process is reported through `warn`. Never throws: Redis may be away
 * at start-up, and links work without this check.
 */
export async function announceSecret(
  secret: Buffer,
  store: Pick<ApprovalStore, 'swapSecretId'>,
  warn: (fields: object, msg: string) => void,
): Promise<void> {
  const id = secretId(secret);
  try {
    const before = await store.swapSecretId(id);
    if (before !== null && before !== id) {
      warn(
        { code: 'E_APPROVAL_SECRET', secretId: id, otherSecretId: before },
        'another remediator process on this Redis signs approval links with a different secret: links ' +
          'it made are refused here. Give every replica the same REMEDIATOR_APPROVAL_SECRET(_FILE) ' +
          '(harmless once after the secret was changed on purpose)',
      );
    }
  } catch (err) {
    warn({ err: (err as Error).message }, 'could not record the approval secret fingerprint in Redis');
  }
}
