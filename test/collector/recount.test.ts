/**
 * The fast answers against a brute-force recount. Random histories (page
 * views, tracks, late identifies, second devices, aliases that merge two
 * anonymous histories into one user, groups, retried duplicates, concurrent
 * batches) go in over HTTP; then `/v1/stats`, which reads the counters the
 * ingest transactions keep, must equal both a recount of the stored tables
 * and a recount from the messages themselves under the identity rules; and
 * `/v1/funnel`, which reads the first times the ingest transactions keep,
 * must equal a funnel counted from every stored event under the stored
 * links, and a company's event count, which reads the activity they keep,
 * a count of the same events. Both stores; also after a restart.
 */
import { describe, expect, it } from 'vitest';
import type { Collector, Stats } from '../../src/collector/index.js';
import { random } from './fuzz.js';
import { get, group, identify, msg, page, sendInRandomBatches, STORE_KINDS, tableCounts, track, useHarness, type Msg } from './helpers.js';

const harness = useHarness();

/** A random history of `n` messages over a few people, devices and companies; `shuffle` sends them out of time order. */
function history(seed: number, n: number, shuffle = false): Msg[] {
  const rand = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
  const anons = Array.from({ length: 80 }, (_, i) => `a${seed}-${i}`);
  const users = Array.from({ length: 12 }, (_, i) => `u${seed}-${i}`);
  const out: Msg[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    const anonymousId = pick(anons);
    if (r < 0.35) out.push(page(anonymousId));
    else if (r < 0.55) out.push(track({ anonymousId }, pick(['Signed Up', 'Docs Read', 'Invite Sent'])));
    else if (r < 0.65) out.push(track({ userId: pick(users) }, 'API Call'));
    else if (r < 0.8) out.push(identify(anonymousId, pick(users), { plan: pick(['free', 'team']) }));
    else if (r < 0.87) out.push(msg('alias', { previousId: pick(anons), userId: pick(users) }));
    else if (r < 0.94) out.push(group({ userId: pick(users) }, pick(['c1', 'c2', 'c3']), { name: 'Co' }));
    else if (out.length) out.push(out[Math.floor(rand() * out.length)]!); // a retried duplicate
    else out.push(page(anonymousId));
  }
  if (shuffle) {
    // Late arrivals: each message's time moves up to an hour either way, so first times get beaten by later batches.
    for (const m of out) m.timestamp = new Date(Date.parse(m.timestamp as string) + Math.round((rand() - 0.5) * 7_200_000)).toISOString();
  }
  return out;
}

/** The stats the identity rules give for these messages, counted from the messages alone. */
function expectedStats(messages: readonly Msg[]): Stats {
  const events = new Set<string>();
  const anonymous = new Set<string>();
  const users = new Set<string>();
  const linked = new Set<string>();
  for (const m of messages) {
    const key = `${m.timestamp as string} ${m.messageId as string}`;
    if (events.has(key)) continue;
    events.add(key);
    const userId = (m.userId as string | undefined) ?? null;
    for (const id of [m.anonymousId, m.previousId] as (string | undefined)[]) {
      if (!id) continue;
      anonymous.add(id);
      // The first message that carries both ids links them; a later one for another user is a conflict, not a link.
      if (userId !== null) linked.add(id);
    }
    if (userId !== null) users.add(userId);
  }
  const anonymousVisitors = anonymous.size - linked.size;
  return { events: events.size, users: users.size + anonymousVisitors, identifiedUsers: users.size, anonymousVisitors };
}

/** Sends the messages in random batches, several at once, so writes coalesce and (on PostgreSQL) race. */
const sendAll = (c: Collector, messages: readonly Msg[], seed: number) => sendInRandomBatches(c, messages, seed * 7 + 1);

describe.each(STORE_KINDS)('stats counters against a recount (%s)', (kind) => {
  it.each([1, 2, 3, 4])('random history, seed %i: /v1/stats equals the table recount and the recount from the messages', async (seed) => {
    const database = await harness.database(kind);
    const messages = history(seed, 400);
    let c = await harness.collector(kind, { database });
    await sendAll(c, messages.slice(0, 250), seed);
    expect((await get<Stats>(c, '/v1/stats')).body).toEqual(expectedStats(messages.slice(0, 250)));

    // A restart keeps the counters (they are rows, not memory); the rest lands on top.
    await c.close();
    c = await harness.collector(kind, { database });
    await sendAll(c, messages.slice(250), seed + 100);
    const stats = (await get<Stats>(c, '/v1/stats')).body;
    expect(stats).toEqual(expectedStats(messages));
    expect(stats).toEqual(await tableCounts(c));
    expect(stats.identifiedUsers).toBeGreaterThan(0);
    expect(stats.anonymousVisitors).toBeGreaterThan(0);
  });
});

