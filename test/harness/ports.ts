/**
 * Ports for servers the tests start: the service's own picker, so the harness and the embedded Redis
 * share one rule (outside the kernel's ephemeral range, free when returned, never twice per process).
 * Node servers in tests bind port 0 themselves and read their port back instead.
 */
export { freePort } from '../../src/redis/free-port.ts';
