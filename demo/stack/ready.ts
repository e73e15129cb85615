/**
 * What `npm run demo` prints once everything is up: the URLs, the four faults with the exact command
 * that injects each and what heals it, where to watch, and one line `DEMO_READY {json}` for tests and
 * `npm run panels`.
 */
import type { FleetInstance } from '../fleet.ts';
import { DEMO_FAULTS } from './faults.ts';

export interface ReadyInfo {
  readonly dir: string;
  readonly urls: Readonly<Record<'remediator' | 'docs' | 'prometheus' | 'alertmanager' | 'haproxy', string>>;
  readonly fleet: readonly FleetInstance[];
  readonly haproxySocket: string;
  readonly pids: Readonly<Record<string, number | undefined>>;
}

const pad = (text: string) => `  ${text.padEnd(19)}`;

export function readyText(info: ReadyInfo): string {
  const { urls, fleet } = info;
  const url = (item: FleetInstance) => `http://127.0.0.1:${item.port}`;
  const faults = faultsOf(fleet);
  const first = fleet[0];
  return [
    '',
    'remediator demo is running (Ctrl-C stops everything)',
    ...Object.entries(urls).map(([name, link]) => `${pad(name)}${link}`),
    ...fleet.map((item) => `${pad(`${item.service}-${item.instance}`)}${url(item)}  (${item.name})`),
    `${pad('logs')}${info.dir}/logs`,
    '',
    'Break something (all four at once is fine); each is healed within about a minute:',
    ...faults.flatMap((item) => [
      `  ${item.title} on ${item.service}-${item.instance} (${item.name})`,
      `    break: ${item.inject}`,
      `    heal:  ${item.alert} fires; runbook ${item.runbook} ${item.heals}`,
      `    see:   curl -s '${urls.remediator}/api/v1/runs?runbook=${item.runbook}'`,
      `           ${item.see === 'state' ? `curl -s ${item.url}/admin/state` : haproxyState(item.service, info.haproxySocket)}`,
      `           (${item.healed})`,
    ]),
    '',
    'Watch:',
    `${pad('all runs')}curl -s ${urls.remediator}/api/v1/runs`,
    `${pad('firing alerts')}${urls.prometheus}/alerts  ${urls.alertmanager}/#/alerts`,
    ...(first ? [`${pad('clear faults')}curl -XPOST ${url(first)}/fault/clear`] : []),
    '',
  ].join('\n');
}

/** The command that shows HAProxy's servers of one backend, with their admin state. */
function haproxyState(backend: string, socket: string): string {
  return `echo 'show servers state ${backend}' | demo/bin/haproxy-cmd ${socket}`;
}

/** The DEMO_READY line (one line of JSON). */
export function readyLine(info: ReadyInfo): string {
  const instances = info.fleet.map(({ service, instance, name, port }) => ({
    service,
    instance,
    name,
    url: `http://127.0.0.1:${port}`,
  }));
  const json = {
    dir: info.dir,
    urls: info.urls,
    instances,
    faults: faultsOf(info.fleet),
    haproxySocket: info.haproxySocket,
    pids: info.pids,
  };
  return `DEMO_READY ${JSON.stringify(json)}\n`;
}

/** DEMO_FAULTS placed on this run's fleet (instances missing from it are left out). */
function faultsOf(fleet: readonly FleetInstance[]) {
  return DEMO_FAULTS.flatMap((fault) => {
    const item = fleet.find((each) => each.service === fault.service && each.instance === fault.instance);
    if (item === undefined) return [];
    const url = `http://127.0.0.1:${item.port}`;
    return [{ ...fault, name: item.name, url, inject: `curl -XPOST ${url}/fault/${fault.fault}` }];
  });
}
