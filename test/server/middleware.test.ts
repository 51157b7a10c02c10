import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { anonymousIdCookieName } from '../../src/protocol/storageKeys.js';
import { createServerClient, idstitchFastify, idstitchMiddleware, type ServerClient } from '../../src/server/index.js';
import { FRAMEWORKS, ROUTES, startApp, type App, type AppOptions, type Framework } from './apps.js';
import { closeServer, errorLog, listen, startCollector, storedEventually, type RunningCollector } from './helpers.js';

const AID = '0b6f8c1e-3d2a-4f5b-9c7d-1e2f3a4b5c6d';
const COOKIE = anonymousIdCookieName(undefined);

let collector: RunningCollector;
let client: ServerClient;
let app: App | undefined;
let log: ReturnType<typeof errorLog>;

beforeEach(async () => {
  collector = await startCollector();
  log = errorLog();
  client = createServerClient({ endpoint: collector.endpoint, flushInterval: 10, onError: log.onError });
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await client.close();
  await collector.close();
});

const header = (name: string) => (req: { headers: IncomingMessage['headers'] }) => req.headers[name] as string | undefined;
const byHeaders: Pick<AppOptions, 'identifyUser' | 'identifyCompany'> = { identifyUser: header('x-user'), identifyCompany: header('x-company') };

async function start(framework: Framework, options: Partial<AppOptions> = {}): Promise<string> {
  app = await startApp(framework, { client, ...options } as AppOptions);
  return app.url;
}

const apiCalls = (count: number, timeoutMs?: number) => storedEventually(collector, count, (m) => m.event === 'API Call', timeoutMs);
/** Lets late messages arrive before asserting that none did. */
const settle = async () => {
  await new Promise((resolve) => setTimeout(resolve, 150));
  await client.flush();
};

