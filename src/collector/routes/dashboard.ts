/**
 * `GET /`: the dashboard (README "The collector"), behind the dashboard token
 * when one is set (`/?token=<token>`; the page carries it into its API and
 * stream calls). Its script and stylesheet under `/dashboard/` hold no data
 * and are served without the token.
 */
import type { FastifyInstance } from 'fastify';
import { ASSETS } from '../dashboard/assets.js';
import { DASHBOARD_HEADERS } from '../dashboard/headers.js';
import { pageHtml } from '../dashboard/page.js';
import { requireToken } from './query.js';

export async function dashboardRoutes(app: FastifyInstance, options: { dashboardToken: string | null }): Promise<void> {
  await app.register(async (page) => {
    requireToken(page, options.dashboardToken);
    page.get('/', async (_request, reply) => reply.headers(DASHBOARD_HEADERS).type('text/html; charset=utf-8').send(pageHtml));
  });

  app.get<{ Params: { file: string } }>('/dashboard/:file', async (request, reply) => {
    const asset = ASSETS.get(request.params.file);
    if (!asset) return reply.code(404).send({ ok: false, reason: `no dashboard file ${JSON.stringify(request.params.file)}` });
    return reply.headers(DASHBOARD_HEADERS).type(asset.type).send(await asset.body());
  });
}
