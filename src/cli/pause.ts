import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { Settings } from '../config/settings.ts';
import { apiClient, apiFailed, type Out } from './api-client.ts';

/**
 * `remediator pause|pauses|unpause`: operators' pauses through the running service's API, like
 * amtool for silences. --url defaults to the service this configuration starts; the operator token
 * comes from REMEDIATOR_OPERATOR_TOKEN(_FILE).
 */
export async function pauseCommand(
  command: 'pause' | 'pauses' | 'unpause',
  args: readonly string[],
  settings: Settings,
  io: Out,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      match: { type: 'string', multiple: true },
      for: { type: 'string' },
      until: { type: 'string' },
      comment: { type: 'string' },
      by: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const call = apiClient(settings, values.url);
  if (command === 'pause') {
    const body = {
      matchers: values.match ?? [],
      comment: values.comment ?? '',
      createdBy: values.by ?? userInfo().username,
      ...(values.for ? { duration: values.for } : {}),
      ...(values.until ? { expiresAt: values.until } : {}),
    };
    const res = await call('POST', '/api/v1/pauses', body);
    if (res.status !== 201) return apiFailed(io, res);
    io.out(
      values.json
        ? JSON.stringify(res.body)
        : `paused ${String(res.body['id'])} until ${String(res.body['expiresAt'])}`,
    );
    return 0;
  }
  if (command === 'unpause') {
    const id = positionals[0];
    if (!id) {
      io.err('usage: remediator unpause <id>');
      return 2;
    }
    const res = await call('DELETE', `/api/v1/pauses/${encodeURIComponent(id)}`);
    if (res.status !== 200) return apiFailed(io, res);
    io.out(`expired ${id}`);
    return 0;
  }
  const res = await call('GET', '/api/v1/pauses');
  if (res.status !== 200) return apiFailed(io, res);
  const pauses = (res.body['pauses'] ?? []) as Array<Record<string, unknown>>;
  if (values.json) io.out(JSON.stringify(pauses));
  else if (pauses.length === 0) io.out('no pauses');
  for (const p of values.json ? [] : pauses) {
    const matchers = (p['matchers'] as string[]).join(', ') || '(everything)';
    io.out(
      `${String(p['id'])}  ${p['active'] ? 'active ' : 'expired'}  until ${String(p['expiresAt'])}  ${matchers}  "${String(p['comment'])}" by ${String(p['createdBy'])}`,
    );
  }
  return 0;
}
