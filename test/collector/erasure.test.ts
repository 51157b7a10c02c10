/**
 * Erasure with suppression (README "Erasure"), on both stores: what
 * `DELETE /v1/users/:userId` and `DELETE /v1/anonymous/:anonymousId` remove
 * (read back from every table, not only through the API), the stats and
 * funnel against a recount afterwards, later messages refused as
 * `suppressed`, suppression across a restart, an erasure racing ingest (two
 * instances on one PostgreSQL, and SQLite's writer), the dashboard token on
 * loopback, compaction of the SQLite file, and the dashboard's button in
 * Chromium.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createCollector, type Collector, type Stats } from '../../src/collector/index.js';
import { signIdentity } from '../../src/server/index.js';
import { launchChromium, openPage } from '../support/chromium.js';
import { runCli } from './process.js';
import { get, group, identify, msg, page, send, STORE_KINDS, tableCounts, track, useHarness, type Msg, type StoreKind } from './helpers.js';

const harness = useHarness();

/** DELETEs through fastify.inject; returns status and parsed JSON. */
async function erase(c: Collector, url: string, headers: Record<string, string> = {}) {
  const response = await c.app.inject({ method: 'DELETE', url, headers });
  return { status: response.statusCode, body: response.json() as Record<string, any> };
}

/** Every row of every table, as JSON, that mentions one of the ids: what an erasure must leave none of. */
async function traces(c: Collector, ids: readonly string[]): Promise<string[]> {
  const tables = await c.store.reader.all<{ name: string }>(c.store.kind === 'sqlite'
    ? "SELECT name FROM sqlite_master WHERE type = 'table'"
    : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'idstitch'");
  expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['events', 'links', 'traits', 'first_steps', 'suppressions']));
  const found: string[] = [];
  for (const { name } of tables) {
    for (const row of await c.store.reader.all(`SELECT * FROM ${name}`)) {
      const text = JSON.stringify(row);
      if (ids.some((id) => text.includes(id))) found.push(`${name} ${text}`);
    }
  }
  return found;
}

/** The funnel's kept first times, and the same counted again from every stored event under the stored links. */
async function firstSteps(c: Collector) {
  const kept = await c.store.reader.all('SELECT step, principal, ts FROM first_steps_by_key ORDER BY step, principal');
  const recount = await c.store.reader.all(
    `SELECT CASE WHEN e.type = 'page' THEN 'p' ELSE 't:' || e.event END AS step,
            COALESCE('u:' || e.user_id, 'u:' || l.user_id, 'a:' || e.anonymous_id) AS principal, MIN(e.ts) AS ts
     FROM events e LEFT JOIN links l ON e.user_id IS NULL AND l.anonymous_id = e.anonymous_id
     WHERE e.type = 'page' OR (e.type = 'track' AND e.event IS NOT NULL)
     GROUP BY 1, 2 ORDER BY 1, 2`);
  return { kept, recount };
}

/** Stats, first times and the suppression list are as a recount says. */
async function expectConsistent(c: Collector): Promise<Stats> {
  const stats = (await get<Stats>(c, '/v1/stats')).body;
  expect(stats).toEqual(await tableCounts(c));
  const { kept, recount } = await firstSteps(c);
  expect(kept).toEqual(recount);
  return stats;
}

const ids = (tag: string) => ({
  erin: `erin-${tag}`, laptop: `erin-laptop-${tag}`, phone: `erin-phone-${tag}`,
  vic: `vic-${tag}`, vicLaptop: `vic-laptop-${tag}`, lone: `lone-${tag}`, company: `co-${tag}`,
});

/**
 * Erin browses anonymously on a laptop and a phone, logs in on both, joins a
 * company, calls the API, signs up; Vic (the same company) tries to log in on
 * Erin's laptop (a conflict), Erin on Vic's (another); a lone visitor looks
 * around. Erin's own events: 5; her devices' anonymous ones: 6.
 */
