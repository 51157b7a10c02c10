/**
 * The ingest wire (README "Wire format" and "The collector") on both stores: paths, content
 * types, gzip, CORS, write keys, limits, per-message refusal, dedupe, clock skew.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector/index.js';
import { LIMITS } from '../../src/protocol/index.js';
import { get, identify, msg, page, send, STORE_KINDS, track, useHarness, type Msg } from './helpers.js';

const harness = useHarness();

const eventCount = async (c: Collector) => (await get(c, '/v1/stats')).body.events as number;
const post = (c: Collector, url: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
  c.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });
const body = (messages: Msg[], extra: Msg = {}) => JSON.stringify({ batch: messages, sentAt: new Date().toISOString(), ...extra });
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describe.each(STORE_KINDS)('ingest on %s', (kind) => {
  it('stores a batch and answers { ok: true }', async () => {
    const c = await harness.collector(kind);
    const answer = await send(c, [page('a'), track({ anonymousId: 'a' }, 'Clicked')]);
    expect(answer).toMatchObject({ status: 200, body: { ok: true } });
    expect(answer.body).toEqual({ ok: true });
    expect(await eventCount(c)).toBe(2);
  });

  it('accepts text/plain, application/json with charset, and no content type', async () => {
    const c = await harness.collector(kind);
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/json; charset=utf-8', undefined]) {
      const response = await c.app.inject({ method: 'POST', url: '/v1/batch', payload: body([page('a')]), headers: type ? { 'content-type': type } : {} });
      expect(response.statusCode, String(type)).toBe(200);
    }
    expect(await eventCount(c)).toBe(4);
  });

  it('serves the batch and single-message paths, with the type the path names', async () => {
    const c = await harness.collector(kind);
    expect((await post(c, '/v1/b', body([page('a')]))).statusCode).toBe(200);
    expect((await post(c, '/v1/import', body([page('a')]))).statusCode).toBe(200);
    const singles: [string, Msg][] = [
      ['/v1/track', { anonymousId: 'a', event: 'T1' }], ['/v1/t', { anonymousId: 'a', event: 'T2' }],
      ['/v1/identify', { anonymousId: 'a', userId: 'u' }], ['/v1/i', { anonymousId: 'a', userId: 'u', traits: { x: 1 } }],
      ['/v1/page', { anonymousId: 'a' }], ['/v1/p', { anonymousId: 'a', name: 'Home' }],
      ['/v1/group', { userId: 'u', groupId: 'co' }], ['/v1/g', { userId: 'u', groupId: 'co' }],
      ['/v1/alias', { previousId: 'b', userId: 'u' }], ['/v1/a', { previousId: 'c', userId: 'u' }],
      ['/v1/screen', { anonymousId: 'a', name: 'S' }], ['/v1/s', { anonymousId: 'a', name: 'S2' }],
    ];
    for (const [path, message] of singles) {
      const response = await post(c, path, JSON.stringify({ ...message, type: 'identify', messageId: path }), { 'content-type': 'text/plain' });
      expect(response.statusCode, path).toBe(200);
      expect(response.json()).toEqual({ ok: true });
    }
    const types = ((await get(c, '/v1/users/u/events?limit=100')).body.events as Msg[]).map((e) => `${e.messageId}:${e.type}`);
    expect(types).toEqual(expect.arrayContaining(['/v1/t:track', '/v1/i:identify', '/v1/g:group', '/v1/a:alias', '/v1/s:screen', '/v1/p:page']));
    expect((await get(c, '/v1/anonymous/c')).body.userId).toBe('u');
    expect(await eventCount(c)).toBe(14);
  });

  it('a single-message route refuses a bad message with 400 and a reason', async () => {
    const c = await harness.collector(kind);
    const response = await post(c, '/v1/track', JSON.stringify({ anonymousId: 'a' }));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ ok: false, reason: 'event is missing' });
  });

  it('reads gzip bodies, refuses corrupt gzip (400), unknown encodings (415) and bombs (413)', async () => {
    const c = await harness.collector(kind);
    const zipped = gzipSync(body([page('a'), page('b')]));
    expect((await post(c, '/v1/batch', zipped, { 'content-encoding': 'gzip', 'content-type': 'text/plain' })).statusCode).toBe(200);
    expect(await eventCount(c)).toBe(2);

    const corrupt = await post(c, '/v1/batch', Buffer.concat([zipped.subarray(0, 20), Buffer.from('garbage')]), { 'content-encoding': 'gzip' });
    expect(corrupt.statusCode).toBe(400);
    expect(corrupt.json().reason).toMatch(/gzip/);

    expect((await post(c, '/v1/batch', body([page('a')]), { 'content-encoding': 'br' })).statusCode).toBe(415);

    // 20 MB of JSON whitespace compresses to ~20 KB: refused once 500 KB are inflated (the bytes inflated are counted in inflate.test.ts).
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"batch":['), Buffer.alloc(20 * 1024 * 1024, 0x20), Buffer.from(']}')]));
    expect(bomb.length).toBeLessThan(LIMITS.batchBytes);
    const answer = await post(c, '/v1/batch', bomb, { 'content-encoding': 'gzip' });
    expect(answer.statusCode).toBe(413);
    expect(answer.json().reason).toMatch(/^inflated body is larger than/);
    expect(await eventCount(c)).toBe(2);
  });

  it('answers CORS preflights and marks ingest answers, but not the query API', async () => {
    const c = await harness.collector(kind);
    const preflight = await c.app.inject({
      method: 'OPTIONS', url: '/v1/batch',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toBe('content-type');
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');

    const answer = await send(c, [page('a')], {}, { origin: 'https://shop.example' });
    expect(answer.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(answer.headers.vary).toContain('Origin');
    const stats = await c.app.inject({ method: 'GET', url: '/v1/stats', headers: { origin: 'https://evil.example' } });
    expect(stats.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('with write keys: 401 without or with a wrong key; Basic auth user name or body writeKey accepted', async () => {
    const c = await harness.collector(kind, { writeKeys: ['key-1', 'key-2'] });
    const missing = await send(c, [page('a')]);
    expect(missing.status).toBe(401);
    expect(missing.body.ok).toBe(false);
    expect(missing.body.reason).toMatch(/write key/);
    expect((await send(c, [page('a')], { writeKey: 'nope' })).status).toBe(401);
    expect((await send(c, [page('a')], {}, { authorization: basic('nope') })).status).toBe(401);
    expect((await send(c, [page('a')], {}, { authorization: basic('key-1') })).status).toBe(200);
    expect((await send(c, [page('a')], {}, { authorization: `Basic ${Buffer.from('key-2').toString('base64')}` })).status).toBe(200);
    expect((await send(c, [page('a')], { writeKey: 'key-2' })).status).toBe(200);
    expect((await post(c, '/v1/t', JSON.stringify({ anonymousId: 'a', event: 'E', writeKey: 'key-1' }))).statusCode).toBe(200);
    expect((await post(c, '/v1/t', JSON.stringify({ anonymousId: 'a', event: 'E' }))).statusCode).toBe(401);
    expect(await eventCount(c)).toBe(4);
    // The write key is not kept in the stored message.
    const events = await c.queries.timeline('nobody', { limit: 1 });
    expect(events).toBeNull();
  });

  it('413 over 500 KB a batch and 32 KB on a single-message route', async () => {
    const c = await harness.collector(kind);
    const big = 'x'.repeat(20 * 1024);
    const batch = Array.from({ length: 30 }, () => page('a', { properties: { big } }));
    const tooBig = await post(c, '/v1/batch', body(batch));
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json()).toEqual({ ok: false, reason: 'body is larger than 500 KB' });
    const single = await post(c, '/v1/page', JSON.stringify(page('a', { properties: { big: 'y'.repeat(33 * 1024) } })));
    expect(single.statusCode).toBe(413);
    expect(await eventCount(c)).toBe(0);
  });

  it('refuses a body that is not a batch with 400 and a reason', async () => {
    const c = await harness.collector(kind);
    const cases: [string | Buffer, RegExp][] = [
      ['{"batch": [', /not JSON/],
      ['', /empty/],
      ['[]', /"batch" array/],
      ['{"batch": {}}', /"batch" array/],
      ['{"messages": []}', /"batch" array/],
      ['"just a string"', /"batch" array/],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /UTF-8/],
      [JSON.stringify({ batch: Array.from({ length: LIMITS.batchMessages + 1 }, () => ({})) }), /at most 2500/],
    ];
    for (const [payload, reason] of cases) {
      const response = await post(c, '/v1/batch', payload);
      expect(response.statusCode, String(payload).slice(0, 30)).toBe(400);
      expect(response.json().ok).toBe(false);
      expect(response.json().reason).toMatch(reason);
    }
  });

  it('refuses bad messages alone, listing them in rejected, and stores the good ones', async () => {
    const c = await harness.collector(kind);
    const bad: [Msg | unknown, RegExp][] = [
      [msg('track', { event: 'No ids' }), /neither anonymousId nor userId/],
      [msg('purchase', { anonymousId: 'a' }), /unknown type "purchase"/],
      [msg('track', { anonymousId: 'a', event: 'E', userId: 'anonymous' }), /^userId /],
      [msg('track', { anonymousId: 'a', event: 'E', userId: '__system' }), /^userId /],
      [msg('group', { userId: 'u', groupId: 'null' }), /groupId/],
      [msg('track', { anonymousId: 'a', event: 'E', messageId: 'm'.repeat(101) }), /messageId is longer than 100/],
      [msg('track', { anonymousId: 'x'.repeat(256), event: 'E' }), /anonymousId is longer than 255/],
      [msg('track', { anonymousId: 42, event: 'E' }), /anonymousId must be a non-empty string/],
      [msg('track', { anonymousId: 'a', event: 'E', timestamp: 'yesterday' }), /timestamp/],
      [msg('identify', { anonymousId: 'a', traits: [1, 2] }), /traits must be an object/],
      [msg('page', { anonymousId: 'a', properties: { big: 'z'.repeat(33 * 1024) } }), /larger than 32 KB/],
      ['not an object', /JSON object/],
      [null, /JSON object/],
    ];
    const good = [page('good-1'), identify('good-1', 'good-user')];
    const answer = await send(c, [good[0]!, ...bad.map(([m]) => m as Msg), good[1]!]);
    expect(answer.status).toBe(200);
    expect(answer.body.ok).toBe(true);
    const rejected = answer.body.rejected as { index: number; reason: string }[];
    expect(rejected.map((r) => r.index)).toEqual(bad.map((_, i) => i + 1));
    rejected.forEach((r, i) => expect(r.reason).toMatch(bad[i]![1]));
    expect(await eventCount(c)).toBe(2);
    expect((await get(c, '/v1/users/good-user')).body.eventCount).toBe(2);
  });

  it('a batch with no identity effects (pages, tracks, API calls) registers its ids once, first seen when they first arrived', async () => {
    const c = await harness.collector(kind);
    const before = Date.now();
    await send(c, [page('reg-a'), track({ anonymousId: 'reg-a' }, 'E'), track({ userId: 'reg-u' }, 'API Call'), page('reg-b')]);
    const after = Date.now();
    await send(c, [page('reg-a'), track({ userId: 'reg-u' }, 'Again')]);
    const anonymous = await c.store.reader.all<{ anonymous_id: string; first_seen: number }>('SELECT anonymous_id, first_seen FROM anonymous_ids ORDER BY anonymous_id');
    const users = await c.store.reader.all<{ user_id: string; first_seen: number }>('SELECT user_id, first_seen FROM users');
    expect(anonymous.map((r) => r.anonymous_id)).toEqual(['reg-a', 'reg-b']);
    expect(users.map((r) => r.user_id)).toEqual(['reg-u']);
    for (const row of [...anonymous, ...users]) {
      expect(row.first_seen).toBeGreaterThanOrEqual(before);
      expect(row.first_seen).toBeLessThanOrEqual(after);
    }
    expect(await eventCount(c)).toBe(6);
  });

  it('keeps control characters, quotes and backslashes in property values intact', async () => {
    const c = await harness.collector(kind);
    const tricky = 'unit\u001fseparator \u0001 "quoted" back\\slash \n new line \u2028 é 😀';
    await send(c, [track({ userId: 'ctl-u' }, 'E', { properties: { tricky, [tricky]: 1 } }), track({ userId: 'ctl-u' }, 'F')]);
    const events = (await get(c, '/v1/users/ctl-u/events')).body.events as Msg[];
    expect(events.map((e) => e.event)).toEqual(['E', 'F']);
    expect(events[0]!.properties).toEqual({ tricky, [tricky]: 1 });
  });

  it('dedupes on messageId: a repeat answers 200 and stores nothing new, also within one batch', async () => {
    const c = await harness.collector(kind);
    const messages = [page('a'), track({ anonymousId: 'a' }, 'E')];
    expect((await send(c, messages)).status).toBe(200);
    expect((await send(c, messages)).body).toEqual({ ok: true });
    expect((await send(c, [messages[0]!, messages[0]!, page('a')])).status).toBe(200);
    expect(await eventCount(c)).toBe(3);
  });

  it('generates a messageId when missing, keeps unknown fields, numbers as user ids become strings', async () => {
    const c = await harness.collector(kind);
    const { messageId: _, ...noId } = track({ userId: 42 as unknown as string }, 'E', { custom: { nested: [1, 'two'] }, integrations: { All: true } });
    expect((await send(c, [noId])).status).toBe(200);
    const [event] = (await get(c, '/v1/users/42/events')).body.events as Msg[];
    expect(event!.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event).toMatchObject({ custom: { nested: [1, 'two'] }, integrations: { All: true }, event: 'E' });
  });

  it('keeps originalTimestamp and receivedAt and corrects the timestamp for client clock skew', async () => {
    const c = await harness.collector(kind);
    // The client's clock is 3 hours behind; the call was made 2 s before sending.
    const skew = 3 * 3_600_000;
    const clientNow = Date.now() - skew;
    const original = new Date(clientNow - 2000).toISOString();
    const before = Date.now();
    await send(c, [identify('a', 'skewed', {}, { timestamp: original })], { sentAt: new Date(clientNow).toISOString() });
    // No sentAt: the original timestamp stands. Far future even after correction: receivedAt.
    await send(c, [track({ anonymousId: 'a' }, 'NoSentAt', { timestamp: '2024-01-01T00:00:00.000Z' })], { sentAt: undefined });
    await send(c, [track({ anonymousId: 'a' }, 'Future', { timestamp: '2999-01-01T00:00:00.000Z' })], { sentAt: undefined });
    const after = Date.now();
    const events = (await get(c, '/v1/users/skewed/events')).body.events as Msg[];
    const byName = Object.fromEntries(events.map((e) => [e.event ?? e.type, e]));
    const identified = byName.identify!;
    expect(identified.originalTimestamp).toBe(original);
    const received = Date.parse(identified.receivedAt as string);
    expect(received).toBeGreaterThanOrEqual(before);
    expect(received).toBeLessThanOrEqual(after);
    expect(Date.parse(identified.timestamp as string)).toBe(received - 2000);
    expect(byName.NoSentAt!.timestamp).toBe('2024-01-01T00:00:00.000Z');
    expect(byName.Future!.timestamp).toBe(byName.Future!.receivedAt);
    expect(byName.Future!.originalTimestamp).toBe('2999-01-01T00:00:00.000Z');
  });

  it('drops __proto__ and constructor.prototype keys: nothing is polluted, the rest is stored', async () => {
    const c = await harness.collector(kind);
    const payload = '{"batch":[{"type":"identify","messageId":"p1","anonymousId":"a","userId":"u","traits":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"\\u005f_proto__":{"polluted":3},"plan":"pro"}}]}';
    const response = await post(c, '/v1/batch', payload);
    expect(response.statusCode).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const profile = (await get(c, '/v1/users/u')).body;
    expect(profile.traits).toEqual({ plan: 'pro' });
  });

  it('GET /healthz answers { ok: true }; unknown routes 404 with a reason', async () => {
    const c = await harness.collector(kind);
    expect((await get(c, '/healthz')).body).toEqual({ ok: true });
    const missing = await get(c, '/v1/nothing');
    expect(missing.status).toBe(404);
    expect(missing.body.reason).toMatch(/no route GET \/v1\/nothing/);
  });
});
