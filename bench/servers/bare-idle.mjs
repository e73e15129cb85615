// The idle-memory baseline: a bare fastify process with one route, in JavaScript as the installed package
// is, so that neither side pays for Node's type stripping (bare.ts would). Speaks bench/lib/child.ts's
// IPC: announces `{ ready: url }`, exits on `stop` or when the parent goes away.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/hooks/alertmanager', async (_request, reply) => reply.code(202).send({ status: 'accepted' }));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.on('message', (msg) => {
  if (msg.cmd === 'stop') void app.close().finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: url });
