import type { PageHoldRecord } from '../../types.ts';
import { timeView } from './views.ts';

const STATE_TEXT: Record<PageHoldRecord['state'], string> = {
  held: 'held: people are not paged while the run heals',
  healed: 'healed: held until Alertmanager sees the alert resolved',
  ended: 'ended',
  unavailable: 'not held: Alertmanager could not be reached, people were paged as usual',
  declined:
    'not held: a silence on its labels would cover another alert too, or Alertmanager does not have it; people were paged as usual',
};

/** The run page's "Page hold" section: what was held, until when, and every change with its reason. */
export function pageHoldView(hold: PageHoldRecord | undefined, now: number) {
  if (!hold) return undefined;
  return {
    state: STATE_TEXT[hold.state],
    silenceId: hold.silenceId,
    until: hold.state === 'held' || hold.state === 'healed' ? timeView(hold.until, now) : undefined,
    events: hold.events.map((e) => ({
      type: e.type,
      at: timeView(e.at, now),
      silenceId: e.silenceId,
      detail: [
        e.why,
        e.count && e.count > 1 ? `${e.count} renewals` : undefined,
        e.until && `until ${e.until}`,
      ]
        .filter(Boolean)
        .join('; '),
    })),
  };
}
