import type { ApprovalRecord } from './policy/approval-types.ts';
/** Shared shapes of the alert's path: Alert -> Runbook match -> Run -> StepRecord. */

export type Labels = Readonly<Record<string, string>>;
export type AlertStatus = 'firing' | 'resolved';

/** One alert of an Alertmanager notification, as remediator keeps it. */
export interface Alert {
  readonly status: AlertStatus;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
}

/** Where a notification came from (kept in run records for the audit trail). */
export interface NotificationSource {
  readonly receiver: string;
  readonly groupKey: string;
  readonly externalURL: string;
}

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
  /** Alertmanager's text form, e.g. `service=~"a|b"`. */
  readonly text: string;
  matches(labels: Labels): boolean;
}

/** A compiled template: renders a context to a string or throws E_TEMPLATE. */
export type Template = (context: TemplateContext) => string;

export interface TemplateContext {
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly params: Labels;
  readonly target: string;
  readonly alert: {
    readonly status: AlertStatus;
    readonly fingerprint: string;
    readonly startsAt: string;
    readonly generatorURL: string;
  };
  readonly runbook: { readonly name: string };
}

export interface ParamSpec {
  readonly name: string;
  readonly from: Template;
  /** Fully anchored RE2 pattern the rendered value must match. */
  readonly pattern: { readonly source: string; test(value: string): boolean };
  /**
   * A value may start with `-`. Off, such a value is refused even when the pattern matches it, so
   * that no label can become an option of the command it is passed to. @defaultValue false
   */
  readonly allowLeadingDash: boolean;
}

export interface SshStepSpec {
  readonly kind: 'ssh';
  readonly command: readonly Template[];
  readonly stdin?: Template;
  readonly timeoutMs: number;
}

export interface HttpStepSpec {
  readonly kind: 'http';
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: Template;
  readonly headers: Readonly<Record<string, Template>>;
  /** JSON body; string leaves are templates. */
  readonly body?: JsonTemplate;
  readonly expect: readonly number[];
  readonly timeoutMs: number;
}

/** Runs a program on the remediator host: argv only, no shell (see src/execute/exec.ts). */
export interface ExecStepSpec {
  readonly kind: 'exec';
  /** argv; the first element is literal text, checked against REMEDIATOR_EXEC_ALLOW at load. */
  readonly command: readonly Template[];
  /** The program's whole environment besides REMEDIATOR_EXEC_ENV and PATH (see README). */
  readonly env: Readonly<Record<string, Template>>;
  /** Literal absolute directory. @defaultValue remediator's own working directory */
  readonly cwd?: string;
  readonly stdin?: Template;
  readonly timeoutMs: number;
}

/** Runs ansible-playbook against the run's target (see src/execute/ansible.ts). */
export interface AnsibleStepSpec {
  readonly kind: 'ansible';
  /** Absolute path: REMEDIATOR_ANSIBLE_PLAYBOOKS joined with the runbook's relative path, checked at load. */
  readonly playbook: string;
  /** Each value a param's rendered value, passed as a JSON string. */
  readonly extraVars: Readonly<Record<string, Template>>;
  readonly tags: readonly string[];
  readonly timeoutMs: number;
}

export type StepAction = SshStepSpec | HttpStepSpec | ExecStepSpec | AnsibleStepSpec;

export type JsonTemplate =
  | { readonly t: 'str'; readonly v: Template }
  | { readonly t: 'lit'; readonly v: number | boolean | null }
  | { readonly t: 'arr'; readonly v: readonly JsonTemplate[] }
  | { readonly t: 'obj'; readonly v: Readonly<Record<string, JsonTemplate>> };

export type VerifyTemplate =
  | { readonly kind: 'alertResolved'; readonly withinMs: number }
  | {
      readonly kind: 'promql';
      readonly query: Template;
      readonly expect: 'empty' | 'true';
      readonly withinMs: number;
    }
  | {
      readonly kind: 'http';
      readonly path: Template;
      readonly expect: readonly number[];
      readonly withinMs: number;
    };

export interface StepSpec {
  readonly name: string;
  readonly action: StepAction;
  /** Safe to run twice: retried once after the process running it died. @defaultValue false */
  readonly idempotent: boolean;
  readonly verify?: VerifyTemplate;
  /** Reverses this step: after a later failure, or also after recovery when `when` is 'always'. */
  readonly undo?: { readonly action: StepAction; readonly when: 'failure' | 'always' };
  /** Ask a human before this step runs. */
  readonly approval?: ApprovalSpec;
}

