/**
 * Secrets must not come back out of remediator: a target that echoes the request (an HTTP API that
 * repeats its headers, a command that prints its environment) would otherwise put the inventory's
 * `${file:}`/`${env:}` values into step output, and from there into run records (Redis and its AOF),
 * escalations and logs. One function, built at start-up from every configured secret value, replaces
 * them with REDACTED where step results enter the run (src/execute/step-exec.ts).
 */
import type { Inventory, Logger } from '../types.ts';

export type Redact = (text: string) => string;

export const REDACTED = '[REDACTED]';

/**
 * Secrets shorter than this are left alone: replacing a 1-3 character string everywhere would make
 * output unreadable and hide little (such a value is no secret).
 */
export const MIN_SECRET_LENGTH = 4;

/** Where excerpt() (src/execute/executor.ts) and the ssh capture cut the middle out of an output. */
const CUT = /(\n…\[\d+ bytes truncated\]…\n)/;

/**
 * Replaces every occurrence of each secret, longest first (so one holding another goes whole), and
 * the part of a secret that a cut of a long output left on either side of its `…[N bytes truncated]…`.
 */
export function createRedactor(secrets: Iterable<string>): Redact {
  const list = [...new Set(secrets)]
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  const whole = (text: string) => list.reduce((out, secret) => out.replaceAll(secret, REDACTED), text);
  return (text) => {
    const parts = whole(text).split(CUT);
    // split() with a capturing group: even indexes are text, odd ones the cut markers between them.
    for (let i = 0; i < parts.length; i += 2) {
      if (i + 1 < parts.length) parts[i] = cutTail(parts[i]!, list);
      if (i > 0) parts[i] = cutHead(parts[i]!, list);
    }
    return parts.join('');
  };
}

/** Text ending with the start of a secret (at least MIN_SECRET_LENGTH of it) ends with REDACTED. */
function cutTail(text: string, secrets: readonly string[]): string {
  for (const secret of secrets) {
    for (let k = Math.min(secret.length - 1, text.length); k >= MIN_SECRET_LENGTH; k--) {
      if (text.endsWith(secret.slice(0, k))) return text.slice(0, -k) + REDACTED;
    }
  }
  return text;
}

/** Text starting with the end of a secret (at least MIN_SECRET_LENGTH of it) starts with REDACTED. */
function cutHead(text: string, secrets: readonly string[]): string {
  for (const secret of secrets) {
    for (let k = Math.min(secret.length - 1, text.length); k >= MIN_SECRET_LENGTH; k--) {
      if (text.startsWith(secret.slice(-k))) return REDACTED + text.slice(k);
    }
  }
  return text;
}

/** The secret settings the service was started with (see src/config/settings.ts). */
export interface SecretSettings {
  readonly redisUrl?: string;
  readonly webhookToken?: string;
  readonly webhookBasic?: { readonly password: string };
  readonly operatorToken?: string;
  readonly approvalSecret?: string;
  readonly slackSigningSecret?: string;
}

/** Every configured secret value: settings' tokens and passwords, and the inventory's resolved ones. */
export function configuredSecrets(settings: SecretSettings, inventory: Inventory): string[] {
  const found = [
    settings.webhookToken,
    settings.webhookBasic?.password,
    settings.operatorToken,
    settings.approvalSecret,
    settings.slackSigningSecret,
    redisPassword(settings.redisUrl),
  ];
  for (const target of inventory.values()) found.push(...(target.http?.secrets ?? []));
  return found.filter((s): s is string => s !== undefined && s !== '');
}

function redisPassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A Logger that redacts every string it is given, fields and message, before `log` writes it: the
 * runner logs errors of libraries and targets, which step-exec has not necessarily seen.
 */
export function redactingLogger(log: Logger, redact: Redact): Logger {
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') return redact(value);
    if (Array.isArray(value)) return value.map(clean);
    if (value instanceof Error) return redact(value.message);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
    }
    return value;
  };
  const level =
    (name: keyof Logger) =>
    (obj: object, msg?: string): void =>
      log[name](clean(obj) as object, msg === undefined ? undefined : redact(msg));
  return { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') };
}
