import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServerClient, VERSION, type ServerClient, type ServerClientOptions } from '../../src/server/index.js';
import { errorLog, eventually, freePort, scriptedEndpoint, startCollector, storedEventually, storedMessages, type RunningCollector, type ScriptedEndpoint } from './helpers.js';
import { resolveClientOptions } from '../../src/server/options.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
const keep = <T extends { close(): Promise<void> }>(thing: T): T => (open.push(thing), thing);
const client = (options: ServerClientOptions): ServerClient => keep(createServerClient({ closeTimeout: 500, ...options }));
const collector = async () => keep(await startCollector());
const scripted = async (...args: Parameters<typeof scriptedEndpoint>): Promise<ScriptedEndpoint> => keep(await scriptedEndpoint(...args));
const bodyOf = (request: ScriptedEndpoint['requests'][number]) =>
  JSON.parse((request.headers['content-encoding'] === 'gzip' ? gunzipSync(request.body) : request.body).toString('utf8')) as { batch: Record<string, any>[]; sentAt: string; writeKey?: string };

describe('createServerClient: messages', () => {
  it('sends identify, group and track in the section 5 shape, with library idstitch-node and the package version', async () => {
    const c = await collector();
    const log = errorLog();
    const sdk = client({ endpoint: c.endpoint, flushInterval: 20, onError: log.onError });
    expect(sdk.identifyUser('u_1', { plan: 'team' })).toBe(true);
    expect(sdk.identifyCompany('u_1', 'c_1', { name: 'Acme' })).toBe(true);
    expect(sdk.track({ userId: 'u_1', event: 'Invoice Paid', properties: { amount: 42 }, companyId: 'c_1' })).toBe(true);
    expect(sdk.track({ anonymousId: 'aid-1', event: 'Docs Read' })).toBe(true);
    await sdk.flush();
    const stored = await storedEventually(c, 4);
    expect(VERSION).toBe(PACKAGE_VERSION);
    for (const message of stored) {
      expect(message.messageId).toMatch(UUID);
      expect(message.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(message.context.library).toEqual({ name: 'idstitch-node', version: PACKAGE_VERSION });
    }
    const [identify, group, track, anonymous] = stored;
    expect(identify).toMatchObject({ type: 'identify', userId: 'u_1', anonymousId: null, traits: { plan: 'team' } });
    expect(group).toMatchObject({ type: 'group', userId: 'u_1', groupId: 'c_1', traits: { name: 'Acme' }, context: { groupId: 'c_1' } });
    expect(track).toMatchObject({ type: 'track', userId: 'u_1', event: 'Invoice Paid', properties: { amount: 42 }, context: { groupId: 'c_1' } });
    expect(anonymous).toMatchObject({ type: 'track', userId: null, anonymousId: 'aid-1', event: 'Docs Read', properties: {} });
    expect(log.errors).toEqual([]);
    const profile = await c.get('/v1/users/u_1');
    expect(profile.body).toMatchObject({ companyId: 'c_1', traits: { plan: 'team' }, sources: { web: 0, api: 3 } });
    expect((await c.get('/v1/companies/c_1')).body).toMatchObject({ traits: { name: 'Acme' }, userIds: ['u_1'] });
  });

  it('refuses invalid ids and arguments through onError, never throwing, and sends nothing for them', async () => {
    const endpoint = await scripted();
    const log = errorLog();
    const sdk = client({ endpoint: endpoint.endpoint, onError: log.onError });
    const calls: [string, () => boolean][] = [
      ['identifyUser placeholder', () => sdk.identifyUser('null')],
      ['identifyUser empty', () => sdk.identifyUser('  ')],
      ['identifyUser object', () => sdk.identifyUser({} as unknown as string)],
      ['identifyCompany placeholder company', () => sdk.identifyCompany('u_1', 'anonymous')],
      ['identifyCompany placeholder user', () => sdk.identifyCompany('__x', 'c_1')],
      ['track without ids', () => sdk.track({ event: 'X' })],
      ['track with an invalid user id', () => sdk.track({ userId: 'undefined', event: 'X' })],
      ['track with an invalid company id', () => sdk.track({ userId: 'u_1', companyId: '0', event: 'X' })],
      ['track without event', () => sdk.track({ userId: 'u_1' } as unknown as { event: string })],
      ['track with a bad timestamp', () => sdk.track({ userId: 'u_1', event: 'X', timestamp: 'yesterday' })],
      ['track not an object', () => sdk.track(null as unknown as { event: string })],
      ['track over 32 KB', () => sdk.track({ userId: 'u_1', event: 'X', properties: { blob: 'x'.repeat(40_000) } })],
    ];
    for (const [what, call] of calls) expect(call(), what).toBe(false);
    expect(log.codes()).toEqual([
      'invalid-id', 'invalid-id', 'invalid-id', 'invalid-id', 'invalid-id', 'invalid-argument', 'invalid-id', 'invalid-id',
      'invalid-argument', 'invalid-argument', 'invalid-argument', 'invalid-argument',
    ]);
    expect(log.errors.every((e) => e.name === 'ServerError')).toBe(true);
    await sdk.flush();
    expect(endpoint.requests).toHaveLength(0);
    expect(sdk.stats()).toMatchObject({ queued: 0, sent: 0 });
  });

  it('keeps numbers as string ids and survives cycles and BigInt in properties', async () => {
    const endpoint = await scripted();
    const sdk = client({ endpoint: endpoint.endpoint });
    const cyclic: Record<string, unknown> = { big: 10n };
    cyclic.self = cyclic;
    expect(sdk.track({ userId: 42, companyId: 7, event: 'X', properties: cyclic })).toBe(true);
    await sdk.flush();
    const [message] = bodyOf(endpoint.requests[0]!).batch;
    expect(message).toMatchObject({ userId: '42', context: { groupId: '7' }, properties: { big: '10', self: '[Circular]' } });
  });

  it.each([
    [{}, /createServerClient: option `endpoint` is required/],
    [{ endpoint: 'ftp://x' }, /option `endpoint` must be an http\(s\) URL/],
    [{ endpoint: 'http://x', batchSize: 0 }, /option `batchSize` must be an integer from 1 to 2500/],
    [{ endpoint: 'http://x', maxBatchBytes: 10_000_000 }, /option `maxBatchBytes`/],
    [{ endpoint: 'http://x', onError: 'log' }, /option `onError` must be a function/],
    [{ endpoint: 'http://x', flushInterval: -1 }, /option `flushInterval`/],
    [{ endpoint: 'http://x', batchsize: 5 }, /option `batchsize` is not an option/],
  ])('checks options up front: %j', (options, message) => {
    expect(() => createServerClient(options as ServerClientOptions)).toThrow(message);
  });

  it('the defaults are frozen, lists included: one middleware cannot change another one’s', async () => {
    const { CALL_DEFAULTS, CLIENT_DEFAULTS } = await import('../../src/server/options.js');
    expect([CLIENT_DEFAULTS, CALL_DEFAULTS, CALL_DEFAULTS.skip, CALL_DEFAULTS.dropFields, CALL_DEFAULTS.maskFields].every(Object.isFrozen)).toBe(true);
  });
});

describe('createServerClient: delivery', () => {
  it('batches by count: 45 messages with batchSize 20 go out as 20, 20, 5, in order', async () => {
    const endpoint = await scripted();
    const sdk = client({ endpoint: endpoint.endpoint, batchSize: 20, flushInterval: 30 });
    for (let i = 0; i < 45; i++) sdk.track({ userId: 'u_1', event: `E${i}` });
    await eventually(async () => (endpoint.requests.length === 3 ? true : undefined), '3 batches');
    const batches = endpoint.requests.map((r) => bodyOf(r).batch);
    expect(batches.map((b) => b.length)).toEqual([20, 20, 5]);
    expect(batches.flat().map((m) => m.event)).toEqual(Array.from({ length: 45 }, (_, i) => `E${i}`));
    expect(sdk.stats()).toEqual({ queued: 0, sent: 45, dropped: 0, refused: 0 });
  });

  it('batches by bytes: no body over maxBatchBytes', async () => {
    const endpoint = await scripted();
    const sdk = client({ endpoint: endpoint.endpoint, maxBatchBytes: 4096, gzipAbove: Infinity, flushInterval: 10 });
    for (let i = 0; i < 10; i++) sdk.track({ userId: 'u_1', event: 'E', properties: { pad: 'x'.repeat(1000) } });
    await sdk.flush();
    expect(endpoint.requests.length).toBeGreaterThan(2);
    for (const request of endpoint.requests) expect(request.body.length).toBeLessThanOrEqual(4096);
    expect(endpoint.requests.flatMap((r) => bodyOf(r).batch)).toHaveLength(10);
  });

  it('sends the write key in the body and as Basic auth, as JSON', async () => {
    const endpoint = await scripted();
    const sdk = client({ endpoint: endpoint.endpoint, writeKey: 'wk_1' });
    sdk.track({ userId: 'u_1', event: 'E' });
    await sdk.flush();
    const [request] = endpoint.requests;
    expect(request!.headers.authorization).toBe(`Basic ${Buffer.from('wk_1:').toString('base64')}`);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['user-agent']).toBe(`idstitch-node/${PACKAGE_VERSION}`);
    expect(bodyOf(request!)).toMatchObject({ writeKey: 'wk_1', batch: [{ event: 'E' }] });
  });

  it('retries a 500, then delivers once it gets a 200, with the same messageIds', async () => {
    const endpoint = await scripted([{ status: 500, body: '{"ok":false}' }, { status: 503 }]);
    const log = errorLog();
    const sdk = client({ endpoint: endpoint.endpoint, flushInterval: 20, onError: log.onError });
    sdk.track({ userId: 'u_1', event: 'A' });
    sdk.track({ userId: 'u_1', event: 'B' });
    await eventually(async () => (sdk.stats().sent === 2 ? true : undefined), 'delivery after the retries');
    expect(endpoint.requests).toHaveLength(3);
    const ids = endpoint.requests.map((r) => bodyOf(r).batch.map((m) => m.messageId));
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[2]).toEqual(ids[0]);
    expect(log.errors).toEqual([]);
  });

  it('honours Retry-After on a 429 (seconds) before trying again', async () => {
    const endpoint = await scripted([{ status: 429, headers: { 'retry-after': '1' } }]);
    const sdk = client({ endpoint: endpoint.endpoint, flushInterval: 10 });
    sdk.track({ userId: 'u_1', event: 'A' });
    await eventually(async () => (endpoint.requests.length === 2 ? true : undefined), 'the retry');
    const [first, second] = endpoint.requests;
    // The backoff alone would retry after 50 to 100 ms.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(bodyOf(second!).batch[0]!.messageId).toBe(bodyOf(first!).batch[0]!.messageId);
  });

  it('honours Retry-After as an HTTP date on a 503', async () => {
    const retryAt = new Date(Date.now() + 2000);
    const endpoint = await scripted([{ status: 503, headers: { 'retry-after': retryAt.toUTCString() } }]);
    const sdk = client({ endpoint: endpoint.endpoint, flushInterval: 10 });
    sdk.track({ userId: 'u_1', event: 'A' });
    await eventually(async () => (endpoint.requests.length === 2 ? true : undefined), 'the retry');
    // HTTP dates have whole seconds: not before the second the header names (a timer may fire a few ms early).
    expect(endpoint.requests[1]!.at).toBeGreaterThanOrEqual(Math.floor(retryAt.getTime() / 1000) * 1000 - 20);
    expect(endpoint.requests[1]!.at - endpoint.requests[0]!.at).toBeGreaterThanOrEqual(500);
  });

  it('retries 408 too', async () => {
    const endpoint = await scripted([{ status: 408 }]);
    const sdk = client({ endpoint: endpoint.endpoint, flushInterval: 10 });
    sdk.track({ userId: 'u_1', event: 'A' });
    await eventually(async () => (sdk.stats().sent === 1 ? true : undefined), 'delivery');
    expect(endpoint.requests).toHaveLength(2);
  });

  it('drops a batch answered with another 4xx, reports it, and does not retry', async () => {
    const endpoint = await scripted([{ status: 400, body: '{"ok":false,"reason":"bad"}' }]);
    const log = errorLog();
    const sdk = client({ endpoint: endpoint.endpoint, flushInterval: 10, onError: log.onError });
    sdk.track({ userId: 'u_1', event: 'A' });
    await sdk.flush();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(endpoint.requests).toHaveLength(1);
    expect(log.codes()).toEqual(['delivery']);
    expect(log.errors[0]!.message).toMatch(/answered 400/);
    expect(sdk.stats()).toMatchObject({ queued: 0, sent: 0, refused: 1 });
  });

  it("reports the collector's per-message refusals in a 200", async () => {
    const endpoint = await scripted([{ status: 200, body: '{"ok":true,"rejected":[{"index":1,"reason":"userId is a placeholder"}]}' }]);
    const log = errorLog();
    const sdk = client({ endpoint: endpoint.endpoint, onError: log.onError });
    sdk.track({ userId: 'u_1', event: 'A' });
    sdk.track({ userId: 'u_2', event: 'B' });
    await sdk.flush();
    expect(log.codes()).toEqual(['delivery']);
    expect(log.errors[0]!.message).toMatch(/#1: userId is a placeholder/);
    expect(sdk.stats()).toMatchObject({ sent: 1, refused: 1 });
  });

  it('gzips bodies above gzipAbove (and not below), and the real collector stores both', async () => {
    const c = await collector();
    // Forwards each POST as it came (compressed or not) to the collector, keeping the headers to check.
    const endpoint = await scripted([], (req, body, res) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (req.headers['content-encoding']) headers['content-encoding'] = req.headers['content-encoding'];
      void fetch(c.endpoint, { method: 'POST', headers, body: new Uint8Array(body) }).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
      });
    });
    const sdk = client({ endpoint: endpoint.endpoint, gzipAbove: 2000, batchSize: 1, flushInterval: 10 });
    sdk.track({ userId: 'u_gz', event: 'Small' });
    await sdk.flush();
    sdk.track({ userId: 'u_gz', event: 'Large', properties: { text: 'lorem ipsum '.repeat(1000) } });
    await sdk.flush();
    expect(endpoint.requests.map((r) => r.headers['content-encoding'])).toEqual([undefined, 'gzip']);
    const [small, large] = endpoint.requests;
    expect(small!.body.length).toBeLessThan(2000);
    expect(large!.body.length).toBeLessThan(2000);
    expect(gunzipSync(large!.body).length).toBeGreaterThan(12_000);
    const stored = await storedEventually(c, 2);
    expect(stored.map((m) => m.event)).toEqual(['Small', 'Large']);
    expect(stored[1]!.properties.text).toBe('lorem ipsum '.repeat(1000));
    expect(sdk.stats()).toMatchObject({ sent: 2, refused: 0 });
  });

  it('sends plain to a collector on this machine unless gzipAbove is set; compresses for any other host by default', async () => {
    const endpoint = await scripted();
    const sdk = client({ endpoint: endpoint.endpoint, batchSize: 1, flushInterval: 10 });
    sdk.track({ userId: 'u_gz', event: 'Large', properties: { text: 'lorem ipsum '.repeat(1000) } });
    await sdk.flush();
    expect(endpoint.requests.map((r) => r.headers['content-encoding'])).toEqual([undefined]);
    expect(JSON.parse(endpoint.requests[0]!.body.toString('utf8')).batch[0].event).toBe('Large');
    for (const local of ['http://localhost:8787/v1/batch', 'http://127.0.0.2/v1/batch', 'http://[::1]:8787/v1/batch', 'http://api.localhost/v1/batch']) {
      expect(resolveClientOptions({ endpoint: local }).gzipAbove, local).toBe(Infinity);
    }
    for (const remote of ['https://collect.example.com/v1/batch', 'http://10.0.0.5/v1/batch', 'http://127.example.com/v1/batch']) {
      expect(resolveClientOptions({ endpoint: remote }).gzipAbove, remote).toBe(1024);
    }
    expect(resolveClientOptions({ endpoint: 'http://127.0.0.1/v1/batch', gzipAbove: 2000 }).gzipAbove).toBe(2000);
  });

  for (const thread of [false, true]) {
    it(`keeps at most maxQueueSize while the collector is down: the oldest go, counted and reported; the rest arrive once it is up (thread: ${thread})`, async () => {
      const port = await freePort();
      const log = errorLog();
      const sdk = client({ endpoint: `http://127.0.0.1:${port}/v1/batch`, maxQueueSize: 5, flushInterval: 20, maxRetryDelay: 100, thread, onError: log.onError });
      for (let i = 0; i < 8; i++) sdk.track({ userId: 'u_q', event: `E${i}` });
      // On the event loop the queue is bounded as the calls come; a thread reports its counters after it took them in.
      if (thread) await eventually(async () => (sdk.stats().dropped === 3 ? true : undefined), 'the thread to report the drops');
      expect(sdk.stats()).toMatchObject({ queued: 5, dropped: 3 });
      expect(log.codes()).toEqual(['queue-full']);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const c = keep(await startCollector(port));
      const stored = await storedEventually(c, 5);
      expect(stored.map((m) => m.event)).toEqual(['E3', 'E4', 'E5', 'E6', 'E7']);
      await eventually(async () => (log.errors.length === 2 ? true : undefined), 'the summary report');
      expect(log.errors[1]!.message).toMatch(/delivery resumed; 3 messages were dropped/);
      await eventually(async () => (sdk.stats().sent === 5 ? true : undefined), 'the sent count');
      expect(sdk.stats()).toEqual({ queued: 0, sent: 5, dropped: 3, refused: 0 });
    });
  }

  it('close() flushes what is queued, is idempotent, and refuses calls afterwards', async () => {
    const c = await collector();
    const log = errorLog();
    const sdk = createServerClient({ endpoint: c.endpoint, flushInterval: 60_000, onError: log.onError });
    sdk.track({ userId: 'u_c', event: 'Before Close' });
    const first = sdk.close();
    const second = sdk.close();
    await Promise.all([first, second]);
    expect((await storedMessages(c)).map((m) => m.event)).toEqual(['Before Close']);
    expect(sdk.track({ userId: 'u_c', event: 'After Close' })).toBe(false);
    expect(log.codes()).toEqual(['closed']);
    await sdk.close();
  });

  it('close() keeps retrying until closeTimeout, then gives up and reports what was lost', async () => {
    const endpoint = await scripted(Array.from({ length: 1000 }, () => ({ status: 503 })));
    const log = errorLog();
    const sdk = createServerClient({ endpoint: endpoint.endpoint, flushInterval: 20, maxRetryDelay: 50, closeTimeout: 400, onError: log.onError });
    sdk.track({ userId: 'u_c', event: 'A' });
    sdk.track({ userId: 'u_c', event: 'B' });
    await sdk.close();
    expect(endpoint.requests.length).toBeGreaterThan(1);
    expect(log.codes()).toEqual(['closed']);
    expect(log.errors[0]!.message).toMatch(/2 messages could not be delivered/);
    expect(sdk.stats()).toMatchObject({ queued: 0, dropped: 2, sent: 0 });
  });

  it('close() delivers after a retry when the collector answers in time', async () => {
    const endpoint = await scripted([{ status: 503 }]);
    const sdk = createServerClient({ endpoint: endpoint.endpoint, flushInterval: 20, closeTimeout: 5000 });
    sdk.track({ userId: 'u_c', event: 'A' });
    await sdk.close();
    expect(endpoint.requests).toHaveLength(2);
    expect(sdk.stats()).toMatchObject({ sent: 1, dropped: 0 });
  });

  it('an onError that throws breaks nothing', async () => {
    const endpoint = await scripted([{ status: 400 }]);
    const sdk = client({ endpoint: endpoint.endpoint, onError: () => { throw new Error('boom'); } });
    expect(sdk.identifyUser('null')).toBe(false);
    sdk.track({ userId: 'u_1', event: 'A' });
    await expect(sdk.flush()).resolves.toBeUndefined();
  });
});

