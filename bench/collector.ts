/**
 * Collector benchmark (not a test): `node --import tsx bench/collector.ts [flags]`
 *
 * 1. Ingest: events/s with 20-message batches from concurrent loopback
 *    connections (autocannon), against a no-op fastify route, the collector
 *    on SQLite, and on PostgreSQL. Each server runs in its own process, on a
 *    fresh database, with the same autocannon settings and a warm-up; every
 *    request carries fresh messageIds. The targets take turns for `--rounds`
 *    rounds (so a busy moment of the machine hits all of them alike) and the
 *    medians are compared. Besides events/s, the server's own CPU time per
 *    event (from /proc) is shown: it varies far less with the machine's load.
 *    Goals: SQLite ≥ 50 % of the no-op, PostgreSQL ≥ 30 %.
 *    Then the ceiling: the same batches, already parsed and validated, go
 *    straight into each store (`store.ingest`, 256 at a time, no HTTP, no
 *    load generator) in this process, and that rate is set against the
 *    no-op HTTP rate. The HTTP ingest cannot beat its store's ceiling, so a
 *    ceiling below a goal means no work on the HTTP path can meet it.
 * 2. Queries: profile and timeline latency (p50, p99) through the HTTP
 *    routes (fastify.inject) on a store seeded directly through the store API
 *    with `--events` events across `--events / 10` anonymous ids.
 *    Goal: p99 ≤ 10 ms on SQLite. Then stats, company and funnel latency (the
 *    worst case, every visitor doing every step, and a funnel that drops off;
 *    the first ask of each is shown apart, cold: the steps' rows not yet in
 *    the readers' caches),
 *    and ingest (20-message batches, 8 senders) while a simulated dashboard
 *    polls stats, chart, conflicts, funnel and the People list at its real rates, through the
 *    same event loop: ingest batch p99 and events/s, and each poll's latency.
 *
 * Flags: --duration S [10]  --warmup S [3]  --rounds N [3]  --connections N [32]  --events N [1000000]
 *        --pg-events N [= --events]  --samples N [2000]  --skip-postgres  --skip-sqlite (queries)
 *        --only ingest|queries  --funnel-samples N [20]  --poll-seconds S [20]
 *        --tokens (ingest: logged-in batches, every message with its identity token,
 *        and a SQLite collector that verifies them beside one that does not)
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import pg from 'pg';
import { createCollector, type Collector, type StoredEvent } from '../src/collector/index.js';
import { readBatch } from '../src/collector/ingest.js';
import { openStore } from '../src/collector/store/open.js';
import { signIdentity } from '../src/server/index.js';
import { startPostgres, type TestPostgres } from '../test/support/postgres.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    events: { type: 'string', default: '1000000' },
    'pg-events': { type: 'string' },
    samples: { type: 'string', default: '2000' },
    'skip-postgres': { type: 'boolean', default: false },
    'skip-sqlite': { type: 'boolean', default: false },
    only: { type: 'string' },
    'funnel-samples': { type: 'string', default: '20' },
    'poll-seconds': { type: 'string', default: '20' },
    'serve-noop': { type: 'boolean', default: false },
    tokens: { type: 'boolean', default: false },
  },
});

/** With `--tokens`: each batch is a logged-in visitor's, every message with its user id and identity token. */
const IDENTITY_SECRET = 'bench-identity-secret-0123456789';

const BATCH = 20;

function batchBody(): string {
  const anonymousId = randomUUID();
  const now = new Date().toISOString();
  const user = flags.tokens ? `bench-user-${anonymousId.slice(0, 8)}` : undefined;
  const identityToken = user ? signIdentity(IDENTITY_SECRET, user) : undefined;
  const batch = Array.from({ length: BATCH }, (_, i) => ({
    type: i === 0 ? 'page' : 'track', messageId: randomUUID(), anonymousId, userId: user, event: i === 0 ? undefined : 'Clicked',
    properties: { i, path: '/pricing', plan: 'pro' }, timestamp: now,
    context: { library: { name: 'idstitch', version: '0.1.0' }, page: { url: 'https://example.com/pricing', path: '/pricing', title: 'Pricing', referrer: '', search: '' }, userAgent: 'bench', locale: 'en-US', sessionId: anonymousId, identityToken },
  }));
  return JSON.stringify({ batch, sentAt: now });
}

function startServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function load(url: string, duration: number): Promise<{ eventsPerSecond: number; non2xx: number; p99: number; requests: number }> {
  const result = await autocannon({
    url: `${url}/v1/batch`,
    connections: Number(flags.connections),
    duration,
    requests: [{ method: 'POST', headers: { 'content-type': 'text/plain' }, setupRequest: (request) => ({ ...request, body: batchBody() }) }],
  });
  return { eventsPerSecond: (result['2xx'] / result.duration) * BATCH, non2xx: result.non2xx + result.errors, p99: result.latency.p99, requests: result['2xx'] };
}

/** User + system CPU seconds a process has used so far (Linux /proc), or NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Run {
  eventsPerSecond: number;
  cpuMicrosPerEvent: number;
}

/**
 * Batches as the ingest route hands them to the store: one batch body parsed
 * and validated once, then copied with fresh ids for each batch (a new
 * visitor, new messageIds), which costs well under a µs an event.
 */
function storedBatches(): () => StoredEvent[] {
  const template = readBatch(JSON.parse(batchBody()), Date.now()).events;
  const anonymousId = template[0]!.anonymousId!;
  const parts = template.map((e) => e.body.split(anonymousId).map((part) => part.split(e.messageId)));
  return () => {
    const anonymous = randomUUID();
    return template.map((e, i) => {
      const messageId = randomUUID();
      return { ...e, messageId, anonymousId: anonymous, body: parts[i]!.map((part) => part.join(messageId)).join(anonymous) };
    });
  };
}

/** Batches in flight for the ceiling: deeper than the HTTP runs' connections, so the store, not the loop, sets the pace. */
const CEILING_IN_FLIGHT = 256;

/**
 * Events/s and CPU µs/event (every thread of this process) of `store.ingest`
 * alone, {@link CEILING_IN_FLIGHT} batches in flight.
 */
async function storeCeiling(database: string, seconds: number): Promise<Run> {
  const store = await openStore(database, { poolSize: 12 });
  try {
    const nextBatch = storedBatches();
    for (let i = 0; i < 200; i++) await store.ingest(nextBatch()); // warm-up
    let events = 0;
    const deadline = performance.now() + seconds * 1000;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CEILING_IN_FLIGHT }, async () => {
      while (performance.now() < deadline) {
        const { stored } = await store.ingest(nextBatch());
        events += stored;
      }
    }));
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { eventsPerSecond: events / elapsed, cpuMicrosPerEvent: (cpu.user + cpu.system) / events };
  } finally {
    await store.close();
  }
}

