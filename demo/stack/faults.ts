/**
 * The four faults `npm run demo` suggests, each on its own instance so they can all be tried at once,
 * with the alert it fires and the runbook of runbooks/ that heals it. The README's demo section and
 * test/integration/demo.test.ts follow this table.
 */
import type { FleetInstance } from '../fleet.ts';

export interface DemoFault {
  /** POST /fault/<fault> */
  readonly fault: 'memory-leak' | 'error-spike' | 'cpu-burn' | 'pool-exhaustion';
  readonly title: string;
  readonly service: FleetInstance['service'];
  /** Instance number within the service. */
  readonly instance: number;
  readonly alert: string;
  readonly runbook: string;
  /** What the runbook does, for people. */
  readonly heals: string;
}

export const DEMO_FAULTS: readonly DemoFault[] = [
  {
    fault: 'memory-leak',
    title: 'memory leak',
    service: 'user-service',
    instance: 1,
    alert: 'HighMemoryUsage',
    runbook: 'restart-leaking-service',
    heals: 'releases memory (POST /admin/release-memory), restarts over SSH if that is not enough',
  },
  {
    fault: 'error-spike',
    title: 'error spike',
    service: 'order-service',
    instance: 1,
    alert: 'HighErrorRate',
    runbook: 'drain-erroring-instance',
    heals: 'drains it in HAProxy, restarts it over SSH, puts it back into rotation',
  },
  {
    fault: 'cpu-burn',
    title: 'CPU burn',
    service: 'payment-service',
    instance: 1,
    alert: 'HighCpuUsage',
    runbook: 'restart-cpu-burner',
    heals: 'restarts it over SSH',
  },
  {
    fault: 'pool-exhaustion',
    title: 'pool exhaustion',
    service: 'user-service',
    instance: 2,
    alert: 'ConnectionPoolExhausted',
    runbook: 'resize-connection-pool',
    heals: 'grows the pool to 50 (POST /admin/pool)',
  },
];