export interface Rate {
  readonly limit: number;
  readonly windowMs: number;
}

/** A runbook's safety limits, defaults filled in (see schema/runbook.schema.json). */
export interface RunbookPolicy {
  readonly cooldownMs: number;
  readonly maxRuns: Rate;
  readonly maxRunsPerTarget: Rate;
  readonly maxInFlight: number;
  /** Renders the progressive-healing group; '' = no group. */
  readonly group: Template;
  readonly groupConcurrency: number;
  readonly maxWaitMs: number;
  readonly breaker: { readonly failures: number; readonly withinMs: number; readonly coolOffMs: number };
  readonly onResolved: 'abort' | 'finish';
  readonly rerun: 'never' | 'afterCooldown';
  /** Storm guard: arrivals per window beyond which runs are refused (`storm`); undefined = the global setting. */
  readonly storm?: Rate | 'off';
}

/** A runbook as loaded: validated, defaults filled, templates compiled, frozen. */
export interface Runbook {
  readonly name: string;
  readonly description: string;
  readonly file: string;
  readonly match: readonly Matcher[];
  readonly on: AlertStatus;
  readonly target: Template;
  readonly params: readonly ParamSpec[];
  readonly steps: readonly StepSpec[];
  readonly policy: RunbookPolicy;
  readonly dryRun: boolean;
  readonly adaptive: boolean;
  /** Ask a human before the run starts (see also StepSpec.approval). */
  readonly approval?: ApprovalSpec;
  /** Hold the human page while healing; absent: REMEDIATOR_PAGE_HOLD decides. */
  readonly pageHold?: boolean;
}

/** When to ask a human, and what silence means. Approval is needed when any condition holds. */
export interface ApprovalSpec {
  readonly always: boolean;
  /** All must match the alert's labels. */
  readonly labels: readonly Matcher[];
  /** Business hours: approval is needed outside them. */
  readonly outside?: BusinessHours;
  /** Needed when the in-flight places, counting this run, would be used above this share of a cap. */
  readonly blastRadiusAbove?: number;
  readonly expiresAfterMs: number;
  readonly onExpiry: 'deny' | 'approve';
}

export interface BusinessHours {
  /** 0 = Sunday ... 6 = Saturday. */
  readonly days: ReadonlySet<number>;
  /** Minutes since midnight; start included, end excluded. */
  readonly fromMinute: number;
  readonly toMinute: number;
  readonly timeZone: string;
  /** As written, e.g. `Mon-Fri 09:00-18:00 Europe/Berlin`. */
  readonly text: string;
}

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly keyFile: string;
  /** Pinned host keys, `type base64` each; or a known_hosts file. One of the two is set. */
  readonly hostKeys: readonly string[];
  readonly knownHostsFile?: string;
}

export interface HttpTarget {
  readonly baseUrl: string;
  /** Resolved header values; may hold secrets, so never copied into run records. */
  readonly headers: Readonly<Record<string, string>>;
  /** The values `${file:}`/`${env:}` in the headers resolved to, for redaction (src/record/redact.ts). */
  readonly secrets?: readonly string[];
}

export interface Target {
  readonly name: string;
  /** Only exec steps act on it, from the remediator host (inventory `local: true`). */
  readonly local?: boolean;
  readonly ssh?: SshTarget;
  readonly http?: HttpTarget;
}

export type Inventory = ReadonlyMap<string, Target>;

/** A step after rendering: what will run, exactly. Holds no secrets. */
export type RenderedAction =
  | {
      readonly kind: 'ssh';
      readonly argv: readonly string[];
      readonly stdin?: string;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: 'http';
      readonly method: HttpStepSpec['method'];
      readonly path: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly body?: unknown;
      readonly expect: readonly number[];
      readonly timeoutMs: number;
    }
  | {
      readonly kind: 'exec';
      readonly argv: readonly string[];
      readonly env: Readonly<Record<string, string>>;
      readonly cwd?: string;
      readonly stdin?: string;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: 'ansible';
      /** Absolute path of the playbook. */
      readonly playbook: string;
      readonly extraVars: Readonly<Record<string, string>>;
      readonly tags: readonly string[];
      /** Check mode (`--check --diff`): the run's dry run. */
      readonly check: boolean;
      readonly timeoutMs: number;
    };

