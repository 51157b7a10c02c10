/**
 * DNS rebinding (issue 12): without a dashboard token, the dashboard and the
 * query API answer only requests whose `Host` names this machine; ingest and
 * `/healthz` answer any Host. Through `app.inject` and over real HTTP.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isLocalHostHeader } from '../../src/collector/auth.js';
import type { Collector } from '../../src/collector/index.js';
import { page, useHarness } from './helpers.js';

const harness = useHarness();

/** Every read route, with a query that makes it answer 200 (or 404 for an unknown id) on an empty store. */
const READS = [
  '/v1/users/u_1',
  '/v1/users/u_1/events',
  '/v1/anonymous/a_1',
  '/v1/companies/c_1',
  '/v1/stats',
  '/v1/funnel?steps=page,Signed%20Up',
  '/v1/conflicts',
  '/v1/timeseries?bucket=hour&since=1h',
  '/v1/live',
  '/',
  '/dashboard/app.js',
];
const FOREIGN = ['evil.example', 'evil.example:8787', 'localhost.evil.example', '127.0.0.1.evil.example', '127.0.0.1:8787@evil.example', '10.0.0.5', '[::2]', ''];
const LOCAL = ['localhost', 'localhost:8787', 'LOCALHOST:80', 'localhost.', 'app.localhost:8787', '127.0.0.1', '127.0.0.1:8787', '127.1.2.3:9', '[::1]', '[::1]:8787'];

describe('isLocalHostHeader', () => {
  it('accepts localhost, *.localhost, 127.0.0.0/8 and [::1] with any port, and the configured host', () => {
    for (const host of LOCAL) expect(isLocalHostHeader(host, '127.0.0.1'), host).toBe(true);
    expect(isLocalHostHeader('collector.internal:8787', 'collector.internal')).toBe(true);
    expect(isLocalHostHeader('[::1]:8787', '::1')).toBe(true);
  });

  it('refuses every other name, malformed values and a missing header', () => {
    for (const host of [...FOREIGN, '127.0.0.256', '127.0.0', 'localhost:port', '[::1', undefined]) {
      expect(isLocalHostHeader(host, '127.0.0.1'), String(host)).toBe(false);
    }
  });
});

const listening = new WeakMap<Collector, Promise<string>>();

/** A GET by inject, but the live stream over HTTP (inject would wait for its end), ended as soon as its head arrives. */
async function status(c: Collector, url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  if (url === '/v1/live') {
    if (!listening.has(c)) listening.set(c, c.listen());
    return overHttp(await listening.get(c)!, url, headers);
  }
  const response = await c.app.inject({ url, headers });
  return { status: response.statusCode, body: response.body };
}

/** A request over real HTTP with the Host header set by hand (fetch cannot); reads at most the head of a stream. */
function overHttp(base: string, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers }, (res) => {
      if (res.headers['content-type']?.startsWith('text/event-stream')) {
        res.destroy();
        return resolve({ status: res.statusCode!, body: '' });
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the dashboard and the query API without a token', () => {
  it('refuse a foreign Host with 403 and a JSON reason', async () => {
    const c = await harness.collector('sqlite', { port: 0 });
    for (const url of READS) {
      for (const host of ['evil.example', 'evil.example:8787']) {
        const answer = await status(c, url, { host });
        expect(answer.status, `${url} Host ${host}`).toBe(403);
        expect(JSON.parse(answer.body), url).toEqual({ ok: false, reason: expect.stringMatching(/^Host "evil\.example(:8787)?" is not this machine/) });
      }
    }
  });

  it('answer every loopback name and address, and the configured host', async () => {
    const c = await harness.collector('sqlite', { port: 0 });
    for (const url of READS) {
      for (const host of ['localhost:8787', '127.0.0.1:8787', '[::1]:8787', 'app.localhost']) {
        const answer = await status(c, url, { host });
        expect([200, 404], `${url} Host ${host}: ${answer.body}`).toContain(answer.status);
      }
    }
    const named = await harness.collector('sqlite', { host: 'localhost', port: 0 });
    expect((await named.app.inject({ url: '/v1/stats', headers: { host: 'localhost:8787' } })).statusCode).toBe(200);
  });

  it('leave ingest, its preflight and /healthz open to any Host', async () => {
    const c = await harness.collector('sqlite', { port: 0 });
    const host = 'evil.example';
    const batch = await c.app.inject({ method: 'POST', url: '/v1/batch', headers: { host, 'content-type': 'application/json' }, payload: { batch: [page('a_1')] } });
    expect(batch.statusCode, batch.body).toBe(200);
    const single = await c.app.inject({ method: 'POST', url: '/v1/p', headers: { host, 'content-type': 'text/plain' }, payload: JSON.stringify(page('a_2')) });
    expect(single.statusCode, single.body).toBe(200);
    expect((await c.app.inject({ method: 'OPTIONS', url: '/v1/batch', headers: { host, origin: 'http://evil.example' } })).statusCode).toBe(204);
    expect((await c.app.inject({ url: '/healthz', headers: { host } })).statusCode).toBe(200);
    // What evil.example sent is stored; it just cannot read it back.
    expect((await c.app.inject({ url: '/v1/stats', headers: { host: 'localhost' } })).json()).toMatchObject({ events: 2 });
  });

  it('over real HTTP: a page at http://evil.example resolved to 127.0.0.1 cannot read, but can send', async () => {
    const c = await harness.collector('sqlite', { port: 0 });
    const base = await c.listen();
    const evil = { host: 'evil.example:8787' };
    const sent = await overHttp(base, '/v1/batch', { ...evil, 'content-type': 'application/json' }, 'POST', JSON.stringify({ batch: [page('a_1')] }));
    expect(sent.status, sent.body).toBe(200);
    for (const url of ['/v1/stats', '/v1/anonymous/a_1', '/v1/live', '/', '/dashboard/app.js']) {
      expect((await overHttp(base, url, evil)).status, url).toBe(403);
    }
    expect((await overHttp(base, '/healthz', evil)).status).toBe(200);
    // Node's own Host (127.0.0.1:port) is let through.
    expect((await overHttp(base, '/v1/anonymous/a_1', {})).status).toBe(200);
  });
});

describe('with a dashboard token, the token is the trust', () => {
  it('a request from any Host that presents the token may read; one without it gets 401', async () => {
    const c = await harness.collector('sqlite', { port: 0, dashboardToken: 's3cret' });
    for (const url of ['/v1/stats', '/v1/conflicts', '/']) {
      const host = 'collector.example.com';
      expect((await c.app.inject({ url, headers: { host, authorization: 'Bearer s3cret' } })).statusCode, url).toBe(200);
      const refused = await c.app.inject({ url, headers: { host } });
      expect(refused.statusCode, url).toBe(401);
      expect(refused.json().reason).toMatch(/dashboard token/);
    }
  });
});
