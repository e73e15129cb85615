// Baselines measured the same way as remediator (own process, same port setup, same bodies):
//   parse     a bare fastify route that parses the body and answers 202;
//   pipeline  the least a durable webhook-to-step pipeline does: parse, one BullMQ job per alert (job id =
//             fingerprint), 202; a BullMQ worker (same concurrency as remediator) POSTs to the target's
//             `/noop/` or `/hold/` path, like the bench runbooks' steps.
import Fastify from 'fastify';
import { serveIpc } from '../lib/child.ts';

const [mode = 'parse', redisUrl = '', targetUrl = '', concurrency = '4', step = 'noop'] =
  process.argv.slice(2);

interface Body {
  alerts: Array<{ fingerprint: string }>;
}

const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
const closers: Array<() => Promise<unknown>> = [];

if (mode === 'pipeline') {
  // Loaded only here, so that the `parse` process (the idle-memory baseline) holds fastify alone.
  const { Queue, Worker } = await import('bullmq');
  const { Redis } = await import('ioredis');
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('bare', { connection, prefix: 'bare' });
  const worker = new Worker(
    'bare',
    async (job) => {
      const res = await fetch(`${targetUrl}/${step}/${(job.data as { fp: string }).fp}`, { method: 'POST' });
      await res.text();
    },
    { connection: workerConnection, prefix: 'bare', concurrency: Number(concurrency) },
  );
  app.post<{ Body: Body }>('/hooks/alertmanager', async (request, reply) => {
    await queue.addBulk(
      request.body.alerts.map((a) => ({
        name: 'run',
        data: { fp: a.fingerprint },
        opts: { jobId: a.fingerprint },
      })),
    );
    return reply.code(202).send({ status: 'accepted' });
  });
  closers.push(
    () => worker.close(true),
    () => queue.close(),
    async () => connection.disconnect(),
    async () => workerConnection.disconnect(),
  );
} else {
  app.post('/hooks/alertmanager', async (_request, reply) => reply.code(202).send({ status: 'accepted' }));
}

const url = await app.listen({ host: '127.0.0.1', port: 0 });
serveIpc(url, {}, async () => {
  await app.close();
  for (const close of closers) await close().catch(() => undefined);
});
