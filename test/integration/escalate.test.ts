import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createEscalator,
  jsonBody,
  parseEscalationTargets,
  slackBody,
  type Escalation,
} from '../../src/record/escalate.ts';
import type { Logger } from '../../src/types.ts';
import { freePort } from '../harness/ports.ts';

const escalation: Escalation = {
  runId: 'r-1',
  runbook: 'disk-full',
  target: 'db-1',
  status: 'failed',
  reason: 'E_EXIT',
  message: 'step "clean" exited 1',
  alert: {
    labels: { alertname: 'DiskFull', instance: 'db-1:9100' },
    annotations: { summary: 'disk at 97%' },
    startsAt: '2024-05-01T10:00:00Z',
    fingerprint: 'a1b2c3d4e5f60718',
  },
  steps: [{ name: 'clean', status: 'failed', errorCode: 'E_EXIT', error: 'exit 1' }],
  decisions: [{ stage: 'cooldown', decision: 'pass' }],
  runUrl: 'https://remediator.example/runs/r-1',
};

interface Received {
  path: string;
  contentType: string | undefined;
  body: unknown;
}

/** Answers each path with its scripted statuses in turn (the last one repeats), after `delayMs`. */
let server: Server;
let origin: string;
const received: Received[] = [];
const script = new Map<string, { statuses: number[]; delayMs: number; body: string }>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({ path, contentType: req.headers['content-type'], body: JSON.parse(text) });
      const entry = script.get(path) ?? { statuses: [200], delayMs: 0, body: 'ok' };
      const status = entry.statuses.length > 1 ? (entry.statuses.shift() ?? 200) : (entry.statuses[0] ?? 200);
      setTimeout(
        () => res.writeHead(status, { 'content-type': 'text/plain' }).end(entry.body),
        entry.delayMs,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);
beforeEach(() => {
  received.length = 0;
  script.clear();
});

function recordingLog(): Logger & { lines: unknown[] } {
  const lines: unknown[] = [];
  const keep = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

function escalator(setting: string, more: { timeoutMs?: number; backoffMs?: number[] } = {}) {
  const log = recordingLog();
  return {
    log,
    escalate: createEscalator({ targets: parseEscalationTargets(setting), log, ...more }).escalate,
  };
}

describe('escalation to real webhook servers', () => {
  it('delivers the JSON body to a generic webhook and the Slack body to a slack+ one, in parallel', async () => {
    script.set('/hook/json-secret', { statuses: [200], delayMs: 300, body: 'ok' });
    script.set('/services/T0/B0/slack-secret', { statuses: [200], delayMs: 300, body: 'ok' });
    const { escalate } = escalator(`${origin}/hook/json-secret, slack+${origin}/services/T0/B0/slack-secret`);
    const started = Date.now();
    const results = await escalate(escalation);
    expect(Date.now() - started).toBeLessThan(550);
    expect(results).toEqual([
      { target: origin, ok: true, status: 200, attempts: 1 },
      { target: origin, ok: true, status: 200, attempts: 1 },
    ]);
    const byPath = new Map(received.map((r) => [r.path, r]));
    expect(byPath.get('/hook/json-secret')).toEqual({
      path: '/hook/json-secret',
      contentType: 'application/json',
      body: jsonBody(escalation),
    });
    const slack = byPath.get('/services/T0/B0/slack-secret')?.body as ReturnType<typeof slackBody>;
    expect(slack).toEqual(slackBody(escalation));
    expect(slack.text).toBe('Remediation gave up: DiskFull on db-1');
    expect(slack.blocks.map((b) => (b as { type: string }).type)).toEqual([
      'header',
      'section',
      'section',
      'section',
    ]);
  });

  it('retries a 500 and delivers on the second attempt after a backoff', async () => {
    script.set('/flaky', { statuses: [500, 200], delayMs: 0, body: 'ok' });
    const { escalate } = escalator(`${origin}/flaky`);
    const started = Date.now();
    const [result] = await escalate(escalation);
    expect(result).toEqual({ target: origin, ok: true, status: 200, attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(received).toHaveLength(2);
  });

  it('gives up after the retries on a lasting 5xx', async () => {
    script.set('/down', { statuses: [503], delayMs: 0, body: 'maintenance' });
    const { escalate } = escalator(`${origin}/down`, { backoffMs: [10, 20] });
    const [result] = await escalate(escalation);
    expect(result).toEqual({
      target: origin,
      ok: false,
      status: 503,
      error: 'answered 503: maintenance',
      attempts: 3,
    });
  });

  it('does not retry a 4xx', async () => {
    script.set('/bad', { statuses: [400, 200], delayMs: 0, body: 'invalid_payload' });
    const { escalate } = escalator(`slack+${origin}/bad`);
    const [result] = await escalate(escalation);
    expect(result).toEqual({
      target: origin,
      ok: false,
      status: 400,
      error: 'answered 400: invalid_payload',
      attempts: 1,
    });
    expect(received).toHaveLength(1);
  });

  it('reports an unreachable port and a server that does not answer in time, without throwing', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    script.set('/slow', { statuses: [200], delayMs: 1000, body: 'ok' });
    const { escalate } = escalator(`${closed}/hook/secret, ${origin}/slow`, {
      timeoutMs: 200,
      backoffMs: [10],
    });
    const [refused, slow] = await escalate(escalation);
    expect(refused).toMatchObject({ target: closed, ok: false, attempts: 3 });
    expect(refused?.error).toMatch(/ECONNREFUSED/);
    expect(refused?.status).toBeUndefined();
    expect(slow).toEqual({ target: origin, ok: false, error: 'no answer within 200 ms', attempts: 3 });
  });

  it('keeps webhook paths out of results and logs', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    script.set('/services/T0/B0/SECRET1?token=SECRET2', { statuses: [500], delayMs: 0, body: 'no' });
    const { escalate, log } = escalator(
      `${origin}/services/T0/B0/SECRET1?token=SECRET2, slack+${closed}/services/SECRET3, ${origin}/ok-SECRET4`,
      { backoffMs: [5] },
    );
    const results = await escalate(escalation);
    expect(results.map((r) => [r.target, r.ok])).toEqual([
      [origin, false],
      [closed, false],
      [origin, true],
    ]);
    const seen = JSON.stringify({ results, logs: log.lines });
    expect(seen).not.toMatch(/SECRET|services/);
    expect(log.lines).toContainEqual({
      level: 'warn',
      obj: { runId: 'r-1', target: origin, ok: false, status: 500, error: 'answered 500: no', attempts: 3 },
      msg: 'escalation not delivered',
    });
    expect(log.lines).toContainEqual({
      level: 'info',
      obj: { runId: 'r-1', target: origin, attempts: 1 },
      msg: 'escalation delivered',
    });
  });
});
