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
  /** Where to see it healed: the instance's /admin/state, or HAProxy's view of its backend. */
  readonly see: 'state' | 'haproxy';
  /** What to look for there. */
  readonly healed: string;
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
    see: 'state',
    healed: 'memoryBytes back near 64 MiB; the leak goes on, so it fires and is healed again ~25 s later',
  },
  {
    fault: 'error-spike',
    title: 'error spike',
    service: 'order-service',
    instance: 1,
    alert: 'HighErrorRate',
    runbook: 'drain-erroring-instance',
    heals: 'drains it in HAProxy, restarts it over SSH, puts it back into rotation',
    see: 'haproxy',
    healed: 'srv_admin_state 8 (drained) during the run, 0 again after it',
  },
  {
    fault: 'cpu-burn',
    title: 'CPU burn',
    service: 'payment-service',
    instance: 1,
    alert: 'HighCpuUsage',
    runbook: 'restart-cpu-burner',
    heals: 'restarts it over SSH',
    see: 'state',
    healed: 'a new pid, cpuBurn false',
  },
  {
    fault: 'pool-exhaustion',
    title: 'pool exhaustion',
    service: 'user-service',
    instance: 2,
    alert: 'ConnectionPoolExhausted',
    runbook: 'resize-connection-pool',
    heals: 'grows the pool to 50 (POST /admin/pool)',
    see: 'state',
    healed: 'poolSize 50, same pid',
  },
];
