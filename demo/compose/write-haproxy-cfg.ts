/** Writes demo/compose/haproxy.cfg: `node demo/compose/write-haproxy-cfg.ts`. */
import { writeFile } from 'node:fs/promises';
import { COMPOSE_HAPROXY_CFG, composeHaproxyConfig } from './haproxy-config.ts';

await writeFile(COMPOSE_HAPROXY_CFG, await composeHaproxyConfig());
process.stdout.write(`wrote ${COMPOSE_HAPROXY_CFG}\n`);
