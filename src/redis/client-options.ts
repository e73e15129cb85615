import type { RedisOptions } from 'ioredis';
import type { RedisTarget } from './url.ts';

/**
 * How to authenticate to an external Redis and trust its certificate, beyond what REDIS_URL says.
 * Every connection remediator makes (queue, worker, stores, `remediator test`) gets the same.
 */
export interface RedisClientConfig {
  /** REMEDIATOR_REDIS_PASSWORD(_FILE): the data servers' password, when it is not in REDIS_URL. */
  readonly password?: string;
  /** REMEDIATOR_REDIS_SENTINEL_USERNAME: the Sentinels' ACL user. @defaultValue none (`default`) */
  readonly sentinelUsername?: string;
  /** REMEDIATOR_REDIS_SENTINEL_PASSWORD(_FILE): the Sentinels' own password (`requirepass` in sentinel.conf). */
  readonly sentinelPassword?: string;
  /** PEM texts for `rediss://`: the CA to trust instead of the system's, and a client certificate. */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
}

/**
 * The ioredis options `config` adds for `target`. TLS options apply only to `rediss://` and
 * `rediss+sentinel://` targets (settings refuse them otherwise); with Sentinel they apply to the
 * Sentinels and the data servers alike.
 */
export function clientOptions(target: RedisTarget, config: RedisClientConfig): RedisOptions {
  const tls = target.tls ? { ...config.tls } : undefined;
  const options: RedisOptions = {
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(tls ? { tls } : {}),
  };
  if (target.kind === 'url') return options;
  return {
    ...options,
    ...(config.sentinelUsername !== undefined ? { sentinelUsername: config.sentinelUsername } : {}),
    ...(config.sentinelPassword !== undefined ? { sentinelPassword: config.sentinelPassword } : {}),
    ...(tls ? { sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
  };
}
