import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestService, type TestService } from '../harness/service.ts';

/**
 * A local user guesses the operator token from a new source address each time: every address in
 * 127.0.0.0/8 is this machine, so there are 16 million of them to send from. Counted per address, no
 * guess was ever throttled.
 */
const TOKEN = 'rotation-operator-token';
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({
    runbooks: {
      'noop.yaml': `name: noop\nmatch: ['alertname = "X"']\ntarget: t\nsteps:\n  - name: s\n    http: { path: /x }\n`,
    },
    inventory: `targets:\n  t: { http: { baseUrl: "http://127.0.0.1:9" } }\n`,
    env: { REMEDIATOR_OPERATOR_TOKEN: TOKEN },
  });
});
afterAll(async () => svc?.stop());

/** GET /api/v1/runs with a token, sent from a chosen loopback source address. */
function getFrom(localAddress: string, token: string): Promise<number> {
  const url = new URL('/api/v1/runs', svc.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        localAddress,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

it('a guesser who sends each guess from another 127.x.y.z address is throttled like one address', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++)
    statuses.push(await getFrom(`127.0.${Math.floor(i / 200)}.${(i % 200) + 2}`, `guess-${i}`));
  expect(statuses.slice(0, 11)).toEqual(Array<number>(11).fill(401));
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(10);
  // Blocked, right token included, from yet another loopback address.
  expect(await getFrom('127.9.9.9', TOKEN)).toBe(429);
});