/** A stored event as the funnel recount needs it: who it belongs to under the stored links, its kind, name and time. */
interface Attributed { principal: string; type: string; event: string | null; ts: number }

/**
 * The funnel by its definition (README "The collector"), from every event:
 * per principal the first time of each step; a principal reaches step k when
 * those of steps 1..k are in order and step k's is within `within` of step 1's.
 */
function recountFunnel(events: readonly Attributed[], steps: readonly string[], within: number | null): number[] {
  const stepOf = (e: Attributed) => (e.type === 'page' ? '\u0000page' : e.type === 'track' ? e.event : null);
  const first = new Map<string, Map<string, number>>();
  for (const e of events) {
    const step = stepOf(e);
    if (step === null) continue;
    const times = first.get(e.principal) ?? new Map<string, number>();
    first.set(e.principal, times);
    times.set(step, Math.min(times.get(step) ?? Infinity, e.ts));
  }
  const counts = steps.map(() => 0);
  for (const times of first.values()) {
    const at = steps.map((step) => times.get(step === 'page' ? '\u0000page' : step));
    for (let k = 0; k < steps.length; k++) {
      const t = at[k];
      if (t === undefined || (k > 0 && t < at[k - 1]!) || (within !== null && t - at[0]! > within)) break;
      counts[k]!++;
    }
  }
  return counts;
}

const FUNNELS: [string[], number | null][] = [
  [['page', 'Signed Up', 'API Call'], null],
  [['page', 'Docs Read', 'Invite Sent'], 600_000],
  [['Signed Up', 'page'], 1_800_000],
  [['API Call', 'Docs Read', 'page', 'Invite Sent'], 3_600_000],
];

describe.each(STORE_KINDS)('funnel from its kept first times against a recount of every event (%s)', (kind) => {
  it.each([5, 6, 7])('random history out of time order, seed %i: late identifies, aliases that merge histories, retries, concurrent batches', async (seed) => {
    const database = await harness.database(kind);
    const messages = history(seed, 500, true);
    let c = await harness.collector(kind, { database });
    await sendAll(c, messages.slice(0, 300), seed);
    // A restart in between: the first times are rows, and the rest lands on them.
    await c.close();
    c = await harness.collector(kind, { database });
    await sendAll(c, messages.slice(300), seed + 100);
    const stored = await c.store.reader.all<{ ts: number; type: string; event: string | null; user_id: string | null; anonymous_id: string | null; linked_user: string | null }>(
      `SELECT e.ts, e.type, e.event, e.user_id, e.anonymous_id, l.user_id AS linked_user
       FROM events e LEFT JOIN links l ON e.user_id IS NULL AND l.anonymous_id = e.anonymous_id`);
    const events = stored.map((r) => ({
      principal: r.user_id !== null ? `user ${r.user_id}` : r.linked_user !== null ? `user ${r.linked_user}` : `anonymous ${r.anonymous_id}`,
      type: r.type, event: r.event, ts: r.ts,
    }));
    for (const [steps, within] of FUNNELS) {
      const expected = recountFunnel(events, steps, within);
      expect(expected[0], steps.join(' > ')).toBeGreaterThan(0);
      const query = `/v1/funnel?steps=${encodeURIComponent(steps.join(','))}${within === null ? '' : `&within=${within}ms`}`;
      const answer = (await get<{ steps: { users: number }[] }>(c, query)).body;
      expect(answer.steps.map((s) => s.users), `${steps.join(' > ')} within ${within}`).toEqual(expected);
    }
    // Some funnels reach their last step, so the comparison is not only of zeros.
    expect(FUNNELS.some(([steps, within]) => recountFunnel(events, steps, within).at(-1)! > 0)).toBe(true);
    // A company's event count, which reads the activity the ingest transactions keep: its users' events and its lone
    // anonymous members', counted from every stored event under the stored links.
    const loneMembers = await c.store.reader.all<{ company_id: string; subject_id: string }>(
      `SELECT company_id, subject_id FROM memberships m WHERE subject_kind = 'anon' AND NOT EXISTS (SELECT 1 FROM links l WHERE l.anonymous_id = m.subject_id)`);
    let counted = 0;
    for (const companyId of ['c1', 'c2', 'c3']) {
      const { status, body } = await get<{ userIds: string[]; eventCount: number }>(c, `/v1/companies/${companyId}`);
      if (status === 404) continue;
      const principals = new Set([...body.userIds.map((u) => `user ${u}`), ...loneMembers.filter((m) => m.company_id === companyId).map((m) => `anonymous ${m.subject_id}`)]);
      expect(body.eventCount, companyId).toBe(events.filter((e) => principals.has(e.principal)).length);
      counted += body.eventCount;
    }
    expect(counted).toBeGreaterThan(0);
  });
});
