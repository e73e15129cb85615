import autocannon from 'autocannon';
import { cpuMeter } from './proc.ts';

export interface LoadOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  /** A new request body for every request. */
  readonly body: () => string;
  readonly connections: number;
  readonly seconds: number;
  /** Processes whose CPU use over the run is reported (name -> pid). */
  readonly watch: Record<string, number>;
}

export interface LoadResult {
  /** Requests answered 202 per second. */
  readonly acceptedPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly accepted: number;
  readonly other: number;
  readonly errors: number;
  /** CPU seconds per wall second of each watched process (1 = one core), plus `bench` (this process). */
  readonly cpu: Record<string, number>;
}

/** POSTs webhook bodies from `connections` keep-alive connections for `seconds`, as fast as answers come. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const meter = cpuMeter(o.watch);
  const result = await autocannon({
    url: `${o.url}/hooks/alertmanager`,
    connections: o.connections,
    duration: o.seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...o.headers },
    requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, body: o.body() }) }],
  });
  const cpu = meter();
  const accepted = result.statusCodeStats?.['202']?.count ?? 0;
  return {
    acceptedPerSec: accepted / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    accepted,
    other: result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'] - accepted,
    errors: result.errors,
    cpu,
  };
}

/** `name 0.97, redis 0.31` */
export function cpuText(cpu: Record<string, number>): string {
  return Object.entries(cpu)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
}
