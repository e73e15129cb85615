import { expect } from 'vitest';
import { RemediatorError } from '../../../src/errors.ts';
import { parseMatchers } from '../../../src/match/matcher.ts';
import type { Alert, AlertStatus, Labels, Runbook } from '../../../src/types.ts';

/** A runbook with only what selection reads; the rest of the type does not matter here. */
export function runbook(name: string, match: readonly string[], on: AlertStatus = 'firing'): Runbook {
  return { name, on, match: parseMatchers(match) } as unknown as Runbook;
}

export function alert(labels: Labels, status: AlertStatus = 'firing'): Alert {
  return {
    status,
    labels,
    annotations: {},
    startsAt: '2024-05-01T10:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: 'c0ffee0123456789',
  };
}

/** Runs `fn` and returns the E_MATCHER message it throws, failing the test if it throws anything else. */
export function matcherErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RemediatorError);
    expect((err as RemediatorError).code).toBe('E_MATCHER');
    return (err as RemediatorError).message;
  }
  throw new Error('expected an E_MATCHER error, but nothing was thrown');
}

/** A small deterministic generator (mulberry32), so that generated cases are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
