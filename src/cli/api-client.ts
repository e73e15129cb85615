import { readGeneratedToken } from '../config/operator-token.ts';
import type { Settings } from '../config/settings.ts';

export type Out = { out: (s: string) => void; err: (s: string) => void };

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Calls the running service's API, like amtool does Alertmanager's: the URL defaults to the service
 * this configuration starts; the operator token comes from REMEDIATOR_OPERATOR_TOKEN(_FILE), else from
 * the file the service generated under the data directory.
 */
export function apiClient(settings: Settings, url: string | undefined) {
  const base = (
    url ?? `http://${settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host}:${settings.port}`
  ).replace(/\/+$/, '');
  // Else the token the service generated in the data directory (same settings, same directory).
  const token = settings.operatorToken ?? readGeneratedToken(settings.dataDir);
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const init =
      body === undefined
        ? { method, headers: auth }
        : { method, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await fetch(base + path, init);
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  };
}

export function apiFailed(io: Out, res: ApiAnswer): number {
  io.err(`remediator: the API answered ${res.status}: ${String(res.body['message'] ?? 'no message')}`);
  return 1;
}
