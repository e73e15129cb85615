import type { Reporter, TestModule } from 'vitest/node';
import { formatTable, type TimelineRow } from './harness/timeline.ts';

/**
 * Prints the chaos suite's table once every scenario ran: for each, when the fault was injected and
 * when the alert fired, reached remediator, started a step and was verified fixed.
 */
export default class ChaosTableReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows: TimelineRow[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests()) rows.push(...(test.meta().chaos ?? []));
    }
    if (rows.length === 0) return;
    const when = new Date().toISOString().replace('T', ' ').slice(0, 19);
    process.stdout.write(
      `\nchaos suite, ${when} UTC (times after the fault are seconds since it was injected)\n`,
    );
    process.stdout.write(`${formatTable(rows)}\n`);
  }
}