describe('createServerClient: without onError', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  /** Every console.error / console.warn line of this process (the thread's errors are reported on the main thread). */
  const consoleLines = () => {
    const lines: string[] = [];
    const keepLine = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    vi.spyOn(console, 'error').mockImplementation(keepLine);
    vi.spyOn(console, 'warn').mockImplementation(keepLine);
    return lines;
  };
  const rightKey = async () => keep(await startCollector(0, undefined, { writeKeys: ['wk_right'] }));
  /** Three single-message batches, each refused with the same 401: three identical errors. */
  const sendThree = async (sdk: ServerClient) => {
    for (const event of ['A', 'B', 'C']) {
      sdk.track({ userId: 'u_1', event });
      await sdk.flush();
    }
    await eventually(async () => (sdk.stats().refused === 3 ? true : undefined), 'three refused messages');
  };

  for (const thread of [false, true]) {
    it(`logs a wrong write key to the console, prefixed [idstitch/server], once per distinct error (thread: ${thread})`, async () => {
      const c = await rightKey();
      const lines = consoleLines();
      const sdk = client({ endpoint: c.endpoint, writeKey: 'wk_wrong', thread });
      await sendThree(sdk);
      // A bad call is a second, distinct error: logged once too.
      sdk.identifyUser('');
      sdk.identifyUser('');
      await sdk.close();
      expect(lines).toEqual([
        expect.stringMatching(/^\[idstitch\/server\] delivery: the collector answered 401: a batch of 1 messages was dropped/),
        expect.stringMatching(/^\[idstitch\/server\] invalid-id: identifyUser: userId/),
      ]);
      expect(await storedMessages(c)).toEqual([]);
    });

    it(`with onError set, logs nothing and hands every error to onError (thread: ${thread})`, async () => {
      const c = await rightKey();
      const lines = consoleLines();
      const log = errorLog();
      const sdk = client({ endpoint: c.endpoint, writeKey: 'wk_wrong', thread, onError: log.onError });
      await sendThree(sdk);
      await eventually(async () => (log.errors.length === 3 ? true : undefined), 'three reports');
      await sdk.close();
      expect(log.codes()).toEqual(['delivery', 'delivery', 'delivery']);
      expect(lines).toEqual([]);
    });
  }

  it('remembers at most 100 distinct messages, then logs every new one rather than growing', async () => {
    const lines = consoleLines();
    const sdk = client({ endpoint: 'http://127.0.0.1:9/v1/batch', thread: false });
    for (let i = 0; i < 150; i++) sdk.identifyUser(`__${i}`);
    expect(lines).toHaveLength(150);
    // The first 100 are remembered: repeating them logs nothing.
    for (let i = 0; i < 100; i++) sdk.identifyUser(`__${i}`);
    expect(lines).toHaveLength(150);
  });
});
