import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient, tableRows, type ConsoleClient } from '../harness/console-client.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { fire, httpInventory } from '../harness/policy-checks.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import type { Pause } from '../../src/stores/types.ts';

const TOKEN = 'console-operator-token';
const OPEN = 'cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50';
const RUNBOOKS = {
  'poke.yaml': `
name: poke
match: ['team = "console"']
target: "{{labels.instance}}"
policy: { ${OPEN}, group: '' }
steps:
  - name: poke
    http: { path: "/poke/{{target}}" }
`,
  'nudge.yaml': `
name: nudge
match: ['team = "nudge"']
target: "{{labels.instance}}"
policy: { ${OPEN}, group: '' }
params:
  why: { from: "{{labels.alertname}}", pattern: '(?s).*' }
steps:
  - name: nudge
    http: { method: POST, path: "/nudge", body: { why: "{{params.why}}" } }
`,
};
/** Label values an attacker controls (an alert's labels come from whatever scrapes emit). */
const HOSTILE = {
  script: '<script>alert(1)</script>',
  attr: '"><img src=x onerror=alert(2)>',
  shell: "'; rm -rf / #",
};

let target: HttpTarget;
let svc: TestService;
const runs: Record<string, string> = {};

beforeAll(async () => {
  target = await startHttpTarget();
  svc = await startTestService({
    runbooks: RUNBOOKS,
    inventory: httpInventory({ [target.baseUrl]: ['web-1', 'web-2'] }),
    env: { REMEDIATOR_OPERATOR_TOKEN: TOKEN },
  });
  const alerts = {
    ok: ['poke', { labels: { team: 'console', alertname: 'DiskFull', instance: 'web-1' } }],
    hostile: [
      'poke',
      {
        labels: {
          team: 'console',
          alertname: HOSTILE.script,
          instance: 'web-2',
          why: HOSTILE.attr,
          cmd: HOSTILE.shell,
        },
        annotations: { summary: HOSTILE.attr },
      },
    ],
    // Not in the inventory: the run fails, and the target's name is hostile too.
    failed: ['poke', { labels: { team: 'console', alertname: 'Gone', instance: HOSTILE.script } }],
    nudge: ['nudge', { labels: { team: 'nudge', alertname: HOSTILE.shell, instance: 'web-1' } }],
  } as const;
  for (const [name, [runbook, alert]] of Object.entries(alerts)) {
    runs[name] = (await fire(svc, runbook, structuredClone(alert) as Parameters<typeof fire>[2])).id;
  }
  await Promise.all(Object.values(runs).map((id) => svc.waitForRun(id)));
});

afterAll(async () => {
  await svc?.stop();
  await target?.stop();
});

async function loggedIn(name = 'alice'): Promise<ConsoleClient> {
  const client = consoleClient(svc.url);
  const res = await client.login(TOKEN, name);
  expect(res.status).toBe(303);
  return client;
}

async function apiPauses(): Promise<Array<Pause & { active: boolean }>> {
  return ((await (await svc.get('/api/v1/pauses')).json()) as { pauses: Array<Pause & { active: boolean }> })
    .pauses;
}

