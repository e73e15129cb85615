/**
 * Secrets must not come back out of remediator: a target that echoes the request (an HTTP API that
 * repeats its headers, a command that prints its environment) would otherwise put the inventory's
 * `${file:}`/`${env:}` values into step output, and from there into run records (Redis and its AOF),
 * escalations and logs. One function, built at start-up from every configured secret value, replaces
 * them with REDACTED where step results enter the run (src/execute/step-exec.ts).
 */
import type { Inventory } from '../types.ts';

export type Redact = (text: string) => string;

export const REDACTED = '[REDACTED]';

/**
 * Secrets shorter than this are left alone: replacing a 1-3 character string everywhere would make
 * output unreadable and hide little (such a value is no secret).
 */
export const MIN_SECRET_LENGTH = 4;

/** Replaces every occurrence of each secret, longest first (so one holding another goes whole). */
export function createRedactor(secrets: Iterable<string>): Redact {
  const list = [...new Set(secrets)]
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => list.reduce((out, secret) => out.replaceAll(secret, REDACTED), text);
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
