/**
 * The simulated state of one demo service instance: memory, traffic, CPU, DB pool, and the faults
 * injected into them. Nothing here touches the network or the clock; `tick(ms)` advances it.
 */

export const MIB = 1024 * 1024;
/** The limit the service reports; memory at or above it makes /healthz answer 503. */
export const MEMORY_LIMIT_BYTES = 256 * MIB;
/** Heap the service holds with no leak. */
export const BASE_MEMORY_BYTES = 64 * MIB;
/** Simulated requests per second that reach the service through the load balancer. */
export const SIMULATED_RPS = 20;
export const DEFAULT_LEAK_BYTES_PER_SECOND = 8 * MIB;
export const DEFAULT_POOL_SIZE = 20;
const BASE_POOL_IN_USE = 3;
const BASE_CPU = 0.08;
const BURN_CPU = 0.95;

export interface Faults {
  /** Leak growth in bytes/s; 0 = no leak. */
  leakBytesPerSecond: number;
  /** Whether /admin/release-memory can free what the leak holds (false: only a restart can). */
  leakReleasable: boolean;
  /** Share of requests answered 500 (0..1); 0 = no error spike. */
  errorRatio: number;
  cpuBurn: boolean;
  /** `/` and `/healthz` stop answering. */
  hung: boolean;
}

export interface Counts {
  ok: number;
  errors: number;
}

export class Sim {
  readonly faults: Faults = {
    leakBytesPerSecond: 0,
    leakReleasable: true,
    errorRatio: 0,
    cpuBurn: false,
    hung: false,
  };
  /** Bytes held by the leak (on top of BASE_MEMORY_BYTES). */
  leakedBytes = 0;
  poolSize = DEFAULT_POOL_SIZE;
  /** Connections the pool-exhaustion fault holds and never returns. */
  stuckConnections = 0;
  accepting = true;
  private elapsedMs = 0;
  private requestCarry = 0;
  private errorCarry = 0;

  get memoryBytes(): number {
    return BASE_MEMORY_BYTES + this.leakedBytes;
  }

  get poolInUse(): number {
    // A little movement so graphs are not flat lines.
    const wobble = Math.round(Math.sin(this.elapsedMs / 3000) + 1);
    return Math.min(this.poolSize, Math.max(BASE_POOL_IN_USE + wobble, this.stuckConnections));
  }

  get cpuBusyRatio(): number {
    if (this.faults.cpuBurn) return BURN_CPU;
    return BASE_CPU + 0.03 * Math.sin(this.elapsedMs / 5000);
  }

  /** Why /healthz fails, or [] when healthy (hang is handled by not answering at all). */
  unhealthyReasons(): string[] {
    const reasons: string[] = [];
    if (this.memoryBytes >= MEMORY_LIMIT_BYTES) reasons.push('memory at limit');
    if (this.poolInUse >= this.poolSize) reasons.push('connection pool exhausted');
    return reasons;
  }

  /** Advances time; returns the simulated requests served meanwhile (none while drained or hung). */
  tick(ms: number): Counts {
    this.elapsedMs += ms;
    const leak = (this.faults.leakBytesPerSecond * ms) / 1000;
    // A real process would be OOM-killed past its limit; this one stays there, unhealthy.
    this.leakedBytes = Math.min(this.leakedBytes + leak, MEMORY_LIMIT_BYTES - BASE_MEMORY_BYTES);
    if (!this.accepting || this.faults.hung) return { ok: 0, errors: 0 };
    this.requestCarry += (SIMULATED_RPS * ms) / 1000;
    const requests = Math.floor(this.requestCarry);
    this.requestCarry -= requests;
    return this.split(requests);
  }

  /** Splits served requests into 200s and 500s by the error ratio, deterministically. */
  split(requests: number): Counts {
    this.errorCarry += requests * this.faults.errorRatio;
    const errors = Math.min(requests, Math.floor(this.errorCarry));
    this.errorCarry -= errors;
    return { ok: requests - errors, errors };
  }

  exhaustPool(): void {
    this.stuckConnections = this.poolSize;
  }

  /**
   * Frees what the leak holds, unless the leak is not releasable; the leak itself goes on (only a
   * restart or /fault/clear stops it).
   */
  releaseMemory(): number {
    if (!this.faults.leakReleasable) return 0;
    const freed = this.leakedBytes;
    this.leakedBytes = 0;
    return freed;
  }

  clearFaults(): void {
    Object.assign(this.faults, {
      leakBytesPerSecond: 0,
      leakReleasable: true,
      errorRatio: 0,
      cpuBurn: false,
      hung: false,
    });
    this.leakedBytes = 0;
    this.stuckConnections = 0;
    this.errorCarry = 0;
  }
}
