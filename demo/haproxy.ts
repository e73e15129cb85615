/**
 * Renders demo/haproxy.cfg.template for a fleet: one backend per service (named after it), one
 * server per instance (named `host:port`), health checks on /healthz, an admin stats socket.
 */
import { readFile } from 'node:fs/promises';
import type { FleetInstance } from './fleet.ts';
import { SERVICES } from './server.ts';

export interface HaproxyConfigOptions {
  readonly fleet: readonly FleetInstance[];
  /** Port of the frontend. */
  readonly frontendPort: number;
  /** Address the frontend binds (`*` for every interface). @defaultValue 127.0.0.1 */
  readonly bindAddress?: string;
  /** Path of the runtime API socket (`stats socket ... level admin`). */
  readonly socketPath: string;
  /** Health check interval. @defaultValue 1000 */
  readonly checkIntervalMs?: number;
}

export const HAPROXY_TEMPLATE = new URL('./haproxy.cfg.template', import.meta.url);

export async function renderHaproxyConfigFile(options: HaproxyConfigOptions): Promise<string> {
  return renderHaproxyConfig(await readFile(HAPROXY_TEMPLATE, 'utf8'), options);
}

export function renderHaproxyConfig(template: string, options: HaproxyConfigOptions): string {
  if (/\s/.test(options.socketPath))
    throw new Error(`socket path must not contain spaces: ${options.socketPath}`);
  const services = SERVICES.filter((service) => options.fleet.some((item) => item.service === service));
  const inter = options.checkIntervalMs ?? 1000;
  const routes = services.map(
    (service) => `    use_backend ${service} if { path /${service} } || { path_beg /${service}/ }`,
  );
  const backends = services.map((service) =>
    [
      `backend ${service}`,
      '    balance roundrobin',
      `    http-request replace-path ^/${service}/?(.*) /\\1`,
      '    option httpchk GET /healthz',
      '    http-check expect status 200',
      // Tells clients (and tests) which server answered.
      '    http-response set-header x-served-by %[srv_name]',
      ...options.fleet
        .filter((item) => item.service === service)
        .map((item) => `    server ${item.name} 127.0.0.1:${item.port} check inter ${inter} fall 2 rise 1`),
      '',
    ].join('\n'),
  );
  const values: Record<string, string> = {
    socketPath: options.socketPath,
    frontendPort: String(options.frontendPort),
    bindAddress: options.bindAddress ?? '127.0.0.1',
    routes: routes.join('\n'),
    backends: backends.join('\n'),
  };
  return template.replace(/\{\{(\w+)\}\}/g, (match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`haproxy template: unknown placeholder ${match}`);
    return value;
  });
}
