/**
 * The live stream behind the dashboard's event log, over real HTTP on both
 * stores: pushed once a batch is stored, each event once, recent ones
 * replayed to a new viewer, behind the dashboard token, and no obstacle to
 * close().
 */
import { describe, expect, it } from 'vitest';
import { apiCall, identify, page, send, STORE_KINDS, track, useHarness } from './helpers.js';
import { readLive } from './sse.js';

const harness = useHarness();

describe.each(STORE_KINDS)('GET /v1/live on %s', (kind) => {
  it('pushes each stored event once, with source, ids and a text of its data', async () => {
    const c = await harness.collector(kind, { port: 0 });
    const base = await c.listen();
    const live = await readLive(`${base}/v1/live`);
    expect(live.status).toBe(200);
    expect(live.contentType).toMatch(/^text\/event-stream/);

    const visit = page('anon-1', { properties: { path: '/pricing' } });
    const login = identify('anon-1', 'ada', { plan: 'pro' });
    const call = apiCall({ userId: 'ada' });
    await send(c, [visit, login, call]);
    await live.until((events) => events.length === 3);
    expect(live.events.map((e) => [e.messageId, e.type, e.source])).toEqual([
      [visit.messageId, 'page', 'web'], [login.messageId, 'identify', 'web'], [call.messageId, 'track', 'api'],
    ]);
    expect(live.events[0]).toMatchObject({ anonymousId: 'anon-1', userId: null, detail: '{"path":"/pricing"}' });
    expect(live.events[1]).toMatchObject({ anonymousId: 'anon-1', userId: 'ada', detail: '{"plan":"pro"}' });
    expect(live.events[2]).toMatchObject({ event: 'API Call', userId: 'ada' });

    // A retried batch (same message ids) is stored once and streamed once.
    const fresh = track({ userId: 'ada' }, 'Signed Up');
    await send(c, [visit, login]);
    await send(c, [call, fresh]);
    await live.until((events) => events.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(live.events.map((e) => e.messageId)).toEqual([visit.messageId, login.messageId, call.messageId, fresh.messageId]);
    live.close();
  });

  it('replays the recent events to a new viewer, then keeps streaming', async () => {
    const c = await harness.collector(kind, { port: 0 });
    const base = await c.listen();
    const before = Array.from({ length: 3 }, (_, i) => track({ anonymousId: 'a' }, `Before ${i}`));
    await send(c, before);
    const live = await readLive(`${base}/v1/live`);
    await live.until((events) => events.length === 3);
    const after = track({ anonymousId: 'a' }, 'After');
    await send(c, [after]);
    await live.until((events) => events.length === 4);
    expect(live.events.map((e) => e.event)).toEqual(['Before 0', 'Before 1', 'Before 2', 'After']);
    live.close();
  });

  it('needs the dashboard token when one is set (?token=, since EventSource sends no headers)', async () => {
    const c = await harness.collector(kind, { port: 0, dashboardToken: 's3cret' });
    const base = await c.listen();
    for (const url of [`${base}/v1/live`, `${base}/v1/live?token=wrong`]) {
      const refused = await readLive(url);
      expect(refused.status, url).toBe(401);
    }
    const live = await readLive(`${base}/v1/live?token=s3cret`);
    expect(live.status).toBe(200);
    await send(c, [page('x')]);
    await live.until((events) => events.length === 1);
    const bearer = await readLive(`${base}/v1/live`, { authorization: 'Bearer s3cret' });
    expect(bearer.status).toBe(200);
    live.close();
    bearer.close();
  });

  it('close() ends open streams instead of waiting for them', async () => {
    const c = await harness.collector(kind, { port: 0 });
    const base = await c.listen();
    const streams = await Promise.all([readLive(`${base}/v1/live`), readLive(`${base}/v1/live`)]);
    expect(streams.map((s) => s.status)).toEqual([200, 200]);
    // The viewers never let go: close() resolves only if the collector ends their streams itself
    // (otherwise it waits for those connections for ever, and the test times out).
    await c.close();
    expect(await Promise.all(streams.map((s) => s.ended))).toEqual(['ended', 'ended']);
    expect(c.live.subscribers).toBe(0);
  });
});