function story(tag: string): Msg[] {
  const id = ids(tag);
  return [
    page(id.laptop), page(id.laptop), track({ anonymousId: id.laptop }, 'Signed Up'),
    identify(id.laptop, id.erin, { email: `${id.erin}@example.com` }),
    msg('identify', { anonymousId: id.phone, traits: { device: 'phone' } }), page(id.phone),
    group({ anonymousId: id.phone }, id.company, { name: 'Co' }), identify(id.phone, id.erin),
    group({ userId: id.erin }, id.company, { name: 'Co' }), track({ userId: id.erin }, 'API Call'),
    page(id.vicLaptop), identify(id.vicLaptop, id.vic), track({ userId: id.vic }, 'API Call'), group({ userId: id.vic }, id.company),
    identify(id.laptop, id.vic), // refused re-link: a conflict naming Erin's laptop; Vic's own event
    identify(id.vicLaptop, id.erin), // refused re-link: a conflict naming Erin; her own event
    page(id.lone),
  ];
}

async function withStory(kind: StoreKind, tag = randomUUID().slice(0, 8), options = {}) {
  const c = await harness.collector(kind, options);
  expect((await send(c, story(tag))).body).toEqual({ ok: true });
  return { c, id: ids(tag) };
}

describe.each(STORE_KINDS)('erasing a user (%s)', (kind) => {
  it('removes their events, their devices\' anonymous events, traits, links, memberships, first times and conflicts; the rest stays; stats and funnel equal a recount', async () => {
    const { c, id } = await withStory(kind);
    expect((await get<Stats>(c, '/v1/stats')).body).toEqual({ events: 17, users: 3, identifiedUsers: 2, anonymousVisitors: 1 });
    expect((await get(c, '/v1/conflicts')).body.conflicts).toHaveLength(2);
    const vicBefore = (await get(c, `/v1/users/${id.vic}`)).body;

    expect(await erase(c, `/v1/users/${id.erin}`)).toEqual({ status: 200, body: { erased: { events: 11, anonymousIds: 2 } } });

    expect((await get(c, `/v1/users/${id.erin}`)).status).toBe(404);
    expect((await get(c, `/v1/users/${id.erin}/events`)).status).toBe(404);
    expect((await get(c, `/v1/anonymous/${id.laptop}`)).status).toBe(404);
    expect((await get(c, `/v1/anonymous/${id.phone}`)).status).toBe(404);
    expect((await get(c, '/v1/conflicts')).body.conflicts).toEqual([]);
    expect((await get(c, `/v1/companies/${id.company}`)).body).toMatchObject({ userIds: [id.vic], eventCount: 5 });
    expect((await get(c, '/v1/funnel?steps=page,Signed Up')).body.steps).toEqual([{ step: 'page', users: 2 }, { step: 'Signed Up', users: 0 }]);
    // Vic keeps everything, his attempt on Erin's laptop included: it is his own event.
    expect((await get(c, `/v1/users/${id.vic}`)).body).toEqual(vicBefore);
    expect((await get(c, `/v1/anonymous/${id.lone}`)).body).toEqual({ anonymousId: id.lone, userId: null });

    // Read back from every table: only Vic's own event names an id of Erin's.
    const left = await traces(c, [id.erin, id.laptop, id.phone]);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^events .*"user_id":"${id.vic}"`));
    expect(await expectConsistent(c)).toEqual({ events: 6, users: 2, identifiedUsers: 1, anonymousVisitors: 1 });

    // The suppression list: one keyed hash per erased id, never the ids; the key beside it.
    const hashes = await c.store.reader.all<{ id_hash: string }>('SELECT id_hash FROM suppressions');
    expect(hashes).toHaveLength(3);
    for (const { id_hash } of hashes) expect(id_hash).toMatch(/^[0-9a-f]{64}$/);
    const key = await c.store.reader.get<{ value: string }>("SELECT value FROM idstitch_meta WHERE key = 'suppression_key'");
    expect(key?.value).toMatch(/^[0-9a-f]{64}$/);

    const again = await erase(c, `/v1/users/${id.erin}`);
    expect(again.status).toBe(404);
    expect(again.body.reason).toBe(`unknown user ${JSON.stringify(id.erin)}: nothing to erase (never seen, or erased already)`);
  });

  it('answers 404 with the reason for ids never seen, and erases nothing', async () => {
    const { c } = await withStory(kind);
    const before = (await get(c, '/v1/stats')).body;
    expect(await erase(c, '/v1/users/nobody')).toEqual({ status: 404, body: { ok: false, reason: 'unknown user "nobody": nothing to erase (never seen, or erased already)' } });
    expect((await erase(c, '/v1/anonymous/no-such-device')).body.reason).toMatch(/^unknown anonymous id "no-such-device"/);
    expect((await get(c, '/v1/stats')).body).toEqual(before);
    expect(await c.store.reader.all('SELECT id_hash FROM suppressions')).toEqual([]);
  });

  it('refuses later messages naming an erased id as suppressed (userId, anonymousId, previousId); the rest of the batch is stored', async () => {
    const { c, id } = await withStory(kind);
    await erase(c, `/v1/users/${id.erin}`);
    const fresh = page(`new-visitor-${randomUUID()}`);
    const answer = await send(c, [
      track({ userId: id.erin }, 'API Call'), fresh, page(id.laptop), msg('alias', { previousId: id.phone, userId: 'someone-new' }),
      identify(id.laptop, 'someone-else'), track({ userId: id.vic }, 'API Call'), { type: 'nonsense' },
    ]);
    expect(answer).toMatchObject({ status: 200, body: {
      ok: true,
      rejected: [
        { index: 0, reason: 'suppressed' }, { index: 2, reason: 'suppressed' }, { index: 3, reason: 'suppressed' },
        { index: 4, reason: 'suppressed' }, { index: 6, reason: 'unknown type "nonsense"' },
      ],
    } });
    // One message alone on its route: refused with the reason, as other bad single messages are.
    const single = await c.app.inject({ method: 'POST', url: '/v1/track', payload: track({ userId: id.erin }, 'Again') });
    expect({ status: single.statusCode, body: single.json() }).toEqual({ status: 400, body: { ok: false, reason: 'suppressed' } });

    expect((await get(c, `/v1/users/${id.erin}`)).status).toBe(404);
    expect((await get(c, '/v1/users/someone-new')).status).toBe(404);
    expect((await get(c, `/v1/users/${id.vic}`)).body.eventCount).toBe(6);
    expect((await get(c, `/v1/anonymous/${fresh.anonymousId as string}`)).status).toBe(200);
    expect(await traces(c, [id.erin, id.phone])).toEqual([]);
    expect(await expectConsistent(c)).toMatchObject({ events: 8 });
  });

  it('with verified identity on, an erased user id is refused whether its token is valid or missing', async () => {
    const secret = 'an-identity-secret-for-erasure';
    const c = await harness.collector(kind, { identitySecrets: [secret] });
    const token = signIdentity(secret, 'verified-erin');
    const signed = (m: Msg) => ({ ...m, context: { ...(m.context as Msg), identityToken: token } });
    expect((await send(c, [page('v-laptop'), signed(identify('v-laptop', 'verified-erin'))])).body).toEqual({ ok: true });
    expect((await erase(c, '/v1/users/verified-erin')).body).toEqual({ erased: { events: 2, anonymousIds: 1 } });

    const answer = await send(c, [signed(identify('v-other', 'verified-erin')), identify('v-third', 'verified-erin')]);
    expect(answer.body.rejected).toEqual([{ index: 0, reason: 'suppressed' }, { index: 1, reason: 'suppressed' }]);
    // An unverified claim is not even listed as a conflict: it would name the erased user again.
    expect((await get(c, '/v1/conflicts')).body.conflicts).toEqual([]);
    expect(await traces(c, ['verified-erin', 'v-laptop'])).toEqual([]);
    await expectConsistent(c);
  });
});

describe.each(STORE_KINDS)('erasing an anonymous visitor (%s)', (kind) => {
  it('a lone visitor: its events, traits, membership and first times go; later messages from it are refused', async () => {
    const c = await harness.collector(kind);
    const lone = `lone-${randomUUID()}`;
    await send(c, [page(lone), page(lone), msg('identify', { anonymousId: lone, traits: { plan: 'free' } }), group({ anonymousId: lone }, 'lone-co'), page('someone')]);
    expect(await erase(c, `/v1/anonymous/${encodeURIComponent(lone)}`)).toEqual({ status: 200, body: { erased: { events: 4, anonymousIds: 1 } } });
    expect((await get(c, `/v1/anonymous/${lone}`)).status).toBe(404);
    expect(await traces(c, [lone])).toEqual([]);
    expect(await expectConsistent(c)).toEqual({ events: 1, users: 1, identifiedUsers: 0, anonymousVisitors: 1 });
    expect((await send(c, [page(lone)])).body.rejected).toEqual([{ index: 0, reason: 'suppressed' }]);
  });

  it('a linked device: its own anonymous events go, its user keeps the rest, and the user\'s first times are counted again without it', async () => {
    const { c, id } = await withStory(kind);
    expect(await erase(c, `/v1/anonymous/${id.laptop}`)).toEqual({ status: 200, body: { erased: { events: 3, anonymousIds: 1 } } });
    const erin = (await get(c, `/v1/users/${id.erin}`)).body;
    // Kept: her own 5 events (the identify from the laptop too) and the phone's 3.
    expect(erin).toMatchObject({ anonymousIds: [id.phone], eventCount: 8, traits: { email: `${id.erin}@example.com`, device: 'phone' } });
    // Her "Signed Up" was the laptop's: gone from the funnel too.
    expect((await get(c, '/v1/funnel?steps=page,Signed Up')).body.steps).toEqual([{ step: 'page', users: 3 }, { step: 'Signed Up', users: 0 }]);
    // What still names the laptop is what its users sent as themselves: Erin's login there, Vic's attempt.
    const left = await traces(c, [id.laptop]);
    expect(left).toHaveLength(2);
    for (const row of left) expect(row).toMatch(new RegExp(`^events .*"user_id":"(${id.erin}|${id.vic})"`));
    expect((await get(c, '/v1/conflicts')).body.conflicts.map((x: { anonymousId: string }) => x.anonymousId)).toEqual([id.vicLaptop]);
    await expectConsistent(c);
    // Erin on her laptop again: refused, the anonymous id is erased; on her phone she still counts.
    const answer = await send(c, [track({ anonymousId: id.laptop, userId: id.erin }, 'Back'), track({ anonymousId: id.phone, userId: id.erin }, 'Back')]);
    expect(answer.body.rejected).toEqual([{ index: 0, reason: 'suppressed' }]);
    expect((await get(c, `/v1/users/${id.erin}`)).body.eventCount).toBe(9);
  });
});

describe.each(STORE_KINDS)('an erasure survives a restart (%s)', (kind) => {
  it('the suppression and its key are in the database: a new collector on it still refuses the ids', async () => {
    const database = await harness.database(kind);
    const { c, id } = await withStory(kind, undefined, { database });
    const keyOf = async (x: Collector) => (await x.store.reader.get<{ value: string }>("SELECT value FROM idstitch_meta WHERE key = 'suppression_key'"))!.value;
    const key = await keyOf(c);
    await erase(c, `/v1/users/${id.erin}`);
    await c.close();

    const restarted = await harness.collector(kind, { database });
    expect(await keyOf(restarted)).toBe(key);
    expect((await get(restarted, `/v1/users/${id.erin}`)).status).toBe(404);
    expect((await send(restarted, [identify(id.phone, id.erin), track({ userId: id.erin }, 'Back')])).body.rejected)
      .toEqual([{ index: 0, reason: 'suppressed' }, { index: 1, reason: 'suppressed' }]);
    expect(await traces(restarted, [id.erin, id.phone])).toEqual([]);
    await expectConsistent(restarted);
  });
});

/**
 * One worker's batches for the user, in a loop until stopped, alternating the
 * two write paths: a login from a new device with its anonymous history (the
 * full transaction), and API calls alone (PostgreSQL's one-statement path).
 * Returns every message with its answer.
 */
async function ingestLoop(c: Collector, userId: string, worker: number, stopped: () => boolean) {
  const sent: { batch: Msg[]; rejected: { index: number; reason: string }[] }[] = [];
  // Ids that do not contain the user's: what is left of them must not look like the user's in the table scan.
  const company = `co-${randomUUID()}`;
  for (let i = 0; !stopped(); i++) {
    const device = `device-${randomUUID()}`;
    const batch = i % 2
      ? Array.from({ length: 30 }, () => track({ userId }, 'API Call'))
      : [page(device), track({ anonymousId: device }, 'Signed Up'), identify(device, userId, { n: i }), group({ userId }, company),
        ...Array.from({ length: 20 }, () => track({ anonymousId: device, userId }, 'Clicked'))];
    const answer = await send(c, batch);
    expect(answer.status).toBe(200);
    sent.push({ batch, rejected: (answer.body.rejected as { index: number; reason: string }[] | undefined) ?? [] });
  }
  return sent;
}

/**
 * Ingest for a user on `ingester` in several loops at once, an erasure on
 * `eraser` while batches are in flight, more batches after; then nothing of
 * the user or of the devices their stored logins linked is left in any
 * table, and the stats equal a recount.
 */
async function race(ingester: Collector, eraser: Collector, userId: string): Promise<void> {
  let stop = false;
  const loops = Array.from({ length: 4 }, (_, w) => ingestLoop(ingester, userId, w, () => stop));
  // Until a few batches are in: the user exists, and more are on the way.
  for (let waited = 0; (await get(eraser, `/v1/users/${userId}`)).status !== 200 || waited < 3; waited++) await new Promise((r) => setTimeout(r, 20));
  const erased = await erase(eraser, `/v1/users/${userId}`);
  expect(erased.status).toBe(200);
  await new Promise((r) => setTimeout(r, 150));
  stop = true;
  const sent = (await Promise.all(loops)).flat();

  const refused = sent.filter((s) => s.rejected.length);
  expect(refused.length, 'batches after the erasure').toBeGreaterThan(0);
  expect(sent.length - refused.length, 'batches before the erasure').toBeGreaterThan(0);
  // Every refusal is a suppression; a batch refused nothing only if it committed before the erasure, so its devices were linked.
  const linkedDevices: string[] = [];
  for (const { batch, rejected } of sent) {
    const reasons = new Set(rejected.map((r) => r.reason));
    expect([...reasons].every((r) => r === 'suppressed')).toBe(true);
    if (!rejected.length) linkedDevices.push(...batch.flatMap((m) => (m.type === 'identify' ? [m.anonymousId as string] : [])));
  }
  expect(await traces(eraser, [userId, ...linkedDevices])).toEqual([]);
  // A device whose login came after the erasure keeps its anonymous page and track, as a lone visitor: it was never the user's.
  expect((await eraser.store.reader.get<{ n: number }>('SELECT COUNT(*) AS n FROM links'))!.n).toBe(0);
  await expectConsistent(eraser);
  await expectConsistent(ingester);
}

describe('an erasure racing ingest leaves nothing of the user', () => {
  it('SQLite: the erasure runs on the writer between ingest transactions; batches after it are refused', async () => {
    const c = await harness.collector('sqlite');
    for (let round = 0; round < 3; round++) await race(c, c, `racer-${round}-${randomUUID()}`);
  });

  it('PostgreSQL, two instances: one ingests the user\'s batches in a loop, the other erases', async () => {
    const database = await harness.database('postgres');
    const [ingester, eraser] = await Promise.all([1, 2].map(() => createCollector({ database, logLevel: 'silent', poolSize: 6 })));
    try {
      for (let round = 0; round < 5; round++) await race(ingester!, eraser!, `racer-${round}-${randomUUID()}`);
    } finally {
      await Promise.all([ingester!.close(), eraser!.close()]);
    }
  });
});

describe('compacting the SQLite file', () => {
  const onDisk = (file: string) => Buffer.concat([readFileSync(file), existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`) : Buffer.alloc(0)]);

  it('idstitch-collector --vacuum rewrites the file: no byte of the erased user is left in it or in a WAL, and it opens as before', async () => {
    const database = await harness.database('sqlite');
    const { c, id } = await withStory('sqlite', undefined, { database });
    // Enough of Erin that her erasure frees pages: the file keeps them until it is compacted.
    for (let i = 0; i < 4; i++) await send(c, Array.from({ length: 400 }, () => track({ userId: id.erin }, 'Padding', { properties: { pad: 'x'.repeat(400) } })));
    const email = `${id.erin}@example.com`;
    expect(onDisk(database).includes(email)).toBe(true);
    await erase(c, `/v1/users/${id.erin}`);
    await c.close();

    const run = await runCli(['--vacuum', '--database', database]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [, before, after] = new RegExp(`^idstitch collector: compacted ${database} \\(with its WAL\\) from (\\d+) to (\\d+) bytes\n$`).exec(run.stdout) ?? [];
    expect(Number(after)).toBeLessThan(Number(before) / 2);
    expect(existsSync(`${database}-wal`)).toBe(false);
    // (The laptop's id stays: Vic's own attempt to log in there is his event.)
    for (const text of [email, id.erin, id.phone]) expect(onDisk(database).includes(text), text).toBe(false);
    expect(onDisk(database).includes(id.vic)).toBe(true);

    const reopened = await harness.collector('sqlite', { database });
    expect((await get(reopened, `/v1/users/${id.vic}`)).status).toBe(200);
    expect((await send(reopened, [track({ userId: id.erin }, 'Back')])).body.rejected).toEqual([{ index: 0, reason: 'suppressed' }]);
  });

  it('--vacuum says why it cannot: a PostgreSQL URL, a file that is not there', async () => {
    const postgres = await runCli(['--vacuum', '--database', 'postgres://localhost/idstitch']);
    expect(postgres.code).toBe(2);
    expect(postgres.stderr).toContain('--vacuum compacts a SQLite file; on PostgreSQL run VACUUM FULL');
    const missing = await runCli(['--vacuum', '--database', `${harness.dir}/none.db`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--vacuum found no SQLite file at ${harness.dir}/none.db`);
  });
});

describe('who may erase', () => {
  const listening = async (options: { dashboardToken?: string } = {}) => {
    const c = await harness.collector('sqlite', { port: 0, ...options });
    await c.listen();
    const { port } = c.app.server.address() as { port: number };
    return { c, base: `http://127.0.0.1:${port}` };
  };

  it('with a dashboard token set, DELETE needs it on loopback too', async () => {
    const { c, base } = await listening({ dashboardToken: 's3cret' });
    await send(c, [identify('tok-device', 'tok-user')]);
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic czNjcmV0Og==' }] as Record<string, string>[]) {
      const refused = await fetch(`${base}/v1/users/tok-user`, { method: 'DELETE', headers });
      expect(refused.status).toBe(401);
      expect((await refused.json()).reason).toMatch(/dashboard token/);
    }
    expect((await fetch(`${base}/v1/anonymous/tok-device`, { method: 'DELETE' })).status).toBe(401);
    expect((await get(c, '/v1/stats?token=s3cret')).body.identifiedUsers).toBe(1);

    const allowed = await fetch(`${base}/v1/users/tok-user`, { method: 'DELETE', headers: { authorization: 'Bearer s3cret' } });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ erased: { events: 1, anonymousIds: 1 } });
  });

  it('without a token, only a Host naming this machine may erase, and no other site can make a browser send it', async () => {
    const { c, base } = await listening();
    await send(c, [identify('host-device', 'host-user')]);
    const rebound = await erase(c, '/v1/users/host-user', { host: 'evil.example' });
    expect(rebound.status).toBe(403);
    expect((await get(c, '/v1/users/host-user')).status).toBe(200);
    // A cross-site page's fetch asks first (DELETE is not a simple method): no CORS answer, so the browser never sends it.
    const preflight = await fetch(`${base}/v1/users/host-user`, {
      method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'DELETE' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
    expect((await erase(c, '/v1/users/host-user')).status).toBe(200);
  });
});

describe('the live feed after an erasure', () => {
  it('a new stream does not replay the erased user\'s events; later ones never reach it', async () => {
    const { c, id } = await withStory('sqlite');
    const replayed = () => {
      let events: { userId: string | null; anonymousId: string | null }[] = [];
      c.live.subscribe((batch) => (events = batch))();
      return events;
    };
    expect(replayed().some((e) => e.userId === id.erin)).toBe(true);
    await erase(c, `/v1/users/${id.erin}`);
    await send(c, [track({ userId: id.erin }, 'Late'), page('after-erasure')]);
    const after = replayed();
    expect(after.filter((e) => e.userId === id.erin || (e.userId === null && [id.laptop, id.phone].includes(e.anonymousId!)))).toEqual([]);
    expect(after.map((e) => e.anonymousId)).toContain('after-erasure');
  });
});

describe('the dashboard\'s erase button in Chromium', () => {
  let browser: Browser | undefined;
  afterAll(async () => browser?.close());

  it('asks first (a No erases nothing), then erases the user, says what went, and the page drops them', async () => {
    browser = await launchChromium();
    mkdirSync('test-output', { recursive: true });
    const c = await harness.collector('sqlite', { port: 0, dashboardToken: 's3cret' });
    await c.listen();
    const { port } = c.app.server.address() as { port: number };
    const tag = randomUUID().slice(0, 8);
    const id = ids(tag);
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page: tab, errors } = await openPage(context);
    const dialogs: string[] = [];
    let answer = false;
    tab.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void (answer ? dialog.accept() : dialog.dismiss());
    });
    await tab.goto(`http://127.0.0.1:${port}/?token=s3cret`);
    await tab.waitForSelector('.status.live');
    expect((await send(c, story(tag))).body).toEqual({ ok: true });
    await tab.waitForFunction(() => document.querySelectorAll('#live-log li.event').length === 17);
    await tab.evaluate((user) => (location.hash = `user=${encodeURIComponent(user)}`), id.erin);
    await tab.waitForSelector('#profile .timeline li.event');

    await tab.click('#profile button.erase');
    expect(dialogs).toEqual([`Erase user ${id.erin} and the 2 anonymous ids linked to them? Their events, traits, links and company membership are deleted for good, and later messages naming these ids are refused.`]);
    expect((await get(c, `/v1/users/${id.erin}?token=s3cret`)).status).toBe(200);
    expect(await tab.locator('#profile .timeline li.event').count()).toBe(11);

    answer = true;
    await tab.click('#profile button.erase');
    await tab.waitForSelector('#profile .erased');
    expect(await tab.textContent('#profile .erased')).toBe('Erased: 11 events, 2 anonymous ids. Messages naming them are refused from now on.');
    expect(dialogs).toHaveLength(2);
    expect((await get(c, `/v1/users/${id.erin}?token=s3cret`)).status).toBe(404);
    // The counts are read again, and the log keeps only what was not erased.
    await tab.waitForFunction(() => document.querySelector('#stats dd')?.textContent === '6');
    await tab.waitForFunction(() => document.querySelectorAll('#live-log li.event').length === 6);
    expect(await tab.textContent('#live-log')).not.toContain(id.erin);
    await tab.screenshot({ path: 'test-output/dashboard-erased.png', fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });
});
