/**
 * HAProxy's config for docker-compose.yml (demo/compose/haproxy.cfg, committed): the demo's template
 * rendered for demo/fleet.yaml as the compose stack runs it. HAProxy shares remediator's network with
 * the fleet, so the servers are on 127.0.0.1; the frontend listens on every interface, port 8080; the
 * admin socket is in the volume the fleet container mounts too. Regenerate with
 * `node demo/compose/write-haproxy-cfg.ts`; test/integration/compose.test.ts checks that the
 * committed file is what this renders.
 */
import { fileURLToPath } from 'node:url';
import { loadFleet } from '../fleet.ts';
import { renderHaproxyConfigFile } from '../haproxy.ts';

export const COMPOSE_HAPROXY_CFG = fileURLToPath(new URL('./haproxy.cfg', import.meta.url));
export const COMPOSE_HAPROXY_SOCKET = '/run/haproxy/admin.sock';
export const COMPOSE_HAPROXY_PORT = 8080;

const HEADER = [
  '# Generated for docker-compose.yml by demo/compose/write-haproxy-cfg.ts from demo/haproxy.cfg.template',
  '# and demo/fleet.yaml; do not edit (test/integration/compose.test.ts compares).',
  '',
].join('\n');

export async function composeHaproxyConfig(): Promise<string> {
  const fleet = await loadFleet(fileURLToPath(new URL('../fleet.yaml', import.meta.url)));
  const body = await renderHaproxyConfigFile({
    fleet,
    frontendPort: COMPOSE_HAPROXY_PORT,
    bindAddress: '*',
    socketPath: COMPOSE_HAPROXY_SOCKET,
  });
  return HEADER + body;
}