async function benchIngest(postgres: TestPostgres | undefined, dir: string): Promise<void> {
  const rounds = Number(flags.rounds);
  console.log(`\n== ingest: ${BATCH}-message batches, ${flags.connections} connections, ${flags.warmup} s warm-up + ${flags.duration} s, ${rounds} round(s), targets in turn ==`);
  const targets: [string, () => Promise<string[]>][] = [
    ['no-op fastify', async () => [new URL(import.meta.url).pathname, '--serve-noop']],
    ['collector, SQLite', async () => ['src/collector/cli.ts', '--port', '0', '--log-level', 'silent', '--database', join(dir, `ingest-${randomUUID()}.db`)]],
  ];
  // The same logged-in batches, their tokens checked: what verification costs.
  if (flags.tokens) targets.push(['collector, SQLite, verified', async () => ['src/collector/cli.ts', '--port', '0', '--log-level', 'silent', '--database', join(dir, `ingest-${randomUUID()}.db`), '--identity-secret', IDENTITY_SECRET]]);
  let postgresDatabase: string | undefined;
  if (postgres) {
    targets.push(['collector, PostgreSQL', async () =>
      ['src/collector/cli.ts', '--port', '0', '--log-level', 'silent', '--database', (postgresDatabase = await postgres.createDatabase()), '--pool-size', '12']]);
  }
  const runs = new Map<string, Run[]>(targets.map(([name]) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const [name, args] of targets) {
      const { child, url } = await startServer(await args());
      if (Number(flags.warmup) > 0) await load(url, Number(flags.warmup));
      const cpuBefore = cpuSeconds(child.pid!);
      const r = await load(url, Number(flags.duration));
      const cpu = cpuSeconds(child.pid!) - cpuBefore;
      let stored = '';
      if (name !== 'no-op fastify') stored = `, stored ${(await (await fetch(`${url}/v1/stats`)).json()).events.toLocaleString('en')}`;
      await stopServer(child);
      // PostgreSQL goes on writing a round's rows out (checkpoint, autovacuum) after it: done now, off the next target's clock.
      if (name === 'collector, PostgreSQL') await quietPostgres(postgres!, postgresDatabase!);
      const run = { eventsPerSecond: r.eventsPerSecond, cpuMicrosPerEvent: (cpu * 1e6) / (r.requests * BATCH) };
      runs.get(name)!.push(run);
      console.log(`  round ${round} ${name.padEnd(28)} ${Math.round(run.eventsPerSecond).toLocaleString('en').padStart(9)} events/s, server CPU ${run.cpuMicrosPerEvent.toFixed(1)} µs/event (request p99 ${r.p99} ms, non-2xx/errors ${r.non2xx}${stored})`);
    }
  }
  console.log(`medians of ${rounds} round(s):`);
  const noop = median(runs.get('no-op fastify')!.map((r) => r.eventsPerSecond));
  for (const [name, list] of runs) {
    const rate = median(list.map((r) => r.eventsPerSecond));
    const ratio = name === 'no-op fastify' ? '' : ` = ${((rate / noop) * 100).toFixed(0)} % of no-op (rounds: ${list.map((r, i) => `${((r.eventsPerSecond / runs.get('no-op fastify')![i]!.eventsPerSecond) * 100).toFixed(0)} %`).join(', ')})`;
    console.log(`${name.padEnd(28)} ${Math.round(rate).toLocaleString('en').padStart(9)} events/s${ratio}, server CPU ${median(list.map((r) => r.cpuMicrosPerEvent)).toFixed(1)} µs/event`);
  }

  console.log(`\n== ceiling: the stores alone (store.ingest, ${CEILING_IN_FLIGHT} batches in flight, no HTTP), ${flags.duration} s, medians of ${rounds} ==`);
  const stores: [string, () => Promise<string>][] = [['SQLite', async () => join(dir, `ceiling-${randomUUID()}.db`)]];
  if (postgres) stores.push(['PostgreSQL', () => postgres.createDatabase()]);
  for (const [name, database] of stores) {
    const list: Run[] = [];
    for (let round = 0; round < rounds; round++) list.push(await storeCeiling(await database(), Number(flags.duration)));
    const rate = median(list.map((r) => r.eventsPerSecond));
    console.log(`${`${name} store alone`.padEnd(28)} ${Math.round(rate).toLocaleString('en').padStart(9)} events/s = ${((rate / noop) * 100).toFixed(0)} % of the no-op HTTP route, CPU ${median(list.map((r) => r.cpuMicrosPerEvent)).toFixed(1)} µs/event (this process, all threads)`);
  }
}

