import type { HttpTarget, RenderedAction, SshTarget, StepResult } from '../types.ts';

export type SshAction = Extract<RenderedAction, { kind: 'ssh' }>;
export type HttpAction = Extract<RenderedAction, { kind: 'http' }>;
export type ExecAction = Extract<RenderedAction, { kind: 'exec' }>;
export type AnsibleAction = Extract<RenderedAction, { kind: 'ansible' }>;

/** How steps reach targets. A step failure is a StepResult with ok: false, never a thrown error. */
export interface Executors {
  ssh: { run(target: SshTarget, action: SshAction, signal?: AbortSignal): Promise<StepResult> };
  http: { run(target: HttpTarget, action: HttpAction, signal?: AbortSignal): Promise<StepResult> };
  /** Programs on the remediator host; absent, exec steps fail with E_NO_EXECUTOR. */
  exec?: { run(action: ExecAction, signal?: AbortSignal): Promise<StepResult> };
  /** ansible-playbook against the target's ssh entry; absent, ansible steps fail with E_NO_EXECUTOR. */
  ansible?: { run(target: SshTarget, action: AnsibleAction, signal?: AbortSignal): Promise<StepResult> };
}

/** Output kept per stream: the head and the tail, with the middle cut. */
export const OUTPUT_HEAD_BYTES = 2048;
export const OUTPUT_TAIL_BYTES = 2048;

export function excerpt(text: string, head = OUTPUT_HEAD_BYTES, tail = OUTPUT_TAIL_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= head + tail) return text;
  const cut = bytes.length - head - tail;
  return `${bytes.subarray(0, head).toString('utf8')}\n…[${cut} bytes truncated]…\n${bytes.subarray(bytes.length - tail).toString('utf8')}`;
}
