import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, watchProblems } from '../harness/browser.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { fire, httpInventory, waitForRecord } from '../harness/policy-checks.ts';
import { startTestService, type TestService } from '../harness/service.ts';

const TOKEN = 'browser-operator-token';
const OPEN = 'cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50';
const RUNBOOKS = {
  'restart.yaml': `
name: restart-service
description: Restart the service through its admin API
match: ['alertname =~ "ServiceDown|HighErrorRate"']
target: "{{labels.instance}}"
policy: { ${OPEN}, group: '' }
params: { reason: { from: "{{labels.alertname}}", pattern: '(?s).*' } }
steps:
  - name: restart
    http: { method: POST, path: "/admin/restart", body: { reason: "{{params.reason}}" } }
`,
  'failover.yaml': `
name: failover-db
description: Promote the replica; a human approves first
match: ['alertname = "PrimaryDown"']
target: "{{labels.instance}}"
approval: { always: true, expiresAfter: 1h }
policy: { ${OPEN}, group: '' }
params: { cluster: { from: "{{labels.cluster}}", pattern: '(?s).*' } }
steps:
  - name: promote
    http: { method: POST, path: "/admin/promote", body: { cluster: "{{params.cluster}}" } }
  - name: check
    http: { method: GET, path: "/admin/status" }
`,
};

let target: HttpTarget;
let svc: TestService;
let browser: Browser;

beforeAll(async () => {
  target = await startHttpTarget();
  // allSettled: when one fails, the other is still kept, so afterAll stops it.
  const [started, launched] = await Promise.allSettled([
    startTestService({
      runbooks: RUNBOOKS,
      inventory: httpInventory({ [target.baseUrl]: ['api-1', 'api-2', 'db-1', 'db-2'] }),
      env: { REMEDIATOR_OPERATOR_TOKEN: TOKEN },
    }),
    launchChromium(),
  ]);
  if (started.status === 'fulfilled') svc = started.value;
  if (launched.status === 'fulfilled') browser = launched.value;
  for (const result of [started, launched]) if (result.status === 'rejected') throw result.reason;
  // Some history to look at: a healed service, a failed run (unknown target), hostile labels.
  const seeded = [
    await fire(svc, 'restart-service', {
      labels: { alertname: 'ServiceDown', instance: 'api-1', severity: 'critical' },
    }),
    await fire(svc, 'restart-service', { labels: { alertname: 'HighErrorRate', instance: 'api-9' } }),
    await fire(svc, 'restart-service', {
      labels: { alertname: 'ServiceDown', instance: 'api-2', note: '<script>alert(1)</script>"; rm -rf /' },
      annotations: { summary: 'api-2 is down <b>hard</b>' },
    }),
  ];
  await Promise.all(seeded.map(({ id }) => svc.waitForRun(id)));
});

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await target?.stop();
});

async function logIn(context: BrowserContext, name = 'alice'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${svc.url}/ui/runs`);
  expect(new URL(page.url()).pathname).toBe('/ui/login');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Operator token').fill(TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${svc.url}/ui/runs`);
  return page;
}

