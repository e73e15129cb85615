import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/config/runbooks.ts';
import { resumePoint } from '../../../src/execute/resume-point.ts';
import type { Runbook, RunRecord, StepRecord } from '../../../src/types.ts';

const RUNBOOK: Runbook = (() => {
  const result = parseRunbook(
    'rb.yaml',
    `name: rb
match: ['alertname = "A"']
target: box
steps:
  - name: gentle
    http: { path: /gentle }
    verify: { alertResolved: 20s }
  - name: plain
    http: { path: /plain }
  - name: strong
    http: { path: /strong }
    verify: { alertResolved: 20s }
`,
  );
  expect(result.problems).toEqual([]);
  return result.runbook!;
})();

function run(...steps: Array<Partial<StepRecord>>): RunRecord {
  const names = ['gentle', 'plain', 'strong'];
  return {
    status: 'running',
    steps: names.map((name, i) => ({ name, status: 'pending', ...steps[i] })),
  } as unknown as RunRecord;
}

const checked = { kind: 'alertResolved', ok: false, detail: 'still firing', elapsedMs: 20_000 };

describe('resumePoint', () => {
  it('starts over when no step had started (or none was rendered yet)', () => {
    expect(resumePoint(run(), RUNBOOK)).toEqual({ from: 0, verify: false });
    expect(resumePoint({ ...run(), steps: [] }, RUNBOOK)).toEqual({ from: 0, verify: false });
  });

  it('goes on with the check of a step whose action had succeeded and whose check had not ended', () => {
    expect(resumePoint(run({ status: 'succeeded' }), RUNBOOK)).toEqual({ from: 0, verify: true });
    expect(
      resumePoint(
        run({ status: 'succeeded', verify: checked }, { status: 'succeeded' }, { status: 'succeeded' }),
        RUNBOOK,
      ),
    ).toEqual({ from: 2, verify: true });
  });

  it('does not go on when a step or an undo may have been in flight, or the outcome was reached', () => {
    // In the middle of an action.
    expect(resumePoint(run({ status: 'running' }), RUNBOOK)).toBeUndefined();
    // Between two steps: the next action may have been starting.
    expect(
      resumePoint(run({ status: 'succeeded', verify: checked }, { status: 'succeeded' }), RUNBOOK),
    ).toBeUndefined();
    // A check that passed ends the ladder: undo and the end were next.
    expect(
      resumePoint(run({ status: 'succeeded', verify: { ...checked, ok: true } }), RUNBOOK),
    ).toBeUndefined();
    // A failed action: undo and the end were next.
    expect(resumePoint(run({ status: 'failed' }), RUNBOOK)).toBeUndefined();
    // Undo had begun.
    const undone = { status: 'succeeded' as const, action: { kind: 'http' } as never };
    expect(resumePoint(run({ status: 'succeeded', undo: undone }), RUNBOOK)).toBeUndefined();
  });
});
