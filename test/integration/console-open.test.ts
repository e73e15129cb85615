import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../harness/console-client.ts';
import { startTestService, type TestService } from '../harness/service.ts';

const PUBLIC_URL = 'https://ops.example';
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({
    runbooks: {
      'noop.yaml': `name: noop\nmatch: ['alertname = "X"']\ntarget: t\nsteps:\n  - name: s\n    http: { path: /x }\n`,
    },
    inventory: `targets:\n  t: { http: { baseUrl: "http://127.0.0.1:9" } }\n`,
    // No operator token configured (the service generates one); reached through an https proxy.
    env: { REMEDIATOR_PUBLIC_URL: PUBLIC_URL },
  });
});
afterAll(async () => svc?.stop());

describe('console without a configured operator token', () => {
  it('is not open: it asks for the generated token, and gives the visitor a Secure cookie (the public URL is https)', async () => {
    const client = consoleClient(svc.url);
    for (const path of ['/ui/runs', '/ui/pauses', '/ui/targets', '/ui/approvals']) {
      const page = await client.get(path);
      expect(page.status, path).toBe(303);
      expect(page.location).toBe(`/ui/login?next=${encodeURIComponent(path)}`);
    }
    const login = await consoleClient(svc.url).get('/ui/login');
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict; Secure$/);
    expect(login.text).toContain('name="token"');
    expect((await client.login(svc.operatorToken, 'dave')).status).toBe(303);
    expect((await client.get('/ui/runs')).text).toContain('>dave</span>');
  });

  it('checks CSRF tokens and origins on its forms', async () => {
    const client = consoleClient(svc.url);
    expect((await client.login(svc.operatorToken, 'erin')).status).toBe(303);
    await client.get('/ui/pauses');
    const pause = { matchers: 'alertname="X"', duration: '10m', comment: 'console probe' };
    expect((await client.post('/ui/pauses', { ...pause, csrf: null })).status).toBe(403);
    expect((await consoleClient(svc.url).post('/ui/pauses', { ...pause, csrf: client.csrf()! })).status).toBe(
      401,
    );
    expect((await client.post('/ui/pauses', pause, { origin: 'http://evil.example' })).status).toBe(403);
    // The public URL is this service's origin too (a proxy may rewrite Host).
    expect((await client.post('/ui/pauses', pause, { origin: PUBLIC_URL })).status).toBe(303);
    const listed = (await (await svc.get('/api/v1/pauses')).json()) as {
      pauses: Array<{ createdBy: string; comment: string }>;
    };
    expect(listed.pauses).toEqual([expect.objectContaining({ comment: 'console probe', createdBy: 'erin' })]);
  });
});