describe('console login', () => {
  it('sends a visitor without credentials to the login form, and refuses their POSTs with 401', async () => {
    const anon = consoleClient(svc.url);
    const page = await anon.get('/ui/runs?status=failed');
    expect(page.status).toBe(303);
    expect(page.location).toBe('/ui/login?next=%2Fui%2Fruns%3Fstatus%3Dfailed');
    expect((await anon.get(`/ui/runs/${runs['ok']}`)).location).toMatch(/^\/ui\/login\?next=/);
    const login = await anon.get('/ui/login');
    expect(login.status).toBe(200);
    expect(login.text).toContain('name="token"');
    expect(login.text).not.toContain('DiskFull');
    const post = await anon.post('/ui/pauses', { matchers: '', duration: '1h', comment: 'x' });
    expect(post.status).toBe(401);
    expect(await apiPauses()).toEqual([]);
  });

  it('refuses a wrong token and logs in with the right one, back to where the visitor was going', async () => {
    const client = consoleClient(svc.url);
    await client.get('/ui/login');
    const visit = client.cookie();
    const wrong = await client.post('/ui/login', {
      token: 'not-the-token',
      name: 'mallory',
      next: '/ui/targets',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('not the operator token');
    expect((await client.get('/ui/runs')).status).toBe(303);

    const right = await client.post('/ui/login', { token: TOKEN, name: 'alice', next: '/ui/targets' });
    expect(right.status).toBe(303);
    expect(right.location).toBe('/ui/targets');
    const setCookie = right.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Max-Age=43200/);
    expect(setCookie).not.toMatch(/Secure/);
    expect(client.cookie()).not.toBe(visit);
    const page = await client.get('/ui/targets');
    expect(page.status).toBe(200);
    expect(page.text).toContain('alice');
  });

  it('never redirects off the console after login', async () => {
    const client = consoleClient(svc.url);
    await client.get('/ui/login');
    const res = await client.post('/ui/login', { token: TOKEN, next: '//evil.example/ui' });
    expect(res.location).toBe('/ui/runs');
  });

  it('takes Basic auth (any user name, token as password) and Bearer, and refuses wrong ones', async () => {
    const basic = (user: string, pass: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
    });
    const client = consoleClient(svc.url);
    const ok = await client.get('/ui/runs', basic('bob', TOKEN));
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('<span title="Recorded as the author of approvals and pauses">bob</span>');
    expect((await client.get('/ui/runs', basic('bob', 'wrong'))).status).toBe(303);
    expect((await client.get('/ui/runs', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await client.get('/ui/runs', { authorization: 'Bearer wrong' })).status).toBe(303);
  });

  it('refuses a tampered or foreign session cookie', async () => {
    const client = await loggedIn();
    const value = client.cookie()!;
    const [body, mac] = value.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), user: 'root' }),
    ).toString('base64url');
    for (const cookie of [`${forged}.${mac}`, `${body}.${mac!.slice(2)}`, 'garbage']) {
      const res = await fetch(`${svc.url}/ui/runs`, {
        headers: { cookie: `remediator_console=${cookie}` },
        redirect: 'manual',
      });
      expect(res.status, cookie).toBe(303);
    }
  });

  it('logs out: the cookie is cleared and pages ask for the login again', async () => {
    const client = await loggedIn();
    await client.get('/ui/runs');
    const out = await client.post('/ui/logout', {});
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    expect(client.cookie()).toBeUndefined();
    expect((await client.get('/ui/runs')).status).toBe(303);
  });
});

