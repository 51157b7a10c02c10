import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/types.js';

/** `GET /healthz` → `{ ok: true }` while the store answers; 503 otherwise. */
export async function healthRoutes(app: FastifyInstance, options: { store: Store }): Promise<void> {
  // Said once when the store stops answering and once when it answers again: a load balancer asks every few seconds.
  let down = false;
  app.get('/healthz', async (request, reply) => {
    try {
      await options.store.ping();
      if (down) request.log.warn('healthz: the store answers again');
      down = false;
      return { ok: true };
    } catch (error) {
      if (!down) request.log.warn({ err: error }, 'healthz: the store does not answer (503 until it does)');
      down = true;
      return reply.code(503).send({ ok: false, reason: 'the store does not answer' });
    }
  });
}
