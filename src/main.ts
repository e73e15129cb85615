import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { pino, type Logger as PinoLogger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { buildApp } from './app.ts';
import { loadInventory } from './config/inventory.ts';
import { configuredSecrets, createRedactor, redactingLogger } from './record/redact.ts';
import { loadRunbooks } from './config/runbooks.ts';
import { createExecExecutor } from './execute/exec.ts';
import { createAnsibleExecutor } from './execute/ansible.ts';
import { findAnsiblePlaybook } from './config/ansible-check.ts';
import { passedEnvValues } from './config/local-settings.ts';
import type { Env, Settings } from './config/settings.ts';
import { createHttpExecutor } from './execute/http.ts';
import { processRun, type RunnerDeps } from './execute/runner.ts';
import { createPolicyStores } from './policy/stores.ts';
import { createSilenceChecker } from './policy/silences.ts';
import { checkPageHold, pageHoldSetup, startHealedWatch } from './execute/page-hold-setup.ts';
import { createEscalator, parseEscalationTargets } from './record/escalate.ts';
import { verify } from './verify/verify.ts';
import { createApprovalService } from './policy/approval-service.ts';
import { announceSecret, loadApprovalSecret } from './policy/approval-secret.ts';
import { createApprovalNotifier } from './record/approval-notify.ts';
import { wakeParked, wakeRun } from './queue/wake.ts';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { createSshExecutor } from './execute/ssh.ts';
import { buildRunbookIndex } from './match/select.ts';
import { createRedisAuditLog } from './record/events.ts';
import { createMetrics } from './record/metrics.ts';
import { collectPolicyMetrics } from './record/policy-metrics.ts';
import { createRedisRunStore } from './record/runs-store.ts';
import { createFairOrder } from './queue/fair.ts';
import { createRunWriter } from './queue/run-writer.ts';
import { cacheLogins } from './stores/login-throttle-cache.ts';
import { RUN_QUEUE, type RunJobData } from './queue/producer.ts';
import { startRunWorker, within, type RunWorker } from './queue/worker.ts';
import { checkRedisDurability } from './redis/check.ts';
import { confirmReplicated } from './redis/replicas.ts';
import { closeRedis, createRedis, pingRedis } from './redis/connect.ts';
import { awaitRedis } from './redis/startup.ts';
import { redactRedisUrl } from './redis/url.ts';
import { startEmbeddedRedis } from './redis/embedded.ts';
import { claimDataDir } from './config/data-dir.ts';
import { createAuthStores, type AuthStores } from './stores/auth-stores.ts';
import { operatorToken } from './config/operator-token.ts';

export type Mode = 'serve' | 'worker';

export interface Service {
  readonly app: FastifyInstance;
  /** http://host:port the service listens on. */
  readonly url: string;
  /** The Redis in use; the embedded one's holds its password, so never log it (see redactRedisUrl). */
  readonly redisUrl: string;
  /** Stops taking work, lets running steps finish within the grace period, closes everything. */
  stop(): Promise<void>;
}

/** Composition root: reads config, builds deps with production defaults, starts server and worker. */
export async function startService(
  settings: Settings,
  mode: Mode,
  env: Env,
  logger?: PinoLogger,
): Promise<Service> {
  const log = logger ?? pino({ level: settings.logLevel, base: { service: 'remediator', mode } });
  const runbooks = await loadRunbooks([settings.runbooksDir], settings.local);
  const inventory = await loadInventory(settings.inventoryFile, { env });
  const ansiblePlaybook = await findAnsiblePlaybook(runbooks, env);
  checkPageHold(settings, runbooks);
  log.info({ runbooks: runbooks.length, targets: inventory.size }, 'runbooks and inventory loaded');
  // Before Redis starts, so a secret file it cannot read stops nothing half-started.
  const approvalKey = await loadApprovalSecret(settings.approvalSecret, settings.dataDir);
  const releaseDataDir = settings.redisUrl ? () => {} : claimDataDir(settings.dataDir);
  const embedded = settings.redisUrl
    ? undefined
    : await startEmbeddedRedis({ dataDir: join(settings.dataDir, 'redis'), log: (msg) => log.info({}, msg) });
  const redisUrl = settings.redisUrl ?? embedded!.url;
  // The embedded server's password is in its URL; an external one's may come from settings.
  const client = settings.redisUrl ? settings.redisClient : {};
  const redis = createRedis(redisUrl, 'command', log, client);
  const workerRedis = createRedis(redisUrl, 'worker', log, client);
  // Run records and policy state get a connection of their own: BullMQ loads dozens of Lua scripts on
  // the queue's connection, and ioredis copies them into every MULTI made on it.
  const storeRedis = createRedis(redisUrl, 'command', log, client);
  // The worker's view of the same state waits out a Redis blip instead of failing mid-run.
  const workerStoreRedis = createRedis(redisUrl, 'worker', log, client);
  // Serve even when Redis is away (the webhook answers 503 until it is back), but give it a moment first.
  // A wrong password or an untrusted certificate fails here, with a code, instead of serving only 503s.
  const reached = await awaitRedis(redis, redactRedisUrl(redisUrl), 3000).catch(async (err: unknown) => {
    await Promise.all([redis, workerRedis, storeRedis, workerStoreRedis].map((c) => closeRedis(c)));
    await embedded?.stop();
    releaseDataDir();
    throw err;
  });
  if (!reached) {
    log.warn({}, 'Redis does not answer yet: the webhook answers 503 until it does');
  }
  if (settings.redisUrl) {
    for (const warning of await checkRedisDurability(redis)) log.warn({ redis: 'durability' }, warning);
  }
  const prefix = `${settings.redisPrefix}:`;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createMetrics(registry, runbooks);
  const store = createRedisRunStore(storeRedis, { prefix, maxRuns: settings.maxRuns });
  const queue = new Queue<RunJobData>(RUN_QUEUE, { connection: redis, prefix: settings.redisPrefix });
  queue.on('error', (err) => log.warn({ err: err.message }, 'run queue: Redis error'));
  // A freed place wakes the runs parked on it (never awaited: a lost wake-up waits for the safety poll).
  const wake = { wake: (ids: readonly string[]) => void wakeParked(queue, ids, log) };
  const stores = createPolicyStores(storeRedis, prefix, wake);
  // storeRedis sends nothing before it is connected (no offline queue), and only `redis` was awaited:
  // the fingerprint was never written by a process whose Redis had just started.
  if (reached) await awaitRedis(storeRedis, redactRedisUrl(redisUrl), 3000).catch(() => false);
  await announceSecret(approvalKey, stores.approvals, (fields, msg) => log.warn(fields, msg));
  const linkSecret = (): Promise<Buffer> => Promise.resolve(approvalKey);
  // Links in approval requests: the public URL, else the address this process listens on (known after listen).
  let baseUrl = settings.publicUrl ?? '';
  const approvals = createApprovalService({
    store,
    stores,
    metrics,
    audit: createRedisAuditLog(storeRedis, prefix),
    log,
    now: () => new Date(),
    wake: (runId) => wakeRun(queue, runId, log),
  });
  const operator = operatorToken(settings.operatorToken, settings.dataDir);
  const webhookAuth = {
    ...(settings.webhookToken ? { token: settings.webhookToken } : {}),
    ...(settings.webhookBasic ? { basic: settings.webhookBasic } : {}),
  };
  const app = await buildApp({
    settings: {
      bodyLimit: settings.bodyLimit,
      webhookAuth,
      operatorToken: operator.token,
      // A generated token guards writes; reads stay open as before (curl, dashboards, the demo).
      ...(settings.operatorToken === undefined ? { openReads: true } : {}),
      ...(settings.metricsToken ? { metricsToken: settings.metricsToken } : {}),
      protectDocs: settings.protectDocs,
      ...(settings.slackSigningSecret ? { slackSigningSecret: settings.slackSigningSecret } : {}),
      ...(settings.publicUrl ? { publicUrl: settings.publicUrl } : {}),
    },
    approvals,
    approvalLinks: { secret: linkSecret },
    webhook: mode === 'serve',
    logger: log,
    registry,
    metrics,
    index: buildRunbookIndex(runbooks),
    runbookCount: runbooks.length,
    // Fair turns: one runbook's backlog does not hold back another runbook's fresh alert.
    producer: {
      queue,
      store,
      metrics,
      fair: createFairOrder(storeRedis, prefix),
      writer: createRunWriter(queue, { prefix, maxRuns: settings.maxRuns }),
    },
    store,
    audit: createRedisAuditLog(storeRedis, prefix),
    pingRedis: () => pingRedis(redis, 1000),
    queueCounts: () => queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
    now: () => new Date(),
    stores,
    // The webhook and the API check their client's block on every request: remembered for a second
    // when unblocked (src/stores/login-throttle-cache.ts says what that delays).
    authStores: withCachedLogins(createAuthStores(storeRedis, prefix)),
    stabilizeMs: settings.stabilizeMs,
    // The webhook writes new runs and their jobs in one MULTI on redis, its other writes (fair turns,
    // run updates) on storeRedis: both connections' writes must reach the replicas.
    ...(settings.redisMinReplicas > 0
      ? { confirmReplicated: () => confirmReplicated([storeRedis, redis], settings.redisMinReplicas, 1000) }
      : {}),
    collectPolicyMetrics: async () => {
      await collectPolicyMetrics(metrics, stores, runbooks, inventory, Date.now());
      const pending = await stores.approvals.pending(Date.now());
      metrics.approvalsPending.set(pending.count);
      metrics.approvalOldestPending.set(pending.oldestMs / 1000);
    },
  });
  const pageHold = pageHoldSetup(settings, runbooks, workerStoreRedis, prefix, fetch, log);
  const escalator = createEscalator({ targets: parseEscalationTargets(settings.escalationWebhooks), log });
  // The secrets made here (generated operator token, link secret, embedded Redis password) are
  // secrets too: a target on this host that prints its files must not put them into run records.
  const made = { operatorToken: operator.token, approvalSecret: approvalKey.toString('utf8'), redisUrl };
  // What REMEDIATOR_EXEC_ENV passes to programs is the operator's (tokens, keys): never recorded either.
  const passed = passedEnvValues(settings.local, env);
  const redact = createRedactor([...configuredSecrets({ ...settings, ...made }, inventory), ...passed]);
  const runner: RunnerDeps = {
    store: createRedisRunStore(workerStoreRedis, { prefix, maxRuns: settings.maxRuns }),
    runbooks: new Map(runbooks.map((r) => [r.name, r])),
    inventory,
    redact,
    executors: {
      ssh: createSshExecutor(),
      http: createHttpExecutor(),
      exec: createExecExecutor({ settings: settings.local, env }),
      ...(ansiblePlaybook === undefined
        ? {}
        : { ansible: createAnsibleExecutor({ ansiblePlaybook, settings: settings.local, env }) }),
    },
    metrics,
    log: redactingLogger(log, redact),
    now: () => new Date(),
    stores: createPolicyStores(workerStoreRedis, prefix, wake),
    settings,
    verify,
    escalate: (e) => escalator.escalate(e),
    fetch,
    sleep: (ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {}).catch(() => undefined),
    approvals: createApprovalNotifier({
      targets: parseEscalationTargets(settings.approvalWebhooks, 'approval webhook'),
      log,
      baseUrl: () => baseUrl,
      secret: linkSecret,
    }),
    ...(pageHold ? { pageHold } : {}),
    ...(settings.honourSilences && settings.alertmanagerUrl
      ? { silenced: createSilenceChecker({ url: settings.alertmanagerUrl, fetch, log }) }
      : {}),
    ...(settings.redisMinReplicas > 0
      ? {
          confirmReplicated: () => confirmReplicated([workerStoreRedis], settings.redisMinReplicas, 1000),
        }
      : {}),
  };
  if (mode === 'serve' && !settings.webhookToken && !settings.webhookBasic) {
    log.warn(
      { security: 'webhook-auth' },
      '!!! NO WEBHOOK AUTHENTICATION: anyone who can reach this port can trigger runbooks. Set REMEDIATOR_WEBHOOK_TOKEN(_FILE) or REMEDIATOR_WEBHOOK_USERNAME/PASSWORD(_FILE).',
    );
  }
  if (operator.unwritable)
    log.warn(
      { security: 'operator-token', error: operator.unwritable },
      '!!! NO OPERATOR TOKEN SET and none could be written to the data directory: every write (approve, deny, pause; the console) is refused until you set REMEDIATOR_OPERATOR_TOKEN(_FILE).',
    );
  if (operator.generatedFile)
    log.warn(
      { security: 'operator-token', file: operator.generatedFile },
      `!!! NO OPERATOR TOKEN SET: generated one in ${operator.generatedFile} (mode 0600). Every write (approve, deny, pause; the console) needs it; GET /api/v1/* is OPEN to anyone who can reach this port. Set REMEDIATOR_OPERATOR_TOKEN(_FILE) to close reads too.`,
    );
  const address = await app.listen({ host: settings.host, port: settings.port });
  if (!settings.publicUrl) baseUrl = address;
  // Work is taken only once the HTTP side is up: a failed listen must not leave runs cut off mid-step.
  const worker: RunWorker = startRunWorker({
    connection: workerRedis,
    prefix: settings.redisPrefix,
    concurrency: settings.concurrency,
    lockMs: settings.lockTtlMs,
    log,
    process: (runId) => processRun(runner, runId),
    wokenWhileParking: (runId) => runner.stores.admission.wokenWhileParking(runId),
    started: createFairOrder(workerStoreRedis, prefix).started,
  });
  const holdWatch = pageHold && startHealedWatch(pageHold, runner, settings);
  // The safety net for lost wake-ups: one run per waited-on place, however many runs wait.
  const sweeper = setInterval(
    () => {
      runner.stores.admission.sweep().catch((err: unknown) => log.debug({ err }, 'waiting runs not swept'));
    },
    settings.waitPollMs || 2 ** 31 - 1,
  );
  sweeper.unref();
  log.info({ url: address, redis: embedded ? 'embedded' : 'external' }, `remediator ${mode} listening`);
  return {
    app,
    url: address,
    redisUrl,
    stop: () => {
      holdWatch?.stop();
      clearInterval(sweeper);
      return stopAll({
        app,
        worker,
        queue,
        clients: [redis, workerRedis, storeRedis, workerStoreRedis],
        embedded,
        log,
        graceMs: settings.shutdownGraceMs,
      }).finally(releaseDataDir);
    },
  };
}

interface StopParts {
  app: FastifyInstance;
  worker: RunWorker;
  queue: Queue;
  clients: Redis[];
  embedded?: { stop(): Promise<void> };
  log: PinoLogger;
  graceMs: number;
}

function withCachedLogins(stores: AuthStores): AuthStores {
  // A clock that never goes back: NTP setting the wall clock back must not stretch the memory.
  return { ...stores, logins: cacheLogins(stores.logins, { now: () => performance.now() }) };
}

async function stopAll(parts: StopParts): Promise<void> {
  parts.log.info({ graceMs: parts.graceMs }, 'stopping: no new work; waiting for running steps');
  await parts.app.close();
  const drained = await parts.worker.close(parts.graceMs);
  if (!drained)
    parts.log.warn({}, 'grace period over: steps still running were abandoned (their runs will end unknown)');
  await within(
    parts.queue.close().catch(() => undefined),
    2000,
    undefined,
  );
  await Promise.all(parts.clients.map((client) => closeRedis(client)));
  await parts.embedded?.stop();
  parts.log.info({}, 'stopped');
}
