/**
 * A known `ALERTS` history for the backtest tests, as OpenMetrics text for `promtool tsdb
 * create-blocks-from openmetrics`: one sample a minute while an alert fires (as a rule group with a
 * 1m interval writes them), timestamps in seconds, `# EOF` last.
 */
export interface AlertSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Sample times, ms. */
  readonly samples: readonly number[];
}

const MIN = 60_000;

/** Every minute from `from` to `to`, both included. */
export function everyMinute(from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = from; t <= to; t += MIN) out.push(t);
  return out;
}

export function toOpenMetrics(series: readonly AlertSeries[]): string {
  const lines = ['# HELP ALERTS Alerts.', '# TYPE ALERTS gauge'];
  for (const s of series) {
    const labels = Object.entries({ alertstate: 'firing', ...s.labels })
      .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
      .join(',');
    for (const t of s.samples) lines.push(`ALERTS{${labels}} 1 ${t / 1000}`);
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

/**
 * The scenario the backtest tests assert on, starting at `h` (a whole hour) and covering 24 h:
 * - Watchdog fires all the time (no runbook matches it);
 * - Flapping on db-1 fires six times, 2 minutes each, every 8 minutes, from h+10m;
 * - InstanceDown: a storm of 200 web instances at h+2h, for 30 minutes;
 * - QuickBlip on app-1 fires at h+6h and resolves by itself 30 s later;
 * - CacheStale on 20 caches at h+8h, for 10 minutes;
 * - DiskFull on db-2 from h+20h, never resolved.
 */
export function scenario(h: number): AlertSeries[] {
  const at = (minutes: number) => h + minutes * MIN;
  const series: AlertSeries[] = [
    { labels: { alertname: 'Watchdog' }, samples: everyMinute(at(0), at(24 * 60 + 10)) },
    {
      labels: { alertname: 'Flapping', instance: 'db-1:9100', service: 'db' },
      samples: [0, 1, 2, 3, 4, 5].flatMap((k) => everyMinute(at(10 + 8 * k), at(12 + 8 * k))),
    },
    { labels: { alertname: 'QuickBlip', instance: 'app-1:9100' }, samples: [at(360), at(360) + 30_000] },
    {
      labels: { alertname: 'DiskFull', instance: 'db-2:9100' },
      samples: everyMinute(at(20 * 60), at(24 * 60 + 10)),
    },
  ];
  for (let i = 0; i < 200; i++) {
    const instance = `web-${String(i).padStart(3, '0')}:9100`;
    series.push({
      labels: { alertname: 'InstanceDown', instance, service: 'web' },
      samples: everyMinute(at(120), at(150)),
    });
  }
  for (let i = 0; i < 20; i++) {
    const instance = `cache-${String(i).padStart(2, '0')}:6379`;
    series.push({
      labels: { alertname: 'CacheStale', instance, service: 'cache' },
      samples: everyMinute(at(480), at(490)),
    });
  }
  return series;
}
