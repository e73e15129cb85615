// The HTTP target every bench step calls. `/noop/…` is answered 200 at once, `/hold/…` after HOLD_MS
// (so that steps acting at the same time overlap here). It notes when each probe request arrived
// (process.hrtime, CLOCK_MONOTONIC: comparable with the bench process's clock) and how many requests
// were open at once.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveIpc } from '../lib/child.ts';
import { HOLD_MS } from '../lib/fixture.ts';

const PROBE = '/noop/probe';

let count = 0;
let open = 0;
let maxOpen = 0;
let arrivals = new Map<string, number>();

const server = createServer((req, res) => {
  const at = Number(process.hrtime.bigint()) / 1e6;
  count++;
  open++;
  if (open > maxOpen) maxOpen = open;
  const url = req.url ?? '';
  if (url.startsWith(PROBE)) {
    const fingerprint = url.slice('/noop/'.length);
    if (!arrivals.has(fingerprint)) arrivals.set(fingerprint, at);
  }
  const answer = () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
    open--;
  };
  req.resume();
  req.on('end', () => (url.startsWith('/hold/') ? setTimeout(answer, HOLD_MS) : answer()));
});
server.keepAliveTimeout = 60_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveIpc(
    `http://127.0.0.1:${port}`,
    {
      reset: () => {
        count = 0;
        maxOpen = open;
        arrivals = new Map();
        return null;
      },
      stats: () => ({ count, maxOpen, arrivals: Object.fromEntries(arrivals) }),
    },
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
});
