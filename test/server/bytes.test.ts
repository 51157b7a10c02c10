/**
 * `responseBytes` counts what the app writes after any middleware that
 * rewrites the body (compression), whichever side of idstitch that middleware
 * sits on, on plain node:http and on Express; responses not under the
 * middleware are not counted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServerClient, idstitchMiddleware, type ServerClient } from '../../src/server/index.js';
import { errorLog, startCollector, storedEventually, type RunningCollector } from './helpers.js';

let collector: RunningCollector;
let client: ServerClient;
let server: Server | undefined;
let log: ReturnType<typeof errorLog>;

beforeEach(async () => {
  collector = await startCollector();
  log = errorLog();
  client = createServerClient({ endpoint: collector.endpoint, flushInterval: 10, onError: log.onError });
});
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  await client.close();
  await collector.close();
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

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const apiCalls = (count: number) => storedEventually(collector, count, (m) => m.event === 'API Call');
const bytesByPath = async (count: number) =>
  Object.fromEntries((await apiCalls(count)).map((m) => [m.properties.path, m.properties.responseBytes]));

describe('responseBytes', () => {
  it('node:http: counts the compressed body whether compression sits before or after idstitch', async () => {
    const track = idstitchMiddleware({ client, identifyUser: () => 'u_bytes' });
    const url = await listen((req, res) => {
      if (req.url === '/before') gzipBody(req, res);
      track(req, res);
      if (req.url === '/after') gzipBody(req, res);
      res.write(BODY.slice(0, 100));
      res.end(BODY.slice(100));
    });
    for (const path of ['/before', '/after', '/plain']) expect((await fetch(`${url}${path}`)).status).toBe(200);
    expect(await bytesByPath(3)).toEqual({ '/before': GZIPPED, '/after': GZIPPED, '/plain': Buffer.byteLength(BODY) });
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
    const url = await listen(app);
    for (const path of ['/outside', '/send', '/zipped/send', '/stream']) expect((await fetch(`${url}${path}`)).status).toBe(200);
    await client.flush();
    expect(await bytesByPath(3)).toEqual({ '/send': Buffer.byteLength(BODY), '/zipped/send': GZIPPED, '/stream': 24 });
  });

  it('a request the client gives up on is recorded as aborted, with the bytes written until then', async () => {
    const track = idstitchMiddleware({ client, identifyUser: () => 'u_bytes' });
    const url = await listen((req, res) => {
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
