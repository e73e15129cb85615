import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';

const run = promisify(execFile);

export interface SecuredRedis {
  readonly port: number;
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * A redis-server (or redis-sentinel) as an operator secures it: `config` lines go to a config file
 * (so passwords stay off the command line), `{port}` in them is replaced by a free loopback port.
 * Ready once it logs "Ready to accept connections" (or, for a Sentinel, its monitor line): a plain
 * PING cannot probe a TLS-only or password-protected server.
 */
export async function startSecuredRedis(
  config: readonly string[],
  opts: { sentinel?: boolean; port?: number } = {},
): Promise<SecuredRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'remediator-secured-'));
  const port = opts.port ?? (await freePort());
  const file = join(dir, 'redis.conf');
  const base = opts.sentinel ? ['bind 127.0.0.1', `dir ${dir}`] : ['bind 127.0.0.1', `dir ${dir}`, 'save ""'];
  const lines = [...base, ...config];
  await writeFile(file, `${lines.join('\n').replaceAll('{port}', String(port))}\n`, { mode: 0o600 });
  const child = spawn(opts.sentinel ? 'redis-sentinel' : 'redis-server', [file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = opts.sentinel ? /\+monitor master/ : /Ready to accept connections/;
  await waitForLine(child, ready, 10_000).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    port,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function waitForLine(child: ChildProcess, line: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`not ready in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!line.test(output)) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before it was ready:\n${output}`));
    });
  });
}

export interface TestCertificates {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed nothing here: trusting it must fail the handshake. */
  readonly otherCa: string;
}

/** A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, made with openssl. */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'remediator-certs-'));
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  for (const ca of ['ca', 'other-ca']) {
    await openssl(
      ...[
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=test-${ca}`,
      ],
      ...['-keyout', at(`${ca}.key`), '-out', at(`${ca}.pem`)],
    );
  }
  await writeFile(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const [name, ext] of [
    ['server', ['-extfile', at('server.ext')]],
    ['client', []],
  ] as const) {
    await openssl(
      ...[
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        `/CN=${name}`,
      ],
      ...['-keyout', at(`${name}.key`), '-out', at(`${name}.csr`)],
    );
    await openssl(
      ...['x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key')],
      ...['-CAcreateserial', '-days', '2', '-out', at(`${name}.pem`), ...ext],
    );
  }
  return {
    dir,
    ca: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    otherCa: at('other-ca.pem'),
  };
}
