import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/types.js';

/** `GET /healthz` → `{ ok: true }` while the store answers; 503 otherwise. */
export async function healthRoutes(app: FastifyInstance, options: { store: Store }): Promise<void> {
  app.get('/healthz', async (_request, reply) => {
    try {
      await options.store.ping();
      return { ok: true };
    } catch {
      return reply.code(503).send({ ok: false, reason: 'the store does not answer' });
    }
  });
}