describe('console forms are CSRF-safe', () => {
  const pause = { matchers: 'instance="web-9"', duration: '1h', comment: 'csrf probe' };

  it('refuses a POST without the token, with a wrong one, or with another session’s', async () => {
    const client = await loggedIn();
    await client.get('/ui/pauses');
    const other = await loggedIn('eve');
    await other.get('/ui/pauses');
    for (const csrf of [null, '', 'x'.repeat(43), other.csrf()!]) {
      const res = await client.post('/ui/pauses', { ...pause, csrf });
      expect(res.status, String(csrf)).toBe(403);
      expect(res.text).toContain('security token is missing or out of date');
    }
    const login = consoleClient(svc.url);
    await login.get('/ui/login');
    expect((await login.post('/ui/login', { token: TOKEN, csrf: null })).status).toBe(403);
    expect((await apiPauses()).filter((p) => p.comment === 'csrf probe')).toEqual([]);
  });

  it('refuses a POST from another origin even with the right token', async () => {
    const client = await loggedIn();
    await client.get('/ui/pauses');
    const evil = await client.post('/ui/pauses', pause, { origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.text).toContain('sent from another site');
    expect((await client.post('/ui/pauses', pause, { origin: 'null' })).status).toBe(403);
    // What the browser says about the request's site counts too (pages cannot set it).
    expect((await client.post('/ui/pauses', pause, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(
      (await client.post('/ui/pauses', pause, { origin: svc.url, 'sec-fetch-site': 'same-site' })).status,
    ).toBe(403);
    expect((await apiPauses()).filter((p) => p.comment === 'csrf probe')).toEqual([]);
    const same = await client.post('/ui/pauses', pause, { origin: svc.url });
    expect(same.status).toBe(303);
    const made = (await apiPauses()).filter((p) => p.comment === 'csrf probe');
    expect(made).toHaveLength(1);
    await client.get('/ui/pauses');
    expect((await client.post(`/ui/pauses/${made[0]!.id}/expire`, {})).status).toBe(303);
  });

  it('sends a strict Content-Security-Policy, no framing, no referrer, and no inline script', async () => {
    const client = await loggedIn();
    for (const path of [
      '/ui/runs',
      `/ui/runs/${runs['hostile']}`,
      '/ui/approvals',
      '/ui/targets',
      '/ui/pauses',
      '/ui/login',
    ]) {
      const page = await client.get(path);
      expect(page.status, path).toBe(200);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('cache-control')).toBe('no-store');
      // Every script comes from a file; no event-handler attributes anywhere.
      expect([...page.text.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual([
        expect.stringMatching(/^<script src="\/ui\/static\/console\.js\?v(=|&#x3D;)[0-9a-f]{12}" defer>$/),
      ]);
      expect(page.text).not.toMatch(/\son[a-z]+=/i);
    }
    const js = await client.get('/ui/static/console.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
  });
});

describe('console pages', () => {
  it('escapes hostile label values on every page that shows them', async () => {
    const client = await loggedIn();
    const pages = [
      await client.get('/ui/runs'),
      await client.get(`/ui/runs/${runs['hostile']}`),
      await client.get(`/ui/runs/${runs['failed']}`),
      await client.get('/ui/targets'),
    ];
    const all = pages.map((p) => p.text).join('\n');
    expect(all).not.toContain('<script>alert');
    expect(all).not.toContain('<img src=x');
    expect(all).toContain(escape(HOSTILE.script));
    const detail = pages[1]!.text;
    expect(detail).toContain(escape(HOSTILE.attr));
    expect(detail).toContain(escape(HOSTILE.shell));
    // The target's name shows escaped on the targets page too.
    expect(pages[3]!.text).toContain(`>${escape(HOSTILE.script)}</a>`);
  });

  it('shows a run: alert, steps with the rendered request, output, decisions', async () => {
    const client = await loggedIn();
    const page = await client.get(`/ui/runs/${runs['nudge']}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('nudge on web-1');
    expect(page.text).toContain('<span class="status ok"><span aria-hidden="true">✓</span> succeeded</span>');
    expect(page.text).toMatch(/POST \/nudge\n\n\{\n {2}&quot;why&quot;: &quot;&#x27;; rm -rf \/ #&quot;\n\}/);
    expect(page.text).toContain('{&quot;ok&quot;:true}');
    expect(page.text).toMatch(/<td data-label="Stage">admission<\/td>/);
    const failed = await client.get(`/ui/runs/${runs['failed']}`);
    expect(failed.text).toContain('<span class="status bad"><span aria-hidden="true">✗</span> failed</span>');
    expect(failed.text).toContain('E_UNKNOWN_TARGET');
    expect((await client.get('/ui/runs/no-such-run')).status).toBe(404);
  });

  it('filters runs by status, runbook and target, and serves the table alone for the live refresh', async () => {
    const client = await loggedIn();
    const ids = (text: string) =>
      Object.entries(runs)
        .filter(([, id]) => text.includes(`/ui/runs/${id}"`))
        .map(([n]) => n)
        .sort();
    expect(ids((await client.get('/ui/runs')).text)).toEqual(['failed', 'hostile', 'nudge', 'ok']);
    expect(ids((await client.get('/ui/runs?status=failed')).text)).toEqual(['failed']);
    expect(ids((await client.get('/ui/runs?runbook=nudge&status=')).text)).toEqual(['nudge']);
    expect(ids((await client.get('/ui/runs?target=web-1')).text)).toEqual(['nudge', 'ok']);
    expect(ids((await client.get('/ui/runs?runbook=poke&target=web-1&status=succeeded')).text)).toEqual([
      'ok',
    ]);
    expect((await client.get('/ui/runs?status=succeeded&runbook=poke')).text).toContain(
      '<option value="succeeded" selected>',
    );
    const fragment = await client.get('/ui/runs?target=web-1&fragment=1');
    expect(fragment.status).toBe(200);
    expect(fragment.text).toMatch(/^<section id="runs"/);
    expect(fragment.text).not.toContain('<html');
    expect(fragment.text).toContain(`data-refresh="${escape('/ui/runs?target=web-1&fragment=1')}"`);
    expect(ids(fragment.text)).toEqual(['nudge', 'ok']);
    const bad = await client.get('/ui/runs?status=exploded');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('shows each target with its state (as a word, not colour alone), alerts firing and last run', async () => {
    const client = await loggedIn();
    const page = await client.get('/ui/targets');
    const rows = tableRows(page.text);
    // Healed just now: stabilizing (REMEDIATOR_STABILIZE is 10m), worst states sorted first.
    expect(rows.find((r) => r['Target'] === 'web-1')).toMatchObject({
      State: '~ stabilizing',
      'Alerts firing': '2',
    });
    // Both runs on web-1 ran at about the same time: either may have started last.
    expect([runs['ok'], runs['nudge']]).toContain(rows.find((r) => r['Target'] === 'web-1')?.['Last run']);
    expect(rows.find((r) => r['Target'] === 'web-2')).toMatchObject({
      State: '~ stabilizing',
      'Last run': runs['hostile'],
    });
    expect(page.text).toContain('<a href="/ui/runs?target&#x3D;web-1">web-1</a>');
  });
});

describe('pauses through the console', () => {
  it('creates a pause with the same checks as the API, recorded as made by the operator, and expires it', async () => {
    const client = await loggedIn('carol');
    await client.get('/ui/pauses');
    const bad = { matchers: 'service=~"(unclosed"\ninstance="x"', duration: '90 minutes', comment: ' ' };
    const refused = await client.post('/ui/pauses', bad);
    expect(refused.status).toBe(400);
    const api = await svc.post(
      '/api/v1/pauses',
      { matchers: ['service=~"(unclosed"', 'instance="x"'], duration: '90 minutes', comment: ' ' },
      { authorization: `Bearer ${TOKEN}` },
    );
    const { problems } = (await api.json()) as { problems: string[] };
    expect(problems.length).toBeGreaterThan(1);
    for (const problem of problems) expect(refused.text).toContain(escape(problem));
    // The form keeps what was typed.
    expect(refused.text).toContain('value="90 minutes"');

    const made = await client.post('/ui/pauses', {
      matchers: 'service="db"\r\n\r\ninstance=~"web-.*"\n',
      duration: '45m',
      comment: 'disk swap <b>now</b>',
    });
    expect(made.status).toBe(303);
    expect(made.location).toBe('/ui/pauses?done=created');
    const pause = (await apiPauses()).find((p) => p.comment === 'disk swap <b>now</b>');
    expect(pause).toMatchObject({
      matchers: ['service="db"', 'instance=~"web-.*"'],
      createdBy: 'carol',
      active: true,
    });
    const page = await client.get('/ui/pauses?done=created');
    expect(page.text).toContain('Pause created');
    expect(page.text).toContain('disk swap &lt;b&gt;now&lt;/b&gt;');
    expect(page.text).toContain(`/ui/pauses/${pause!.id}/expire`);

    const expired = await client.post(`/ui/pauses/${pause!.id}/expire`, {});
    expect(expired.status).toBe(303);
    expect((await apiPauses()).find((p) => p.id === pause!.id)?.active).toBe(false);
    await client.get('/ui/pauses');
    expect((await client.post('/ui/pauses/no-such-pause/expire', {})).status).toBe(404);
  });
});

/** Handlebars' escaping, to find a server message in a page. */
function escape(text: string): string {
  const map: Record<string, string> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&#x27;',
    '`': '&#x60;',
    '=': '&#x3D;',
  };
  return text.replace(/[&<>"'`=]/g, (c) => map[c]!);
}
