import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import sjson from 'secure-json-parse';
import type { Registry } from 'prom-client';
import { RemediatorError } from './errors.ts';
import { registerDocs } from './http/docs.ts';
import { healthRoutes } from './http/health.ts';
import { metricsRoutes } from './http/metrics-route.ts';
import { runsRoutes } from './http/runs.ts';
import { webhookRoutes } from './http/webhook.ts';
import type { Credentials } from './http/auth.ts';
import type { RunbookIndex } from './match/select.ts';
import type { AuditLog } from './record/events.ts';
import type { Metrics, QueueState } from './record/metrics.ts';
import type { RunStore } from './record/runs-store.ts';
import type { ProducerDeps } from './queue/producer.ts';
import type { PolicyStores } from './policy/types.ts';
import { pausesRoutes } from './http/pauses.ts';
import { approvalRoutes } from './http/approvals.ts';
import { approvalLinkRoutes } from './http/approval-links.ts';
import { slackActionRoutes } from './http/slack-actions.ts';
import { consoleRoutes } from './http/ui/console.ts';
import { refuseCrossSiteWrites } from './http/cross-site.ts';
import type { ApprovalService } from './policy/approval-types.ts';
import type { AuthStores } from './stores/auth-stores.ts';

export interface AppDeps {
  readonly settings: {
    readonly bodyLimit: number;
    readonly webhookAuth: Credentials;
    readonly operatorToken?: string;
    /**
     * GET and HEAD on /api/v1 pass without the operator token (only when main.ts generated the
     * token because none was configured); writes always need it. @defaultValue false
     */
    readonly openReads?: boolean;
    /** REMEDIATOR_METRICS_TOKEN: /metrics needs it as a Bearer token; unset = open. */
    readonly metricsToken?: string;
    /** /docs needs the operator token. @defaultValue false */
    readonly protectDocs?: boolean;
    /** Enables Slack's interactive buttons (POST /hooks/slack/actions). */
    readonly slackSigningSecret?: string;
    /** How people reach this service (REMEDIATOR_PUBLIC_URL); https here makes console cookies Secure. */
    readonly publicUrl?: string;
  };
  /** Serve the Alertmanager webhook (false for worker-only processes). */
  readonly webhook: boolean;
  readonly logger: PinoLogger;
  readonly registry: Registry;
  readonly metrics: Metrics;
  readonly index: RunbookIndex;
  readonly runbookCount: number;
  readonly producer: ProducerDeps;
  readonly store: RunStore;
  readonly audit: AuditLog;
  readonly pingRedis: () => Promise<boolean>;
  readonly queueCounts: () => Promise<Partial<Record<QueueState, number>>>;
  readonly stores: PolicyStores;
  /** Used Slack callbacks, console sessions and failed logins (Redis, shared by every process). */
  readonly authStores: AuthStores;
  /** How long a healed target stays `stabilizing`. */
  readonly stabilizeMs: number;
  /**
   * Resolves once enough Redis replicas have what the webhook just wrote (REMEDIATOR_REDIS_MIN_REPLICAS);
   * throws a retryable error (503) otherwise. Absent: the primary's acknowledgement is enough.
   */
  readonly confirmReplicated?: () => Promise<void>;
  /** Reads policy state into the gauges before a scrape (circuits, targets, healing memory, pauses). */
  readonly collectPolicyMetrics?: () => Promise<void>;
  readonly now: () => Date;
  /** Answers approval requests (API, links, Slack, console); absent in tests that do not need it. */
  readonly approvals?: ApprovalService;
  /** The secret approval links are signed with (read from Redis on first use when not configured). */
  readonly approvalLinks?: { readonly secret: () => Promise<Buffer> };
}

/** The largest body of any route but the webhook: 1 MiB (fastify's own default). */
const OTHER_BODY_LIMIT = 1024 * 1024;

/** Builds the HTTP app; never listens (main.ts does, tests use inject()). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Only the webhook takes large bodies (its own bodyLimit); forms and API calls are small.
    bodyLimit: Math.min(deps.settings.bodyLimit, OTHER_BODY_LIMIT),
    // Alertmanager retries; keep a slow client from holding a socket forever.
    requestTimeout: 30_000,
    // Signed approval links are path parameters of ~200 characters (the default limit is 100).
    routerOptions: { maxParamLength: 2048 },
    // The webhook logs one line per notification itself; per-request lines would double that.
    logController: new LogController({ disableRequestLogging: true }),
    // An unknown query parameter is an error, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });
  // A `__proto__` key is removed before any code sees it, not refused: a scraped app can name a label
  // so, and a 400 would make Alertmanager drop the whole group. `constructor.prototype` (an object, which
  // no label value is) is refused; the default parser would call that "not valid JSON".
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, sjson.parse(body as string, { protoAction: 'remove', constructorAction: 'error' }));
    } catch (err) {
      const e = Object.assign(new Error(`body rejected: ${(err as Error).message}`), {
        statusCode: 400,
        code: 'E_BAD_JSON',
      });
      done(e, undefined);
    }
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof RemediatorError && error.retryable) {
      request.log.warn(
        { code: error.code, err: error.message },
        'transient failure: answering 503 so the sender retries',
      );
      return reply.code(503).send({ error: 'unavailable', code: error.code, message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const message = error.validation ? `invalid payload: ${error.message}` : error.message;
    return reply
      .code(status)
      .send({ error: status >= 500 ? 'internal' : 'bad_request', code: error.code, message });
  });
  refuseCrossSiteWrites(app, deps.settings.publicUrl);
  // Before the routes: it collects them as they are added.
  await registerDocs(app, deps);
  await app.register(healthRoutes, deps);
  await app.register(metricsRoutes, deps);
  if (deps.webhook) await app.register(webhookRoutes, deps);
  await app.register(runsRoutes, deps);
  await app.register(pausesRoutes, deps);
  await app.register(approvalRoutes, deps);
  await app.register(approvalLinkRoutes, deps);
  await app.register(slackActionRoutes, deps);
  await app.register(consoleRoutes, deps);
  return app;
}
