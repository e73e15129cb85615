/**
 * Waiting runs set aside until something they wait for changes. In the service a waiting run asks the
 * gate again every half second or so (nextPoll); replaying a month of storms that way would ask
 * millions of times for the same "wait". A run waiting for a place can only get it once that place is
 * given back, so the replay parks it under the place that blocked it and wakes it (to poll again at
 * the worker's pace) when a run holding that place ends, when its runbook's circuit opens, when its
 * alert resolves, or at its maxWait deadline (where its next poll gives `wait_timeout`).
 */
export class Parking<T> {
  private readonly entries = new Map<string, { key: string; runbook: string; occurrence: string; item: T }>();
  private readonly index = {
    key: new Map<string, Set<string>>(),
    runbook: new Map<string, Set<string>>(),
    occurrence: new Map<string, Set<string>>(),
  };

  park(runId: string, where: { key: string; runbook: string; occurrence: string }, item: T): void {
    this.take(runId);
    this.entries.set(runId, { ...where, item });
    for (const kind of ['key', 'runbook', 'occurrence'] as const) {
      const set = this.index[kind].get(where[kind]) ?? new Set();
      set.add(runId);
      this.index[kind].set(where[kind], set);
    }
  }

  /** Unparks one run (when its deadline comes); undefined if it is not parked. */
  take(runId: string): T | undefined {
    const entry = this.entries.get(runId);
    if (!entry) return undefined;
    this.entries.delete(runId);
    for (const kind of ['key', 'runbook', 'occurrence'] as const) {
      const set = this.index[kind].get(entry[kind]);
      set?.delete(runId);
      if (set?.size === 0) this.index[kind].delete(entry[kind]);
    }
    return entry.item;
  }

  /** Unparks every run parked under one of these (places, a runbook, an occurrence). */
  wake(kind: 'key' | 'runbook' | 'occurrence', values: readonly string[]): T[] {
    const ids = values.flatMap((v) => [...(this.index[kind].get(v) ?? [])]);
    return ids.map((id) => this.take(id)).filter((item): item is T => item !== undefined);
  }
}