/** Drops a round's database and writes out what PostgreSQL still holds of it, so the next round starts on an idle server. */
async function quietPostgres(postgres: TestPostgres, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${new URL(database).pathname.slice(1)} WITH (FORCE)`);
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
}

/** Companies the seed's users belong to. */
const COMPANIES = 1000;

/**
 * A seed track event's name: `Event <round>`, except that one visitor in ten
 * signs up (round 4) and one in twenty-five calls the API (round 6), so the
 * {@link FUNNELS}' second one drops off as real funnels do.
 */
const eventName = (a: number, round: number) =>
  round === 4 && a % 10 === 0 ? 'Signed Up' : round === 6 && a % 25 === 0 ? 'API Call' : `Event ${round}`;

/**
 * When seed event `n` of `total` happened: a million events span 11.6 days
 * (one a second), and a bigger seed the same days, denser, as a store grows
 * with its traffic; so a funnel's rounds keep their days apart.
 */
const seedTime = (n: number, total: number) => Date.UTC(2024, 0, 1) + Math.floor((n * 1e9) / Math.max(total, 1e6));

/** A seed user's display name and email (the traits Fullstory reserves), for the People directory's search. */
const FIRST_NAMES = ['Ada', 'Alan', 'Barbara', 'Claude', 'Dennis', 'Edsger', 'Frances', 'Grace', 'Hedy', 'Ivan',
  'John', 'Ken', 'Leslie', 'Margaret', 'Niklaus', 'Radia', 'Shafi', 'Tim', 'Vint', 'Whitfield'];
const personOf = (k: number) => {
  const first = FIRST_NAMES[k % FIRST_NAMES.length]!;
  const last = `Family${Math.floor(k / FIRST_NAMES.length) % 50}`;
  return { displayName: `${first} ${last}`, email: `${first}.${last}.${k}@example${k % 7}.com`.toLowerCase() };
};

/** Events for the seed: anonymous id i gets 10 events; 80 % of them are linked, two per user, each user in a company. */
function* seedEvents(total: number): Generator<StoredEvent[]> {
  const anonymousIds = Math.max(1, Math.floor(total / 10));
  const linked = Math.floor(anonymousIds * 0.8);
  let chunk: StoredEvent[] = [];
  for (let n = 0; n < total; n++) {
    const a = n % anonymousIds;
    const round = Math.floor(n / anonymousIds);
    // Round 1 identifies the linked ones; in round 2 each user joins one of COMPANIES companies.
    const userId = a < linked && (round === 1 || round === 2) ? `user-${a >> 1}` : null;
    const groupId = userId && round === 2 ? `company-${(a >> 1) % COMPANIES}` : null;
    const ts = seedTime(n, total);
    const kind = groupId ? 'group' : userId ? 'identify' : round === 0 ? 'page' : 'track';
    const message = { type: kind, messageId: `seed-${n}`, anonymousId: `anon-${a}`, userId, groupId: groupId ?? undefined, event: kind === 'track' ? eventName(a, round) : undefined, properties: { n }, timestamp: new Date(ts).toISOString() };
    chunk.push({
      messageId: message.messageId, kind, event: message.event ?? null, anonymousId: message.anonymousId, userId, previousId: null, unverifiedUserId: null,
      groupId, traits: userId ? { plan: a % 3 ? 'pro' : 'free', ...(round === 1 ? personOf(a >> 1) : {}) } : null, source: 'web', timestamp: ts, originalTimestamp: ts,
      receivedAt: ts, body: JSON.stringify(message),
    });
    if (chunk.length === 20_000) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

const latencies = (times: number[]) => {
  times.sort((a, b) => a - b);
  return `p50 ${percentile(times, 0.5).toFixed(2)} ms, p99 ${percentile(times, 0.99).toFixed(2)} ms`;
};

/** How long one ask of `url` takes, in ms; anything but a 200 throws. */
async function timeAsk(c: Collector, url: string): Promise<number> {
  const started = process.hrtime.bigint();
  const response = await c.app.inject(url);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (response.statusCode !== 200) throw new Error(`${url} → ${response.statusCode} ${response.body}`);
  return ms;
}

async function measure(c: Collector, url: (i: number) => string, samples = Number(flags.samples)): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await timeAsk(c, url(i)));
  return latencies(times);
}

/**
 * The funnels the bench asks: the worst case, steps every seed visitor does in
 * order (each step's every row is read), and one that drops off (10 % sign
 * up, 2 % of visitors then call the API), as real funnels do.
 */
const FUNNELS = {
  'every visitor': '/v1/funnel?steps=page,Event%203,Event%205&within=30d',
  'drop-off': '/v1/funnel?steps=page,Signed%20Up,API%20Call&within=30d',
};
/** What the simulated dashboard polls. */
const FUNNEL = FUNNELS['every visitor'];

/**
 * Ingest while a simulated dashboard polls at its real rates (stats every
 * second, chart and People list every 2 s, conflicts every 3 s, funnel every 5 s, each
 * never overlapping itself): `--poll-seconds` of 20-message batches from
 * 8 concurrent senders, through the same event loop the queries use.
 */
async function ingestWhilePolling(c: Collector, seconds: number): Promise<string> {
  const until = Date.now() + seconds * 1000;
  const polls = new Map<string, { times: number[]; refused: number }>();
  const poll = async (name: string, url: string, everyMs: number) => {
    const record = { times: [] as number[], refused: 0 };
    polls.set(name, record);
    while (Date.now() < until) {
      const started = process.hrtime.bigint();
      const response = await c.app.inject(url);
      record.times.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (response.statusCode !== 200) record.refused++;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  };
  const ingestTimes: number[] = [];
  let refused = 0;
  const send = async () => {
    while (Date.now() < until) {
      const started = process.hrtime.bigint();
      const response = await c.app.inject({ method: 'POST', url: '/v1/batch', headers: { 'content-type': 'text/plain' }, payload: batchBody() });
      ingestTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (response.statusCode !== 200) refused++;
    }
  };
  const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
  await Promise.all([
    poll('stats', '/v1/stats', 1000), poll('chart', `/v1/timeseries?bucket=minute&from=${hourAgo()}`, 2000),
    poll('conflicts', '/v1/conflicts', 3000), poll('funnel', FUNNEL, 5000), poll('people', '/v1/users?limit=50', 2000),
    ...Array.from({ length: 8 }, send),
  ]);
  const rate = Math.round((ingestTimes.length * BATCH) / seconds).toLocaleString('en');
  const max = Math.max(...ingestTimes).toFixed(1);
  const polled = [...polls].map(([name, r]) => `${name} ${r.times.length}× (${latencies(r.times)}${r.refused ? `, ${r.refused} refused` : ''})`).join('; ');
  return `ingest ${rate} events/s, batch ${latencies(ingestTimes)}, max ${max} ms${refused ? `, ${refused} refused` : ''}\n             polls: ${polled}`;
}

/**
 * The People directory: list pages (the first, and pages up to 40 deep by
 * their cursors), and searches from narrow (one user's id, a name and
 * family, about 40 users) through broad (a first name: 5 % of the users) to
 * the broadest (a prefix every user id has).
 */
async function benchPeople(c: Collector, users: number): Promise<void> {
  const cursors: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 40; i++) {
    const body: { after: string | null } = (await c.app.inject(`/v1/users?limit=50${after ? `&after=${after}` : ''}`)).json();
    if (!body.after) break;
    cursors.push((after = body.after));
  }
  const pick = (i: number) => (i * 7919) % users;
  const people = Math.min(500, Number(flags.samples));
  const query = (text: string) => `/v1/users?limit=50&query=${encodeURIComponent(text)}`;
  console.log(`  people    GET /v1/users (first page)  ${await measure(c, () => '/v1/users?limit=50', people)}`);
  console.log(`  people    GET /v1/users (pages ≤ 40)  ${await measure(c, (i) => `/v1/users?limit=50&after=${cursors[i % cursors.length]!}`, people)}`);
  console.log(`  people    search an id               ${await measure(c, (i) => query(`user-${pick(i)}`), people)}`);
  console.log(`  people    search name + family       ${await measure(c, (i) => query(personOf(pick(i)).displayName.toLowerCase()), people)}`);
  console.log(`  people    search an email            ${await measure(c, (i) => query(personOf(pick(i)).email.slice(0, 12)), people)}`);
  console.log(`  people    search a first name (5 %)  ${await measure(c, (i) => query(FIRST_NAMES[i % FIRST_NAMES.length]!), people)}`);
  console.log(`  people    search "user-" (all)       ${await measure(c, () => query('user-'), Math.min(100, people))}`);
  console.log(`  people    GET /v1/companies (search) ${await measure(c, (i) => `/v1/companies?limit=50&query=company-${i % 100}`, people)}`);
  console.log(`  people    GET /v1/anonymous          ${await measure(c, () => '/v1/anonymous?limit=50', people)}`);
}

async function benchQueries(name: string, database: string, events: number): Promise<void> {
  const c = await createCollector({ database, logLevel: 'silent' });
  try {
    const started = Date.now();
    for (const chunk of seedEvents(events)) await c.store.ingest(chunk);
    const stats = (await c.app.inject('/v1/stats')).json();
    console.log(`${name}: seeded ${stats.events.toLocaleString('en')} events, ${(events / 10).toLocaleString('en')} anonymous ids, ${stats.identifiedUsers.toLocaleString('en')} users in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const users = stats.identifiedUsers as number;
    const pickUser = (i: number) => `user-${(i * 7919) % users}`;
    await measure(c, (i) => `/v1/users/${pickUser(i)}`); // warm caches
    console.log(`  profile   GET /v1/users/:id          ${await measure(c, (i) => `/v1/users/${pickUser(i)}`)}`);
    console.log(`  timeline  GET /v1/users/:id/events   ${await measure(c, (i) => `/v1/users/${pickUser(i)}/events?limit=100`)}`);
    console.log(`  anonymous GET /v1/anonymous/:id      ${await measure(c, (i) => `/v1/anonymous/anon-${(i * 104_729) % (events / 10)}`)}`);
    // The dashboard's chart: the last hour by minute (what it asks first), and one day by hour, within the seeded span.
    const lastTs = seedTime(events - 1, events);
    const hourBack = new Date(lastTs - 3_600_000).toISOString();
    const dayBack = (i: number) => new Date(lastTs - 86_400_000 * (1 + (i % 5))).toISOString();
    const timeseriesSamples = Math.min(200, Number(flags.samples));
    console.log(`  chart     GET /v1/timeseries (1 h)   ${await measure(c, () => `/v1/timeseries?bucket=minute&from=${hourBack}&to=${new Date(lastTs).toISOString()}`, timeseriesSamples)}`);
    console.log(`  chart     GET /v1/timeseries (1 day) ${await measure(c, (i) => `/v1/timeseries?bucket=hour&from=${dayBack(i)}&to=${new Date(Date.parse(dayBack(i)) + 86_400_000).toISOString()}`, timeseriesSamples)}`);
    console.log(`  stats     GET /v1/stats              ${await measure(c, () => '/v1/stats', Math.min(500, Number(flags.samples)))}`);
    console.log(`  company   GET /v1/companies/:id      ${await measure(c, (i) => `/v1/companies/company-${(i * 7919) % COMPANIES}`, Math.min(200, Number(flags.samples)))}`);
    await benchPeople(c, users);
    for (const [name, url] of Object.entries(FUNNELS)) {
      const cold = await timeAsk(c, url);
      console.log(`  funnel    ${name.padEnd(13)} GET ${url} ${await measure(c, () => url, Number(flags['funnel-samples']))} (first, cold: ${cold.toFixed(2)} ms)`);
    }
    console.log(`  dashboard ${await ingestWhilePolling(c, Number(flags['poll-seconds']))}`);
  } finally {
    await c.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'idstitch-bench-'));
  const postgres = flags['skip-postgres'] ? undefined : await startPostgres();
  console.log(`idstitch collector benchmark — node ${process.version}, ${flags['skip-postgres'] ? 'SQLite only' : 'SQLite and PostgreSQL 15 (local, fsync off)'}`);
  try {
    if (flags.only !== 'queries') await benchIngest(postgres, dir);
    if (flags.only !== 'ingest') {
      const events = Number(flags.events);
      console.log(`\n== queries: ${flags.samples} samples each, through fastify.inject ==`);
      if (!flags['skip-sqlite']) await benchQueries('SQLite', join(dir, 'queries.db'), events);
      if (postgres) await benchQueries('PostgreSQL', await postgres.createDatabase(), Number(flags['pg-events'] ?? events));
    }
  } finally {
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Child mode: the no-op server, in its own process like the collector.
if (flags['serve-noop']) {
  const app = Fastify({ logger: false });
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: 512_000 }, (_req, body, done) => {
    try { done(null, JSON.parse(body as string)); } catch (e) { done(e as Error, undefined); }
  });
  app.post('/v1/batch', async () => ({ ok: true }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`listening on ${url}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
} else {
  await main();
}