describe('console in a real browser', () => {
  it('logs in, lists runs, opens one, and the table refreshes by itself', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const login = await context.newPage();
    await login.goto(`${svc.url}/ui/login`);
    await screenshot(login, 'login', { docs: true });
    await login.close();
    const page = await logIn(context);
    const problems = watchProblems(page);
    await page.locator('#runs table').waitFor();
    expect(await page.locator('#runs tbody tr').count()).toBe(3);
    expect(await page.locator('.status.bad').first().textContent()).toContain('failed');
    await screenshot(page, 'runs', { docs: true });

    // A new alert shows up without a reload: console.js re-fetches the table.
    const { id } = await fire(svc, 'restart-service', {
      labels: { alertname: 'ServiceDown', instance: 'api-1' },
    });
    await svc.waitForRun(id);
    await page.locator(`#runs a[href="/ui/runs/${id}"]`).waitFor({ timeout: 20_000 });

    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=failed/);
    expect(await page.locator('#runs tbody tr').count()).toBe(1);

    await page.locator('#runs tbody a[href^="/ui/runs/"]').first().click();
    await page.locator('#run h1').waitFor();
    expect(await page.locator('#run h1').textContent()).toContain('failed');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows hostile label values as text', async () => {
    const context = await browser.newContext();
    const page = await logIn(context);
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
    await page.goto(`${svc.url}/ui/runs?target=api-2`);
    await page.locator('#runs tbody a[href^="/ui/runs/"]').first().click();
    await page.locator('#run h1').waitFor();
    const cell = page.locator('table.kv tr', { hasText: 'note' }).locator('td');
    expect(await cell.textContent()).toBe('<script>alert(1)</script>"; rm -rf /');
    expect(await page.locator('table.kv td b').count()).toBe(0);
    expect(dialogs).toBe(0);
    await screenshot(page, 'run-detail');
    await context.close();
  });

  it('creates and expires a pause through the form', async () => {
    const context = await browser.newContext();
    const page = await logIn(context, 'carol');
    await page.getByRole('link', { name: 'Pauses' }).click();
    await page.getByLabel('Matchers').fill('instance=~"db-.*"\nseverity="critical"');
    await page.getByLabel('For how long').fill('2h');
    await page.getByLabel('Why').fill('database maintenance window');
    await page.getByRole('button', { name: 'Pause remediation' }).click();
    await page.waitForURL(/done=created/);
    const row = page.locator('tr', { hasText: 'database maintenance window' });
    expect(await row.locator('td[data-label="By"]').textContent()).toBe('carol');
    await screenshot(page, 'pauses', { docs: true });
    await row.getByRole('button', { name: 'Expire now' }).click();
    await page.waitForURL(/done=expired/);
    expect(await page.getByText('No active pause').count()).toBe(1);
    await context.close();
  });

  it('shows target states', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await logIn(context);
    await page.getByRole('link', { name: 'Targets' }).click();
    await page.locator('#targets table').waitFor();
    const state = page.locator('tr', { hasText: 'api-1' }).locator('td[data-label="State"]');
    expect(await state.textContent()).toContain('stabilizing');
    await screenshot(page, 'targets', { docs: true });
    await context.close();
  });

  it('works without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await logIn(context);
    await page.getByLabel('Target').fill('api-1');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/target=api-1/);
    expect(await page.locator('#runs tbody tr').count()).toBe(2);
    await context.close();
  });

  it('fits a phone: tables become cards, nothing scrolls sideways', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await logIn(context);
    await page.locator('#runs table').waitFor();
    expect(
      await page
        .locator('#runs thead')
        .evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).display),
    ).toBe('none');
    expect(
      await page
        .locator('#runs tbody tr')
        .first()
        .evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).display),
    ).toBe('block');
    const overflow = () =>
      page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(page, 'phone-runs', { docs: true });
    await page.locator('#runs tbody a[href^="/ui/runs/"]').first().click();
    await page.locator('#run h1').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(page, 'phone-run-detail');
    await context.close();
  });

  it('approves a waiting run, which then runs and turns green; denies another with a reason', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await logIn(context, 'alice');
    const problems = watchProblems(page);
    const primary = await fire(svc, 'failover-db', {
      labels: { alertname: 'PrimaryDown', instance: 'db-1', cluster: 'orders', severity: 'critical' },
      annotations: { summary: 'orders primary does not answer' },
    });
    const other = await fire(svc, 'failover-db', {
      labels: { alertname: 'PrimaryDown', instance: 'db-2', cluster: 'billing', severity: 'critical' },
      annotations: { summary: 'billing primary does not answer' },
    });
    for (const { id } of [primary, other])
      await waitForRecord(svc, id, (r) => r.status === 'awaiting_approval');

    await page.getByRole('link', { name: 'Approvals' }).click();
    const card = (id: string) =>
      page.locator('article.approval', { has: page.locator(`a[href="/ui/runs/${id}"]`) });
    await card(primary.id).waitFor();
    expect(await card(primary.id).locator('ul.why').textContent()).toContain('always');
    expect(await card(primary.id).locator('pre.command').first().textContent()).toContain(
      'POST /admin/promote',
    );
    await screenshot(page, 'approvals', { docs: true });

    // From the run's own page: its status turns green there once the approved run has acted.
    await card(primary.id)
      .getByRole('link', { name: /failover-db on db-1/ })
      .click();
    await page.locator('#run .pending').waitFor();
    expect(await page.locator('#run h1 .status').textContent()).toContain('awaiting approval');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(/done=approved/);
    await page.locator('#run h1 .status.ok').waitFor({ timeout: 30_000 });
    expect(await page.locator('#run h1 .status').textContent()).toContain('succeeded');
    expect(
      target.requests.filter((r) => r.url === '/admin/promote' && r.body.includes('orders')),
    ).toHaveLength(1);
    expect(await page.locator('#run').textContent()).toMatch(/by alice via console/);
    await screenshot(page, 'run-approved', { docs: true });

    await page.getByRole('link', { name: 'Approvals' }).click();
    await card(other.id).getByLabel('Reason for denying').fill('billing is mid-migration');
    await card(other.id).getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL(/done=denied/);
    expect(await page.locator('.notice.ok').textContent()).toContain('Denied');
    const denied = await svc.waitForRun(other.id);
    expect(denied).toMatchObject({ status: 'skipped', reason: 'approval_denied' });
    expect(denied.approvals?.at(-1)).toMatchObject({
      decidedBy: 'alice',
      comment: 'billing is mid-migration',
    });
    expect(target.requests.filter((r) => r.body.includes('billing'))).toHaveLength(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