/** What ansible-playbook reported per task (from its json callback), for the run record. */
export interface TaskOutcome {
  readonly task: string;
  readonly status: 'ok' | 'changed' | 'failed' | 'ignored' | 'skipped' | 'unreachable';
  readonly message?: string;
}

export interface StepResult {
  readonly ok: boolean;
  readonly exitCode?: number;
  readonly httpStatus?: number;
  /** Output excerpt (stdout+stderr, or response body), truncated. */
  readonly output: string;
  readonly errorCode?: string;
  readonly error?: string;
  /** ansible steps: each task's outcome, in order. */
  readonly tasks?: readonly TaskOutcome[];
}

export type RunStatus =
  'queued' | 'awaiting_approval' | 'running' | 'succeeded' | 'failed' | 'unknown' | 'skipped';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StepRecord {
  name: string;
  status: StepStatus;
  /** Why a step did not run: 'not_needed' (an earlier step's verify passed), 'run_failed', 'aborted'. */
  skippedBecause?: string;
  idempotent?: boolean;
  /** Set when the step was run again after the process running it died (idempotent steps only). */
  retried?: boolean;
  verify?: { kind: string; ok: boolean; detail: string; elapsedMs: number };
  undo?: {
    status: 'succeeded' | 'failed';
    action: RenderedAction;
    exitCode?: number;
    httpStatus?: number;
    output?: string;
    errorCode?: string;
    error?: string;
  };
  action?: RenderedAction;
  exitCode?: number;
  httpStatus?: number;
  output?: string;
  errorCode?: string;
  error?: string;
  /** ansible steps: each task's outcome, in order. */
  tasks?: TaskOutcome[];
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
}

export interface RunRecord {
  id: string;
  runbook: string;
  target: string;
  status: RunStatus;
  /** Stable code of why the run ended as it did (E_... or 'ok'). */
  reason?: string;
  message?: string;
  alert: Alert;
  source: NotificationSource;
  receivedAt: string;
  startedAt?: string;
  finishedAt?: string;
  steps: StepRecord[];
  /** Every policy decision taken for this run, in order (waits recorded when their reason changes). */
  decisions?: Array<{ stage: string; decision: string; reason?: string; detail?: string; at: string }>;
  /** Fencing number of the target lock this run held. */
  fence?: number;
  /** Set on a re-run of an occurrence (`rerun: afterCooldown`): the id of its first run. */
  rerunOf?: string;
  /** The progressive-healing group the run belonged to. */
  group?: string;
  /** Target state when the run started and ended. */
  targetState?: { start?: string; end?: string };
  escalations?: Array<{ target: string; ok: boolean; status?: number; error?: string; attempts: number }>;
  /** Approval requests, oldest first; the last one is the current. */
  approvals?: ApprovalRecord[];
  /** The Alertmanager silence holding the human page while this run heals (execute/page-hold.ts). */
  pageHold?: PageHoldRecord;
}

/** Why a page hold ended: the run's end, an approval request, or (after healing) what Alertmanager said. */
export type PageHoldEnd =
  'failed' | 'unknown' | 'refused' | 'skipped' | 'approval' | 'resolved' | 'not_resolved' | 'shared';

/**
 * A page hold and its history. `held`: the silence exists and is renewed; `healed`: the run succeeded
 * and the hold waits for Alertmanager to see the alert resolved; `ended`: released or removed;
 * `unavailable`: Alertmanager could not be reached, nothing is held (fail-open); `declined`: the
 * silence would cover another alert too, or Alertmanager does not have this one (page-hold-scope.ts).
 */
export interface PageHoldRecord {
  state: 'held' | 'healed' | 'ended' | 'unavailable' | 'declined';
  silenceId?: string;
  /** When the silence ends unless renewed. */
  until?: string;
  events: PageHoldEvent[];
}

/** `hold:renewed` is kept once (the latest) with a count, so a long run does not grow its record. */
export interface PageHoldEvent {
  type: 'hold:created' | 'hold:renewed' | 'hold:released' | 'hold:removed' | 'hold:failed' | 'hold:declined';
  at: string;
  silenceId?: string;
  until?: string;
  why?: string;
  count?: number;
}

/** The logging surface modules use (fastify's pino logger fits it). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