describe.each(FRAMEWORKS)('%s', (framework) => {
  it('records each call after the response, attributed to the user and company the hooks return', async () => {
    const url = await start(framework, byHeaders);
    const as = { 'x-user': 'u_alice', 'x-company': 'c_acme' };
    const responses = await Promise.all([
      fetch(`${url}/users/42?expand=all&token=secret`, { headers: as }),
      fetch(`${url}/echo`, { method: 'POST', headers: { ...as, 'content-type': 'application/octet-stream' }, body: 'x'.repeat(1234) }),
      fetch(`${url}/fail`, { headers: as }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 500]);
    const bodies = await Promise.all(responses.map((r) => r.text()));
    const calls = await apiCalls(3);
    const byPath = Object.fromEntries(calls.map((m) => [m.properties.path, m]));

    expect(byPath['/users/42']).toMatchObject({
      type: 'track', event: 'API Call', userId: 'u_alice', anonymousId: null,
      context: { library: { name: 'idstitch-node' }, groupId: 'c_acme' },
      properties: { method: 'GET', route: ROUTES[framework].user, path: '/users/42', status: 200, requestBytes: 0, responseBytes: Buffer.byteLength(bodies[0]!) },
    });
    expect(byPath['/echo']!.properties).toMatchObject({ method: 'POST', status: 200, requestBytes: 1234, responseBytes: 1234 });
    expect(byPath['/fail']!.properties).toMatchObject({ status: 500, responseBytes: 4 });
    for (const call of calls) {
      expect(Object.keys(call.properties).sort()).toEqual(['durationMs', 'method', 'path', 'requestBytes', 'responseBytes', 'route', 'status']);
      expect(call.properties.durationMs).toBeGreaterThanOrEqual(0);
      expect(call.properties.durationMs).toBeLessThan(10_000);
    }

    const user = await collector.get(`/v1/users/u_alice`);
    expect(user.body).toMatchObject({ userId: 'u_alice', companyId: 'c_acme', eventCount: 3, sources: { web: 0, api: 3 } });
    const company = await collector.get(`/v1/companies/c_acme`);
    expect(company.body).toMatchObject({ companyId: 'c_acme', userIds: ['u_alice'], eventCount: 3 });
    expect(log.errors).toEqual([]);
  });

  it('counts streamed response bytes and reports the nested route template', async () => {
    const url = await start(framework, byHeaders);
    expect((await fetch(`${url}/stream`, { headers: { 'x-user': 'u_s' } })).status).toBe(200);
    expect((await fetch(`${url}/api/items/9`, { headers: { 'x-user': 'u_s' } })).status).toBe(200);
    const calls = await apiCalls(2);
    const byPath = Object.fromEntries(calls.map((m) => [m.properties.path, m.properties]));
    expect(byPath['/stream']!.responseBytes).toBe(8);
    expect(byPath['/api/items/9']!.route).toBe(ROUTES[framework].nested);
  });

  it("carries the SDK's anonymous-id cookie as anonymousId, which stitches the anonymous id to the user", async () => {
    const url = await start(framework, byHeaders);
    const cookie = `other=1; ${COOKIE}=${AID}; idstitch_sid=zzz`;
    await fetch(`${url}/users/1`, { headers: { cookie } });
    await fetch(`${url}/users/2`, { headers: { cookie, 'x-user': 'u_bob' } });
    const [anonymous, identified] = await apiCalls(2);
    expect(anonymous).toMatchObject({ userId: null, anonymousId: AID, properties: { path: '/users/1' } });
    expect(identified).toMatchObject({ userId: 'u_bob', anonymousId: AID, properties: { path: '/users/2' } });
    expect((await collector.get(`/v1/anonymous/${AID}`)).body).toEqual({ anonymousId: AID, userId: 'u_bob' });
    const user = await collector.get('/v1/users/u_bob');
    expect(user.body).toMatchObject({ anonymousIds: [AID], eventCount: 2, sources: { api: 2 } });
  });

  it("reads the cookie under the write key's namespaced name, as the browser SDK writes it", async () => {
    const url = await start(framework, { ...byHeaders, writeKey: 'wk_site' });
    const namespaced = anonymousIdCookieName('wk_site');
    expect(namespaced).not.toBe(COOKIE);
    await fetch(`${url}/users/1`, { headers: { cookie: `${COOKIE}=not-this-one; ${namespaced}=${AID}` } });
    const [call] = await apiCalls(1);
    expect(call!.anonymousId).toBe(AID);
  });

  it("writeKey: null reads the browser's cookie of a tracker without a key, though the client sends under a server write key", async () => {
    const serverClient = createServerClient({ endpoint: collector.endpoint, writeKey: 'server-write-key', flushInterval: 10, onError: log.onError });
    try {
      const url = await start(framework, { ...byHeaders, client: serverClient, writeKey: null });
      await fetch(`${url}/users/1`, { headers: { cookie: `${anonymousIdCookieName('server-write-key')}=not-this-one; ${COOKIE}=${AID}` } });
      await serverClient.flush();
      const [call] = await apiCalls(1);
      expect(call!.anonymousId).toBe(AID);
    } finally {
      await serverClient.close();
    }
  });

  it('supports async hooks', async () => {
    const url = await start(framework, {
      identifyUser: async (req) => { await new Promise((r) => setTimeout(r, 5)); return header('x-user')(req); },
      identifyCompany: (req) => Promise.resolve(header('x-company')(req)),
    });
    await fetch(`${url}/users/1`, { headers: { 'x-user': 'u_async', 'x-company': 'c_async' } });
    const [call] = await apiCalls(1);
    expect(call).toMatchObject({ userId: 'u_async', context: { groupId: 'c_async' } });
  });

  it('a hook that throws, rejects or returns an invalid id is reported, the call counts as anonymous, the response is untouched', async () => {
    let n = 0;
    const url = await start(framework, {
      identifyUser: (req) => {
        const mode = header('x-mode')(req);
        if (mode === 'throw') throw new Error('auth service down');
        if (mode === 'reject') return Promise.reject(new Error('token expired'));
        if (mode === 'invalid') return 'undefined';
        if (mode === 'object') return {} as unknown as string;
        return `u_${++n}`;
      },
      identifyCompany: (req) => (header('x-mode')(req) === 'bad-company' ? 'null' : undefined),
    });
    const modes = ['throw', 'reject', 'invalid', 'object', 'bad-company'];
    const statuses = await Promise.all(modes.map((mode) => fetch(`${url}/users/7`, { headers: { 'x-mode': mode } }).then((r) => r.status)));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const calls = await apiCalls(5);
    const [anonymous, withUser] = [calls.filter((m) => m.userId === null), calls.filter((m) => m.userId !== null)];
    expect(anonymous).toHaveLength(4);
    for (const call of anonymous) expect(call.anonymousId).toMatch(/^api:[0-9a-f-]{36}$/);
    // The bad company id is refused; the (valid) user is kept.
    expect(withUser).toHaveLength(1);
    expect(withUser[0]!.context.groupId).toBeUndefined();
    expect(log.codes().sort()).toEqual(['hook', 'hook', 'invalid-id', 'invalid-id', 'invalid-id']);
    expect(log.errors.map((e) => e.message).join('\n')).toMatch(/identifyUser threw: auth service down/);
    expect(log.errors.map((e) => e.message).join('\n')).toMatch(/identifyCompany returned an id that "null" is a placeholder/);
  });

  it('runs the hooks after the response: a hook that never settles holds up neither the response nor other calls', async () => {
    const url = await start(framework, { identifyUser: (req) => (header('x-hang')(req) ? new Promise<string>(() => {}) : header('x-user')(req)) });
    const hung = await fetch(`${url}/users/1`, { headers: { 'x-hang': '1' } });
    expect(hung.status).toBe(200);
    expect(await hung.text()).toContain('Ada');
    await fetch(`${url}/users/2`, { headers: { 'x-user': 'u_after' } });
    const [call] = await apiCalls(1);
    expect(call).toMatchObject({ userId: 'u_after', properties: { path: '/users/2' } });
  });

  it('skips health checks by path, pattern, route template or predicate', async () => {
    const url = await start(framework, { ...byHeaders, skip: ['/healthz', /^\/api\//, ...(ROUTES[framework].user ? [ROUTES[framework].user!] : ['/users/5'])] });
    for (const path of ['/healthz', '/api/items/1', '/users/5', '/fail']) await fetch(url + path, { headers: { 'x-user': 'u_skip' } });
    await apiCalls(1);
    await settle();
    const calls = await apiCalls(1);
    expect(calls.map((m) => m.properties.path)).toEqual(['/fail']);
  });

  it('skips by predicate', async () => {
    const url = await start(framework, { ...byHeaders, skip: (req) => header('x-internal')(req as { headers: IncomingMessage['headers'] }) === '1' });
    await fetch(`${url}/users/1`, { headers: { 'x-internal': '1', 'x-user': 'u_p' } });
    await fetch(`${url}/users/2`, { headers: { 'x-user': 'u_p' } });
    await settle();
    expect((await apiCalls(1)).map((m) => m.properties.path)).toEqual(['/users/2']);
  });

  it('drops and masks fields, also in extra properties (dotted paths), without touching the hook’s objects', async () => {
    const extra = { headers: { authorization: 'Bearer abc', accept: 'json' }, region: 'eu' };
    const url = await start(framework, {
      ...byHeaders,
      properties: () => extra,
      dropFields: ['requestBytes', 'headers.accept'],
      maskFields: ['path', 'headers.authorization'],
    });
    await fetch(`${url}/users/123456`, { headers: { 'x-user': 'u_m' } });
    const [call] = await apiCalls(1);
    expect(call!.properties).toMatchObject({ path: '[masked]', region: 'eu', headers: { authorization: '[masked]' }, method: 'GET', status: 200 });
    expect(call!.properties).not.toHaveProperty('requestBytes');
    expect(call!.properties.headers).not.toHaveProperty('accept');
    expect(extra.headers.authorization).toBe('Bearer abc');
  });

  it("anonymousCalls 'drop' records nothing for calls with neither user nor cookie", async () => {
    const url = await start(framework, { ...byHeaders, anonymousCalls: 'drop' });
    await fetch(`${url}/users/1`);
    await fetch(`${url}/users/2`, { headers: { cookie: `${COOKIE}=${AID}` } });
    await fetch(`${url}/users/3`, { headers: { 'x-user': 'u_d' } });
    await settle();
    const calls = await apiCalls(2);
    expect(calls.map((m) => m.properties.path)).toEqual(['/users/2', '/users/3']);
  });

  it('serverCookie re-issues the anonymous-id cookie with the browser SDK’s attributes, only when the request carries it', async () => {
    const url = await start(framework, { serverCookie: true, cookieDomain: 'example.test', cookieExpiryDays: 30 });
    const withCookie = await fetch(`${url}/users/1`, { headers: { cookie: `${COOKIE}=${AID}` } });
    const setCookie = withCookie.headers.getSetCookie();
    expect(setCookie).toHaveLength(1);
    const [pair, ...attributes] = setCookie[0]!.split('; ');
    expect(pair).toBe(`${COOKIE}=${AID}`);
    expect(attributes.map((a) => a.split('=')[0])).toEqual(['Path', 'Expires', 'Max-Age', 'Domain', 'SameSite']);
    expect(attributes).toContain('Path=/');
    expect(attributes).toContain('Domain=example.test');
    expect(attributes).toContain('SameSite=Lax');
    expect(attributes).toContain(`Max-Age=${30 * 86_400}`);
    expect(setCookie[0]).not.toMatch(/HttpOnly/i);
    const expires = Date.parse(attributes.find((a) => a.startsWith('Expires='))!.slice(8));
    expect(Math.abs(expires - (Date.now() + 30 * 86_400_000))).toBeLessThan(5000);

    const secure = await fetch(`${url}/users/1`, { headers: { cookie: `${COOKIE}=${AID}`, 'x-forwarded-proto': 'https' } });
    expect(secure.headers.getSetCookie()[0]).toMatch(/; Secure$/);
    expect((await fetch(`${url}/users/1`)).headers.getSetCookie()).toEqual([]);
    // A value that is not an anonymous id is neither echoed nor carried.
    const hostile = await fetch(`${url}/users/1`, { headers: { cookie: `${COOKIE}=%3Cscript%3E` } });
    expect(hostile.headers.getSetCookie()).toEqual([]);
    const calls = await apiCalls(4);
    expect(calls.map((m) => m.anonymousId === AID)).toEqual([true, true, false, false]);
  });

  it('serverCookie is off by default', async () => {
    const url = await start(framework);
    const response = await fetch(`${url}/users/1`, { headers: { cookie: `${COOKIE}=${AID}` } });
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});

describe('options are checked up front, naming the option', () => {
  it.each([
    [{ client: undefined }, /idstitchMiddleware: option `client` is required/],
    [{ client: {} }, /option `client` must be a client from createServerClient/],
    [{ identifyUser: 'req.user.id' }, /option `identifyUser` must be a function/],
    [{ skip: '/healthz' }, /option `skip` must be an array/],
    [{ maskFields: [''] }, /option `maskFields` must be an array of non-empty strings/],
    [{ anonymousCalls: 'keep' }, /option `anonymousCalls` must be 'send' or 'drop'/],
    [{ cookieDomain: 'exa mple.com' }, /option `cookieDomain`/],
    [{ identifyUsers: () => 1 }, /option `identifyUsers` is not an option/],
  ])('idstitchMiddleware(%j)', (options, message) => {
    const withClient = { client, ...options };
    expect(() => idstitchMiddleware(withClient as never)).toThrow(message);
  });

  it('idstitchFastify: register fails with an error naming the plugin and the option', async () => {
    const fastify = Fastify();
    await expect(fastify.register(idstitchFastify, { client, serverCookie: 'yes' } as never).ready()).rejects.toThrow(/idstitchFastify: option `serverCookie` must be a boolean/);
    await fastify.close().catch(() => {});
  });
});

describe('idstitchFastify', () => {
  it('carries the fastify-plugin markers, so its hooks cover the whole app', () => {
    const plugin = idstitchFastify as unknown as Record<symbol, unknown>;
    expect(plugin[Symbol.for('skip-override')]).toBe(true);
    expect(plugin[Symbol.for('fastify.display-name')]).toBe('idstitch');
    expect(plugin[Symbol.for('plugin-meta')]).toEqual({ fastify: '5.x', name: 'idstitch' });
  });

  it('works through fastify.inject() and reports 404s without a route template', async () => {
    const fastify = Fastify();
    await fastify.register(idstitchFastify, { client, identifyUser: (request) => request.headers['x-user'] as string });
    fastify.get('/ping', async () => 'pong');
    expect((await fastify.inject({ url: '/ping', headers: { 'x-user': 'u_inject' } })).statusCode).toBe(200);
    expect((await fastify.inject({ url: '/nowhere?x=1', headers: { 'x-user': 'u_inject' } })).statusCode).toBe(404);
    const calls = await apiCalls(2);
    expect(calls.map((m) => [m.properties.route, m.properties.path, m.properties.status])).toEqual([['/ping', '/ping', 200], [null, '/nowhere', 404]]);
    await fastify.close();
  });
});

const BODY = 'idstitch '.repeat(500);
const GZIPPED = gzipSync(BODY).length;

/** A compression middleware in miniature: buffers what the app writes and sends it gzip-compressed, through the response's own write/end. */
function gzipBody(_req: IncomingMessage, res: ServerResponse, next?: () => void): void {
  const write = res.write as (chunk: Buffer) => boolean;
  const end = res.end as (chunk: Buffer) => ServerResponse;
  const chunks: Buffer[] = [];
  res.write = ((chunk: string | Buffer) => (chunks.push(Buffer.from(chunk)), true)) as typeof res.write;
  res.end = ((chunk?: string | Buffer) => {
    if (chunk) chunks.push(Buffer.from(chunk));
    const zipped = gzipSync(Buffer.concat(chunks));
    res.setHeader('content-encoding', 'gzip');
    write.call(res, zipped.subarray(0, 10));
    return end.call(res, zipped.subarray(10));
  }) as typeof res.end;
  next?.();
}

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map(closeServer));
  servers = [];
});
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  return listen(server);
}

const bytesByPath = async (count: number) =>
  Object.fromEntries((await apiCalls(count)).map((m) => [m.properties.path, m.properties.responseBytes]));

describe('responseBytes (node:http and Express)', () => {
  it('node:http: counts the compressed body whether compression sits before or after idstitch', async () => {
    const track = idstitchMiddleware({ client, identifyUser: () => 'u_bytes' });
    const trackAgain = idstitchMiddleware({ client, identifyUser: () => 'u_bytes' });
    const url = await serve((req, res) => {
      if (req.url === '/before') gzipBody(req, res);
      track(req, res);
      if (req.url === '/twice') trackAgain(req, res);
      if (req.url === '/after') gzipBody(req, res);
      res.write(BODY.slice(0, 100));
      res.end(BODY.slice(100));
    });
    for (const path of ['/before', '/after', '/plain', '/twice']) expect((await fetch(`${url}${path}`)).status).toBe(200);
    const calls = await apiCalls(5);
    const bytes = (path: string) => calls.filter((m) => m.properties.path === path).map((m) => m.properties.responseBytes);
    expect({ before: bytes('/before'), after: bytes('/after'), plain: bytes('/plain') }).toEqual({ before: [GZIPPED], after: [GZIPPED], plain: [Buffer.byteLength(BODY)] });
    // Two middlewares on one response each report the whole body.
    expect(bytes('/twice')).toEqual([Buffer.byteLength(BODY), Buffer.byteLength(BODY)]);
    expect(log.errors).toEqual([]);
  });

  it('Express: counts res.send, streamed writes and compressed bodies; a response outside the middleware counts for nothing', async () => {
    const app = express();
    app.get('/outside', (_req, res) => void res.send('not recorded'));
    app.use('/zipped', gzipBody);
    app.use(idstitchMiddleware({ client, identifyUser: () => 'u_bytes' }));
    app.get('/send', (_req, res) => void res.send(BODY));
    app.get('/zipped/send', (_req, res) => void res.send(BODY));
    app.get('/stream', (_req, res) => {
      res.write('é'.repeat(10));
      res.end(Buffer.from('tail'));
    });
    const url = await serve(app);
    for (const path of ['/outside', '/send', '/zipped/send', '/stream']) expect((await fetch(`${url}${path}`)).status).toBe(200);
    await client.flush();
    expect(await bytesByPath(3)).toEqual({ '/send': Buffer.byteLength(BODY), '/zipped/send': GZIPPED, '/stream': 24 });
  });

  it('a request the client gives up on is recorded as aborted, with the bytes written until then', async () => {
    const track = idstitchMiddleware({ client, identifyUser: () => 'u_bytes' });
    const url = await serve((req, res) => {
      track(req, res);
      res.write('partial');
      // Never ends: the client aborts.
    });
    const controller = new AbortController();
    const response = await fetch(`${url}/hang`, { signal: controller.signal });
    expect(response.status).toBe(200);
    controller.abort();
    const [call] = await apiCalls(1);
    expect(call!.properties).toMatchObject({ path: '/hang', aborted: true, responseBytes: 7 });
  });
});
