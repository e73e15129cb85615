import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { Settings } from '../config/settings.ts';
import { apiClient, apiFailed, type Out } from './api-client.ts';

/**
 * `remediator approve <run-id> [--request ID] [--comment C]` and `remediator deny <run-id> --reason R`:
 * answer an approval request through the running service's API, recorded as `cli:<user>` (or --by).
 * The answer names one request: --request, or else the run's latest one, read first and printed, so
 * the CLI never answers a request it did not name (a later one, asked while the command ran).
 */
export async function approveCommand(
  command: 'approve' | 'deny',
  args: readonly string[],
  settings: Settings,
  io: Out,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      request: { type: 'string' },
      by: { type: 'string' },
      comment: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const id = positionals[0];
  if (!id || positionals.length > 1) {
    io.err(`usage: remediator ${command} <run-id> ${command === 'deny' ? '--reason R' : '[--comment C]'}`);
    return 2;
  }
  const comment = values.reason ?? values.comment;
  const call = apiClient(settings, values.url);
  const path = `/api/v1/runs/${encodeURIComponent(id)}`;
  let requestId = values.request;
  if (requestId === undefined) {
    const run = await call('GET', path);
    if (run.status !== 200) return apiFailed(io, run);
    const latest = (run.body['approvals'] as Array<Record<string, unknown>> | undefined)?.at(-1);
    if (typeof latest?.['id'] !== 'string') {
      io.err(
        `remediator: run ${id} has no approval request to answer (status ${String(run.body['status'])})`,
      );
      return 1;
    }
    requestId = latest['id'];
  }
  const res = await call('POST', `${path}/${command}`, {
    requestId,
    by: values.by ?? `cli:${userInfo().username}`,
    ...(comment ? { comment } : {}),
  });
  if (res.status !== 200) return apiFailed(io, res);
  const last = (res.body['approvals'] as Array<Record<string, unknown>> | undefined)?.at(-1);
  io.out(
    values.json
      ? JSON.stringify(res.body)
      : `${command === 'approve' ? 'approved' : 'denied'} run ${id} (step ${String(last?.['stepName'] ?? '?')}) as ${String(last?.['decidedBy'] ?? '?')}`,
  );
  return 0;
}
