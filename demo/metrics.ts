import { Counter, Gauge, Registry } from 'prom-client';
import { MEMORY_LIMIT_BYTES, type Counts, type Sim } from './sim.ts';

/**
 * The demo service's metrics. Alert rules and dashboards are written against these exact names.
 * `service` and `instance` are not metric labels: Prometheus adds them as target labels.
 */
export interface DemoMetrics {
  readonly registry: Registry;
  count(counts: Counts): void;
}

export function createDemoMetrics(sim: Sim): DemoMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'demo_requests_total',
    help: 'Requests served (GET / and simulated load-balancer traffic), by HTTP status code.',
    labelNames: ['code'],
    registers: [registry],
  });
  // Both series exist from the start, so rate() and ratios work before the first error.
  requests.inc({ code: '200' }, 0);
  requests.inc({ code: '500' }, 0);
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value());
      },
    });
  gauge('demo_memory_bytes', 'Simulated heap the service holds.', () => sim.memoryBytes);
  gauge('demo_memory_limit_bytes', 'Memory limit of the service.', () => MEMORY_LIMIT_BYTES);
  gauge('demo_cpu_busy_ratio', 'Share of time the CPU is busy (0..1).', () => sim.cpuBusyRatio);
  gauge('demo_pool_in_use', 'DB connections in use.', () => sim.poolInUse);
  gauge('demo_pool_size', 'DB connection pool size (maxConnections).', () => sim.poolSize);
  gauge('demo_accepting_traffic', '1 if the service accepts traffic, 0 while drained.', () =>
    sim.accepting ? 1 : 0,
  );
  return {
    registry,
    count({ ok, errors }) {
      if (ok > 0) requests.inc({ code: '200' }, ok);
      if (errors > 0) requests.inc({ code: '500' }, errors);
    },
  };
}
