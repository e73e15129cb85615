/**
 * The files one ansible-playbook run reads, all written into a temp directory of its own (0700) and
 * removed after it: a one-host inventory from the target's inventory entry, a known_hosts file from its
 * pinned host keys, the extra vars, an empty ansible.cfg (so no ansible.cfg in a working directory or
 * home is read) and the stdout callback that reports each task as one JSON line.
 */
import type { SshTarget } from '../types.ts';

/** The inventory alias of the run's host: fixed, so no target name (e.g. `app-1:8081`) becomes a pattern. */
export const HOST_ALIAS = 'target';

/** Each task result, one line each, after this marker (warnings may share stdout). */
export const TASK_MARKER = 'REMEDIATOR-TASK ';

/** A one-host inventory (JSON is YAML) with the connection the inventory gives, nothing else. */
export function inventoryFile(target: SshTarget): string {
  const host = {
    ansible_host: target.host,
    ansible_port: target.port,
    ansible_user: target.user,
    ansible_ssh_private_key_file: target.keyFile,
    ansible_connection: 'ssh',
    ansible_python_interpreter: 'auto_silent',
  };
  return `${JSON.stringify({ all: { hosts: { [HOST_ALIAS]: host } } }, null, 2)}\n`;
}

/** known_hosts lines for the pinned keys, in OpenSSH's `[host]:port` form when the port is not 22. */
export function knownHostsFile(target: SshTarget): string {
  const name = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
  return target.hostKeys.map((key) => `${name} ${key}\n`).join('');
}

/**
 * ssh options for every connection: the host key checked against exactly our file, never asked
 * about nor added; no connection sharing (a ControlPersist master would outlive the run).
 */
export function sshArgs(knownHosts: string): string {
  return [
    '-o StrictHostKeyChecking=yes',
    `-o UserKnownHostsFile=${shellWord(knownHosts)}`,
    '-o GlobalKnownHostsFile=/dev/null',
    '-o BatchMode=yes',
    '-o IdentitiesOnly=yes',
    '-o ControlMaster=no',
    '-o ControlPath=none',
  ].join(' ');
}

/** Ansible splits ssh_args with Python's shlex: a path in single quotes stays one word. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'"'"'`)}'`;
}

/**
 * Extra vars as YAML, each value a double-quoted string tagged `!unsafe`: Ansible then never
 * templates it, so a label holding `{{ lookup('pipe', 'id') }}` stays that text, and `true` or `42`
 * stay strings. Everything outside printable ASCII is written as an escape (\uXXXX, \UXXXXXXXX),
 * which PyYAML reads back exactly; lone surrogates were refused when the step was rendered.
 */
export function extraVarsFile(vars: Readonly<Record<string, string>>): string {
  const entries = Object.entries(vars).map(([name, value]) => `  ${name}: !unsafe ${yamlString(value)}`);
  return entries.length === 0 ? '{}\n' : `{\n${entries.join(',\n')}\n}\n`;
}

function yamlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** The stdout callback (ansible-core 2.14 on Debian ships no json one; ansible.posix is a collection). */
export const CALLBACK_PLUGIN = `# Written by remediator for one run; reports each task result as one JSON line.
from __future__ import annotations
import json
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: remediator_json
type: stdout
short_description: one JSON line per task result, for remediator
description: [One JSON line per task result, for remediator.]
'''

MARKER = ${JSON.stringify(TASK_MARKER)}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'remediator_json'

    def _emit(self, status, result):
        r = result._result
        line = {'task': result._task.get_name(), 'status': status}
        if status in ('failed', 'unreachable'):
            msg = r.get('msg') or r.get('stderr') or r.get('module_stderr') or ''
            if not isinstance(msg, str):
                msg = json.dumps(msg, default=str)
            line['message'] = msg[:2000]
        self._display.display(MARKER + json.dumps(line), screen_only=True)

    def v2_runner_on_ok(self, result):
        self._emit('changed' if result._result.get('changed') else 'ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._emit('ignored' if ignore_errors else 'failed', result)

    def v2_runner_on_skipped(self, result):
        self._emit('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._emit('unreachable', result)
`;
