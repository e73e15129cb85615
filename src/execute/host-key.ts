/**
 * SSH host key checking, fail closed: a server is trusted only when the key it offers equals a pinned
 * key or a known_hosts entry for that host and port. Everything here is pure; the executor reads the
 * files and hands their text in.
 */
import { createHash, createHmac } from 'node:crypto';
import { RemediatorError } from '../errors.ts';

/** A public key as SSH sends it on the wire (the base64 of an OpenSSH key line, decoded). */
export interface PublicKey {
  readonly type: string;
  readonly blob: Buffer;
}

/** The keys that decide about one host. Build it with {@link hostKeyPolicy}. */
export interface HostKeyPolicy {
  readonly host: string;
  readonly port: number;
  readonly trusted: readonly PublicKey[];
  /** Keys under `@revoked` anywhere in known_hosts: refused for every host, even when pinned. */
  readonly revoked: readonly PublicKey[];
}

export type HostKeyRefusal = 'unknown-host' | 'changed-key' | 'revoked-key';

export type HostKeyVerdict =
  { readonly ok: true } | { readonly ok: false; readonly reason: HostKeyRefusal; readonly message: string };

/**
 * The server host key algorithms to offer, per trusted key type. The client must ask for a type it
 * holds a key of: a server with both ECDSA and Ed25519 keys would otherwise show whichever the client
 * prefers, and a correct pin of the other type would look like a changed key.
 */
const ALGORITHMS_BY_KEY_TYPE: Readonly<Record<string, readonly string[]>> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** The key type written inside a wire-format blob (a length-prefixed string), or undefined. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > blob.length) return undefined;
  return blob.toString('latin1', 4, 4 + length);
}

/**
 * Parses `type base64 [comment]`. Returns undefined unless the base64 decodes to a blob of the same
 * type, so a pasted key with a typo cannot silently stand for another.
 */
export function parsePublicKey(text: string): PublicKey | undefined {
  const [type, base64] = text.trim().split(/\s+/);
  if (type === undefined || base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  return blobKeyType(blob) === type ? { type, blob } : undefined;
}

/** OpenSSH's fingerprint, as `ssh-keygen -lf` and ssh's own prompts show it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The name known_hosts files a host under: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/**
 * Reads known_hosts text for one host. Malformed lines are skipped, as OpenSSH does: they cannot add
 * trust. `@cert-authority` lines are skipped too (certificates are not supported, and a CA key is not
 * a host key).
 */
export function knownHostKeys(
  text: string,
  host: string,
  port: number,
): { trusted: PublicKey[]; revoked: PublicKey[] } {
  const name = knownHostsName(host, port);
  const trusted: PublicKey[] = [];
  const revoked: PublicKey[] = [];
  for (const raw of text.split('\n')) {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
    const [patterns, type, base64] = fields;
    const key = parsePublicKey(`${type ?? ''} ${base64 ?? ''}`);
    if (patterns === undefined || key === undefined) continue;
    // A revoked key is refused for every host, not only the ones on its line: stricter than OpenSSH,
    // and a key someone revoked is not one to trust anywhere.
    if (marker === '@revoked') revoked.push(key);
    else if (marker === undefined && hostMatches(patterns, name)) trusted.push(key);
  }
  return { trusted, revoked };
}

/**
 * Whether a known_hosts host field matches: a hashed `|1|salt|hash` entry (HMAC-SHA1 of the name keyed
 * with the salt), or a comma list of names with `*`/`?` wildcards where any `!negated` match vetoes.
 */
export function hostMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedHostMatches(field, name);
  let matched = false;
  for (const pattern of field.toLowerCase().split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedHostMatches(field: string, name: string): boolean {
  const [, magic, salt, hash] = field.split('|');
  if (magic !== '1' || salt === undefined || hash === undefined) return false;
  const expected = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.equals(Buffer.from(hash, 'base64'));
}

function globMatches(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === name;
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`).test(name);
}

/**
 * Collects the keys that decide about a host: the pinned ones (`type base64 [comment]` each) and the
 * known_hosts entries for it.
 *
 * @throws RemediatorError E_HOST_KEY when a pinned key does not parse.
 */
export function hostKeyPolicy(options: {
  readonly host: string;
  readonly port: number;
  readonly pinned: readonly string[];
  readonly knownHosts?: string;
}): HostKeyPolicy {
  const { host, port } = options;
  const pinned = options.pinned.map((text, index) => {
    const key = parsePublicKey(text);
    if (key !== undefined) return key;
    throw new RemediatorError(
      'E_HOST_KEY',
      `hostKeys[${index}] for ${host} is not a public key of the form "type base64": pin the ` +
        `"ssh-ed25519 AAAA..." part of a line from \`ssh-keyscan -p ${port} ${host}\``,
    );
  });
  const known = knownHostKeys(options.knownHosts ?? '', host, port);
  return { host, port, trusted: [...pinned, ...known.trusted], revoked: known.revoked };
}

/** Server host key algorithms for the trusted key types; undefined (the defaults) when none is known. */
export function hostKeyAlgorithms(policy: HostKeyPolicy): string[] | undefined {
  // In the table's order, strongest first, whatever order the keys were listed in.
  const types = new Set(policy.trusted.map((key) => key.type));
  const algorithms = Object.entries(ALGORITHMS_BY_KEY_TYPE).flatMap(([type, names]) =>
    types.has(type) ? names : [],
  );
  return algorithms.length > 0 ? algorithms : undefined;
}

/** Decides about the key blob a server offered (what ssh2's `hostVerifier` receives). */
export function verifyHostKey(policy: HostKeyPolicy, offered: Buffer): HostKeyVerdict {
  const { host, port } = policy;
  const shown = `${blobKeyType(offered) ?? 'unknown-type'} ${fingerprint(offered)}`;
  const where = `${host} port ${port}`;
  const keyscan = `\`ssh-keyscan -p ${port} ${host}\``;
  if (policy.revoked.some((key) => key.blob.equals(offered))) {
    const message = `the host key of ${where} (${shown}) is marked @revoked in known_hosts; refusing to connect`;
    return { ok: false, reason: 'revoked-key', message };
  }
  if (policy.trusted.some((key) => key.blob.equals(offered))) return { ok: true };
  if (policy.trusted.length === 0) {
    const message =
      `the host key of ${where} is unknown (server offered ${shown}); check that key out of band, ` +
      `then pin it in the target's hostKeys or known_hosts file, e.g. from ${keyscan}`;
    return { ok: false, reason: 'unknown-host', message };
  }
  const message =
    `the host key of ${where} has CHANGED: the server offered ${shown}, which matches none of the ` +
    `${policy.trusted.length} trusted key(s); this may be a man-in-the-middle attack. If the host was ` +
    `reinstalled, check its new key out of band and pin it, e.g. from ${keyscan}`;
  return { ok: false, reason: 'changed-key', message };
}
