/**
 * The demo fleet's description: which service instances run on which loopback ports, and the name
 * each one goes by (Prometheus `instance` label, HAProxy server name, inventory target).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SERVICES, type ServiceName } from './server.ts';

export interface FleetInstance {
  readonly service: ServiceName;
  /** 1, 2, ... within the service. */
  readonly instance: number;
  /** Loopback port it listens on. */
  readonly port: number;
  /** `<host>:<port>` it goes by. @defaultValue `app-<instance>:<port>` */
  readonly name: string;
}

const KEYS = new Set(['service', 'instance', 'port', 'name']);
/** What HAProxy accepts in a server name, and what drain-erroring-instance.yaml's `server` param allows. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}:[0-9]{1,5}$/;

/** Reads a YAML (or JSON) list of `{ service, instance, port, name? }`. */
export async function loadFleet(file: string): Promise<FleetInstance[]> {
  return parseFleet(parse(await readFile(file, 'utf8')) as unknown, file);
}

export function parseFleet(data: unknown, source: string): FleetInstance[] {
  if (!Array.isArray(data)) throw new Error(`${source}: expected a list of instances`);
  const fleet = data.map((item: unknown, index) => parseInstance(item, `${source}: item ${index + 1}`));
  const seen = new Set<string>();
  // Names are inventory target names, so they are unique across services too.
  for (const { service, instance, port, name } of fleet) {
    for (const key of [`${service}-${instance}`, `port ${port}`, `name ${name}`]) {
      if (seen.has(key)) throw new Error(`${source}: ${key} appears twice`);
      seen.add(key);
    }
  }
  return fleet;
}

function parseInstance(item: unknown, where: string): FleetInstance {
  if (typeof item !== 'object' || item === null) throw new Error(`${where}: expected a mapping`);
  const record = item as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !KEYS.has(key));
  if (unknown !== undefined) throw new Error(`${where}: unknown key "${unknown}"`);
  const { service, instance, port } = record;
  if (!SERVICES.includes(service as ServiceName)) {
    throw new Error(`${where}: service must be one of ${SERVICES.join(', ')}`);
  }
  if (typeof instance !== 'number' || !Number.isInteger(instance) || instance < 1) {
    throw new Error(`${where}: instance must be an integer >= 1`);
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${where}: port must be an integer 1..65535`);
  }
  const name = record.name ?? `app-${instance}:${port}`;
  if (typeof name !== 'string' || !NAME.test(name))
    throw new Error(`${where}: name must look like host:port`);
  return { service: service as ServiceName, instance, port, name };
}

/** Where pid files go unless told otherwise: data/demo/run in the repository (what demo-restart reads). */
export const DEFAULT_STATE_DIR = fileURLToPath(new URL('../data/demo/run', import.meta.url));

export function pidFile(stateDir: string, service: string, instance: number): string {
  return join(stateDir, `${service}-${instance}.pid`);
}

/** The file in the state dir that demo-restart reads to find an instance number by name. */
export const INSTANCES_FILE = 'instances';

/** Lines `<service> <name> <n>`, the contents of INSTANCES_FILE. */
export function instancesFile(fleet: readonly FleetInstance[]): string {
  return fleet.map((item) => `${item.service} ${item.name} ${item.instance}\n`).join('');
}
