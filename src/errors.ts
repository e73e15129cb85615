/**
 * Every error remediator raises on purpose carries a stable `code` (used as a metric `reason` label
 * and in run records), a `retryable` flag (may the same work be tried again as it is?) and a message
 * that says what to fix.
 */
export type ErrorCode =
  | 'E_CONFIG' // a setting, runbook or inventory is invalid
  | 'E_MATCHER' // a matcher does not parse
  | 'E_TEMPLATE' // a template does not render (missing label, unknown helper)
  | 'E_PARAM' // a parameter failed its pattern
  | 'E_UNSAFE_ARG' // a rendered argument or stdin value holds a character we refuse to send (see README, ssh step)
  | 'E_UNKNOWN_TARGET' // the runbook's target is not in the inventory
  | 'E_NO_EXECUTOR' // the target has no ssh/http section for a step that needs it
  | 'E_HOST_KEY' // the SSH host key is unknown or changed
  | 'E_SSH' // connection or authentication failed
  | 'E_HTTP' // the request could not be made (refused, reset, DNS)
  | 'E_TIMEOUT' // a step ran past its timeout
  | 'E_EXIT' // a command exited non-zero
  | 'E_STATUS' // an HTTP step answered with an unexpected status
  | 'E_REDIS' // Redis is unreachable or failed a command
  | 'E_INTERRUPTED' // the process running a step died; the step's outcome is unknown
  | 'E_RUNBOOK_GONE' // the run's runbook is no longer loaded
  | 'E_SUPERSEDED' // a later attempt at the run holds a newer fence: this one must stop writing
  | 'E_CONFLICT' // a record changed under us too many times in a row
  | 'E_REDIS_MISSING' // no redis-server on PATH and no REDIS_URL
  | 'E_REDIS_AUTH' // Redis refused the password or user (WRONGPASS, NOAUTH, NOPERM)
  | 'E_REDIS_TLS' // the TLS handshake with Redis failed (certificate not trusted, wrong name)
  | 'E_APPROVAL_SECRET' // the approval-link secret file cannot be read or made
  | 'E_EXEC' // an exec step's program could not be started (not found, not executable)
  | 'E_ANSIBLE' // ansible-playbook is missing, a task failed or the host was unreachable
  | 'E_PROMETHEUS' // the backtest could not read the alert history from Prometheus
  | 'E_NO_HISTORY' // the backtest's range holds no firing alert
  | 'E_ALERTMANAGER'; // no Alertmanager peer answered the page hold's API call

export class RemediatorError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RemediatorError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** A configuration problem, with every finding as `file:line: item: problem`. */
export class ConfigError extends RemediatorError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('E_CONFIG', problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Redis is away or failing: the webhook answers 503 so Alertmanager retries. */
export class RedisUnavailableError extends RemediatorError {
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('E_REDIS', `Redis is unavailable (${detail}); nothing was stored, retry later`, {
      retryable: true,
      cause,
    });
    this.name = 'RedisUnavailableError';
  }
}

export function errorCode(err: unknown): ErrorCode | 'E_INTERNAL' {
  return err instanceof RemediatorError ? err.code : 'E_INTERNAL';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
