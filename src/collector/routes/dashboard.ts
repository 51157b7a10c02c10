/**
 * `GET /`: the dashboard arrives in a later release; until then a page that
 * says so and points at the stats. Behind the dashboard token when one is set.
 */
import type { FastifyInstance } from 'fastify';
import { requireToken } from './query.js';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function dashboardRoutes(app: FastifyInstance, options: { dashboardToken: string | null }): Promise<void> {
  requireToken(app, options.dashboardToken);
  app.get<{ Querystring: { token?: string } }>('/', async (request, reply) => {
    const stats = `/v1/stats${request.query.token ? `?token=${encodeURIComponent(request.query.token)}` : ''}`;
    reply.type('text/html; charset=utf-8');
    return `<!doctype html><meta charset="utf-8"><title>idstitch collector</title>
<h1>idstitch collector</h1>
<p>The collector is running. The dashboard arrives in a later release; for now see <a href="${escapeHtml(stats)}">/v1/stats</a>.</p>
`;
  });
}
