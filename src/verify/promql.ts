import { joinUrl } from '../execute/http.ts';
import { excerpt, get, type Answer, type Check, type Poll } from './poll.ts';
import type { VerifyDeps, VerifySpec } from './types.ts';

type PromqlSpec = Extract<VerifySpec, { kind: 'promql' }>;

/** The `data` of a successful instant query (Prometheus HTTP API). */
interface QueryData {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: unknown;
}

/**
 * An instant query (`GET /api/v1/query`). `expect: empty` passes on a result without series;
 * `expect: true` on the scalar 1 or a vector of exactly one sample whose value is 1 (what
 * `some_condition == bool 1`-style queries give). Prometheus' own error text goes into the detail.
 */
export function promqlCheck(spec: PromqlSpec, deps: VerifyDeps): Check {
  const base = deps.prometheusUrl;
  if (base === undefined) {
    return () =>
      Promise.resolve({
        ok: false,
        final: true,
        detail: 'REMEDIATOR_PROMETHEUS_URL is not set; a promql check needs it',
      });
  }
  const endpoint = joinUrl(base, '/api/v1/query');
  if (endpoint === undefined) {
    return () =>
      Promise.resolve({ ok: false, final: true, detail: `Prometheus URL ${base} is not a valid URL` });
  }
  const url = `${endpoint}?query=${encodeURIComponent(spec.query)}`;
  return async (ctx) => {
    const data = queryData(await get(deps.fetch, url, ctx));
    return 'detail' in data ? data : judge(data, spec.expect);
  };
}

/** The query's data, or a failed poll saying why there is none. */
function queryData(answer: Answer): QueryData | Poll {
  if ('error' in answer)
    return {
      ok: false,
      unanswered: answer.timedOut === true,
      detail: `Prometheus unreachable: ${answer.error}`,
    };
  let parsed: { status?: unknown; errorType?: unknown; error?: unknown; data?: Partial<QueryData> };
  try {
    parsed = JSON.parse(answer.body) as typeof parsed;
  } catch {
    return { ok: false, detail: `Prometheus answered ${answer.status}: ${excerpt(answer.body)}` };
  }
  if (parsed?.status === 'error' || answer.status !== 200) {
    const type = typeof parsed?.errorType === 'string' ? `${parsed.errorType}: ` : '';
    const text = typeof parsed?.error === 'string' ? parsed.error : excerpt(answer.body);
    return { ok: false, detail: `Prometheus answered ${answer.status}: ${type}${text}` };
  }
  const data = parsed?.data;
  const known = ['vector', 'matrix', 'scalar', 'string'];
  if (data === undefined || !known.includes(String(data.resultType)) || data.result === undefined) {
    return { ok: false, detail: `Prometheus answered an unknown shape: ${excerpt(answer.body)}` };
  }
  return data as QueryData;
}

function judge(data: QueryData, expect: PromqlSpec['expect']): Poll {
  if (data.resultType === 'scalar' || data.resultType === 'string') {
    const value = String(Array.isArray(data.result) ? data.result[1] : data.result);
    if (expect === 'true' && data.resultType === 'scalar' && Number(value) === 1) {
      return { ok: true, detail: 'query returned 1' };
    }
    const wanted = expect === 'empty' ? 'no series' : '1';
    return { ok: false, detail: `query returned ${data.resultType} ${value}, expected ${wanted}` };
  }
  const series = Array.isArray(data.result) ? (data.result as { value?: unknown[] }[]) : [];
  if (expect === 'empty') {
    return series.length === 0
      ? { ok: true, detail: 'query returned no series' }
      : { ok: false, detail: `query returned ${series.length} series, expected no series` };
  }
  if (data.resultType === 'matrix') {
    return { ok: false, detail: `query returned a range vector (${series.length} series), expected 1` };
  }
  if (series.length !== 1) return { ok: false, detail: `query returned ${series.length} series, expected 1` };
  const value = String(series[0]?.value?.[1]);
  return Number(value) === 1
    ? { ok: true, detail: 'query returned 1' }
    : { ok: false, detail: `query returned ${value}, expected 1` };
}
