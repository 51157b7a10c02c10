/**
 * The same small API on Express 5, Fastify 5 and plain node:http, each with
 * the idstitch recorder installed the framework's way. Callers are told apart
 * by headers: `x-user` and `x-company` play the part of an auth middleware.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import express, { type Request, type Response } from 'express';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { idstitchFastify, idstitchMiddleware, type ApiCallOptions } from '../../src/server/index.js';
import { closeServer, listen } from './helpers.js';

export type Framework = 'express' | 'fastify' | 'node:http';
export const FRAMEWORKS: readonly Framework[] = ['express', 'fastify', 'node:http'];

/** Options the tests pass; hooks see a request with `headers` (all three frameworks have them). */
export type AppOptions = ApiCallOptions<{ headers: IncomingMessage['headers'] }, unknown>;

export interface App {
  url: string;
  close(): Promise<void>;
}

/** The route templates each framework reports (node:http knows none). */
export const ROUTES: Record<Framework, { user: string | null; nested: string | null }> = {
  express: { user: '/users/:id', nested: '/api/items/:itemId' },
  fastify: { user: '/users/:id', nested: '/api/items/:itemId' },
  'node:http': { user: null, nested: null },
};

const USER_BODY = (id: string) => JSON.stringify({ id, name: 'Ada' });

async function expressApp(options: AppOptions): Promise<App> {
  const app = express();
  app.use(idstitchMiddleware<Request, Response>(options as ApiCallOptions<Request, Response>));
  app.get('/users/:id', (req, res) => void res.type('json').send(USER_BODY(req.params.id)));
  app.post('/echo', express.raw({ type: '*/*' }), (req, res) => void res.type('application/octet-stream').send(req.body));
  app.get('/healthz', (_req, res) => void res.send('ok'));
  app.get('/fail', (_req, res) => void res.status(500).send('nope'));
  app.get('/stream', (_req, res) => {
    res.write('abc');
    res.write(Buffer.from('defg'));
    res.end('h');
  });
  const api = express.Router();
  api.get('/items/:itemId', (req, res) => void res.json({ item: req.params.itemId }));
  app.use('/api', api);
  const server = createServer(app);
  return { url: await listen(server), close: () => closeServer(server) };
}

async function fastifyApp(options: AppOptions): Promise<App> {
  const app = Fastify();
  await app.register(idstitchFastify, options as ApiCallOptions<FastifyRequest, FastifyReply>);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => reply.type('application/json').send(USER_BODY(request.params.id)));
  app.post('/echo', async (request, reply) => reply.type('application/octet-stream').send(request.body));
  app.get('/healthz', async () => 'ok');
  app.get('/fail', async (_request, reply) => reply.code(500).send('nope'));
  app.get('/stream', (_request, reply) => {
    reply.raw.writeHead(200);
    reply.raw.write('abc');
    reply.raw.write(Buffer.from('defg'));
    reply.raw.end('h');
    return reply.hijack();
  });
  await app.register(async (api) => {
    api.get<{ Params: { itemId: string } }>('/items/:itemId', async (request) => ({ item: request.params.itemId }));
  }, { prefix: '/api' });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}

async function nodeApp(options: AppOptions): Promise<App> {
  const track = idstitchMiddleware(options as ApiCallOptions<IncomingMessage, ServerResponse>);
  const server = createServer((req, res) => {
    track(req, res);
    const path = (req.url ?? '/').split('?')[0]!;
    const user = /^\/users\/([^/]+)$/.exec(path);
    const item = /^\/api\/items\/([^/]+)$/.exec(path);
    if (user) return void res.writeHead(200, { 'content-type': 'application/json' }).end(USER_BODY(user[1]!));
    if (item) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ item: item[1] }));
    if (path === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.writeHead(200).end(Buffer.concat(chunks)));
      return;
    }
    if (path === '/healthz') return void res.end('ok');
    if (path === '/fail') return void res.writeHead(500).end('nope');
    if (path === '/stream') {
      res.write('abc');
      res.write(Buffer.from('defg'));
      return void res.end('h');
    }
    res.writeHead(404).end();
  });
  return { url: await listen(server), close: () => closeServer(server) };
}

export function startApp(framework: Framework, options: AppOptions): Promise<App> {
  return { express: expressApp, fastify: fastifyApp, 'node:http': nodeApp }[framework](options);
}
