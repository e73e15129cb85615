import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { announceSecret, loadApprovalSecret, secretId } from '../../../src/policy/approval-secret.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'approval-secret-'));
  dirs.push(dir);
  return dir;
}

describe('loadApprovalSecret', () => {
  it('uses the configured secret as it is, and writes no file', async () => {
    const dir = await tempDir();
    expect(await loadApprovalSecret('configured-secret-0123', dir)).toEqual(
      Buffer.from('configured-secret-0123'),
    );
    await expect(stat(join(dir, 'approval-secret'))).rejects.toThrow(/ENOENT/);
  });

  it('makes a 0600 file on first start and reads the same secret after', async () => {
    const dir = join(await tempDir(), 'data');
    const first = await loadApprovalSecret(undefined, dir);
    expect((await stat(join(dir, 'approval-secret'))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(first.toString()).toBe((await readFile(join(dir, 'approval-secret'), 'utf8')).trim());
    expect(await loadApprovalSecret(undefined, dir)).toEqual(first);
  });

  it('treats the file as REMEDIATOR_APPROVAL_SECRET_FILE would, so replicas can be given a copy', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'approval-secret'), 'shared-by-every-replica\n', { mode: 0o644 });
    expect(await loadApprovalSecret(undefined, dir)).toEqual(Buffer.from('shared-by-every-replica'));
    expect((await stat(join(dir, 'approval-secret'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a file too short to sign with, naming it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'approval-secret'), 'short\n');
    await expect(loadApprovalSecret(undefined, dir)).rejects.toMatchObject({
      code: 'E_APPROVAL_SECRET',
      message: `${join(dir, 'approval-secret')}: too short to sign links safely (16 characters or more); delete it and a new one is made`,
    });
  });
});

describe('announceSecret', () => {
  it('stores a fingerprint, not the secret, and warns when another process signs with another', async () => {
    const secret = Buffer.from('one-secret-of-sixteen-or-more');
    const stored: string[] = [];
    const warnings: object[] = [];
    const store = {
      swapSecretId: async (id: string) => {
        stored.push(id);
        return stored.length > 1 ? stored[stored.length - 2]! : null;
      },
    };
    await announceSecret(secret, store, (fields) => void warnings.push(fields));
    await announceSecret(secret, store, (fields) => void warnings.push(fields));
    expect(warnings).toEqual([]);
    expect(stored[0]).toBe(secretId(secret));
    expect(stored[0]).not.toContain(secret.toString());
    await announceSecret(
      Buffer.from('another-secret-entirely-0123'),
      store,
      (fields) => void warnings.push(fields),
    );
    expect(warnings).toEqual([
      { code: 'E_APPROVAL_SECRET', secretId: stored[2], otherSecretId: secretId(secret) },
    ]);
  });
});
